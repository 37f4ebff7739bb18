# Optional jepasnn::dist: an INTERFACE target over include/jepasnn/dist/*.hpp (data-parallel
# training over MPI), created only when CMake finds MPI's C++ bindings target (Open MPI from
# Debian: openmpi-bin libopenmpi-dev, which cmake/install_deps.sh installs). The library and every
# other test build and pass without it; the MPI tests then skip visibly.
option(JEPASNN_ENABLE_MPI "Build jepasnn::dist and the MPI tests when MPI is found" ON)
set(JEPASNN_HAS_MPI OFF)
if(JEPASNN_ENABLE_MPI)
    find_package(MPI COMPONENTS CXX QUIET)
    if(MPI_CXX_FOUND)
        add_library(jepasnn_dist INTERFACE)
        add_library(jepasnn::dist ALIAS jepasnn_dist)
        set_target_properties(jepasnn_dist PROPERTIES EXPORT_NAME dist)
        target_link_libraries(jepasnn_dist INTERFACE jepasnn MPI::MPI_CXX)
        target_compile_definitions(jepasnn_dist INTERFACE JEPASNN_WITH_MPI=1)
        set(JEPASNN_HAS_MPI ON)
        message(STATUS "jepasnn: MPI ${MPI_CXX_VERSION} found (${MPIEXEC_EXECUTABLE}); jepasnn::dist enabled")
    else()
        message(STATUS "jepasnn: no MPI; jepasnn::dist and the MPI tests are not built "
                       "(apt-get install openmpi-bin libopenmpi-dev)")
    endif()
endif()
