# cmake -DINCLUDE_DIR=<repo>/include -P check_includes.cmake
# Every header reaches Eigen and the x86 intrinsics only through jepasnn/core/eigen.hpp, which
# silences GCC bug 105593 around exactly those includes (a direct include elsewhere would read the
# intrinsics outside that guard and let the false positive through on AVX-512 builds).
file(GLOB_RECURSE headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/*.hpp)
set(offenders)
foreach(header IN LISTS headers)
    if(header STREQUAL "jepasnn/core/eigen.hpp")
        continue()
    endif()
    file(STRINGS ${INCLUDE_DIR}/${header} lines REGEX "^[ \t]*#[ \t]*include[ \t]*<(Eigen/|[a-z0-9]*intrin\\.h)")
    foreach(line IN LISTS lines)
        list(APPEND offenders "${header}: ${line}")
    endforeach()
endforeach()
if(offenders)
    list(JOIN offenders "\n  " shown)
    message(FATAL_ERROR "include Eigen and intrinsics through jepasnn/core/eigen.hpp, not:\n  ${shown}")
endif()
list(LENGTH headers n)
message(STATUS "${n} headers include Eigen and intrinsics only through jepasnn/core/eigen.hpp")
