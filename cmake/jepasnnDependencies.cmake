# Finds what the jepasnn::jepasnn INTERFACE target carries. Used by the build tree (CMakeLists.txt)
# and, installed next to jepasnnConfig.cmake, by consumers through find_package(jepasnn).
# All of it comes from Debian 12 packages (cmake/install_deps.sh).
include(CMakeFindDependencyMacro)

find_dependency(Eigen3 3.4 NO_MODULE)
find_dependency(xtensor)
find_dependency(nlohmann_json 3)
# FindHDF5 test-compiles a C file: a consumer project that enabled only CXX gets C enabled here.
get_property(_jepasnn_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
if(NOT "C" IN_LIST _jepasnn_languages)
    enable_language(C)
endif()
set(HDF5_PREFER_PARALLEL FALSE)
find_dependency(HDF5 COMPONENTS C)
# zlib (HDF5's own dependency): the CRC-32 that ties a binned store to its NWB file.
find_dependency(ZLIB)

# Random123 is header-only and ships no CMake config: an imported target carries its include path
# (nothing is added when the headers sit in a default system include directory).
if(NOT TARGET jepasnn::Random123)
    find_path(JEPASNN_RANDOM123_INCLUDE_DIR Random123/philox.h)
    if(NOT JEPASNN_RANDOM123_INCLUDE_DIR)
        message(FATAL_ERROR
            "jepasnn: Random123 headers (Random123/philox.h) not found; "
            "install librandom123-dev (cmake/install_deps.sh does)")
    endif()
    add_library(jepasnn::Random123 INTERFACE IMPORTED)
    if(NOT JEPASNN_RANDOM123_INCLUDE_DIR IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
        set_target_properties(jepasnn::Random123 PROPERTIES
            INTERFACE_INCLUDE_DIRECTORIES "${JEPASNN_RANDOM123_INCLUDE_DIR}")
    endif()
endif()

# OpenMP is optional: parallel loops run serially without it, with identical results.
if(NOT DEFINED JEPASNN_USE_OPENMP OR JEPASNN_USE_OPENMP)
    find_package(OpenMP COMPONENTS CXX QUIET)
    if(OpenMP_CXX_FOUND)
        set(JEPASNN_USE_OPENMP ON)
    else()
        set(JEPASNN_USE_OPENMP OFF)
    endif()
endif()
