# Settings for the project's own build only (tests, examples, benchmarks, paper); consumers of
# jepasnn::jepasnn never see them.
set(CMAKE_CXX_EXTENSIONS OFF)   # -std=c++20 (GCC still fuses a * b + c into FMA)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

# Warnings in our own code (errors with JEPASNN_WARNINGS_AS_ERRORS). Dependencies come in as SYSTEM
# includes (imported targets).
add_library(jepasnn_warnings INTERFACE)
target_compile_options(jepasnn_warnings INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${JEPASNN_WARNINGS_AS_ERRORS}>>:-Werror>)

# FP operations never trap here (no feenableexcept anywhere), and GCC only if-converts the LIF
# neuron loops' thresholds (so that they vectorise) when told so; results are unchanged.
add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fno-trapping-math>)

# Instruction set of the project's own programs. By default they are tuned for the building
# machine (-march=native: AVX2/FMA or AVX-512 for Eigen and the LIF kernels). Binaries that must
# run on other CPUs (a mixed-CPU cluster, a container image) are built with -DJEPASNN_NATIVE=OFF
# (the compiler's baseline, x86-64) or for a named level, e.g. -DJEPASNN_MARCH=x86-64-v3 (CI also
# compiles everything for x86-64-v4 with -Werror: the isa-v4 preset).
# Results may differ in the last bits between instruction sets (README, "Portable builds and reproducibility").
option(JEPASNN_NATIVE "Compile the project's own programs with -march=native" ON)
set(JEPASNN_MARCH "" CACHE STRING "-march= level for the project's own programs (overrides JEPASNN_NATIVE)")
if(JEPASNN_MARCH)
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-march=${JEPASNN_MARCH}>)
elseif(JEPASNN_NATIVE)
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()

# Sanitizers, e.g. -DJEPASNN_SANITIZE=address,undefined (the debug-asan preset).
set(JEPASNN_SANITIZE "" CACHE STRING "Comma-separated -fsanitize= list for the project's build")
if(JEPASNN_SANITIZE)
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${JEPASNN_SANITIZE}>
                        $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                        $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>
                        # GCC's flow analysis is unreliable under instrumentation: false positives
                        # inside libstdc++ (std::regex) otherwise fail the -Werror build.
                        $<$<COMPILE_LANGUAGE:CXX>:-Wno-error=maybe-uninitialized>)
    add_link_options(-fsanitize=${JEPASNN_SANITIZE})
endif()

# ../shared beside the checkout: reference dumps and third-party NWB fixtures. Tests that need it
# skip visibly when it is absent.
get_filename_component(_jepasnn_shared_default "${PROJECT_SOURCE_DIR}/../shared" ABSOLUTE)
set(JEPASNN_SHARED_DIR "${_jepasnn_shared_default}" CACHE PATH "The shared/ folder beside the checkout")

# Python. Figures use Debian's interpreter (python3-matplotlib, python3-numpy); the python3 first
# on PATH may be another one that does not see those packages. The reference NWB reader (pynwb)
# lives in .venv, made by cmake/install_deps.sh; tests that need it skip visibly without it.
find_program(JEPASNN_PYTHON NAMES python3 HINTS /usr/bin NO_DEFAULT_PATH)
if(NOT JEPASNN_PYTHON)
    find_program(JEPASNN_PYTHON NAMES python3)
endif()
set(JEPASNN_PYNWB_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Interpreter with pynwb, for validating our NWB files against the reference reader")
# The competitors' interpreter (cmake/install_deps.sh --bench makes .venv-bench): benchmark
# comparisons run in it, and the snntorch parity-grid test reruns its generator with it (skipping
# visibly when it is absent).
set(JEPASNN_BENCH_PYTHON "${PROJECT_SOURCE_DIR}/.venv-bench/bin/python" CACHE FILEPATH
    "Interpreter that sees the competitors (numpy, scikit-learn, torch, snntorch, h5py)")

# Build metadata (git revision, compiler) regenerated on every build, for run records.
set(JEPASNN_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated)
add_custom_target(jepasnn_build_info_gen
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
            -DOUTPUT=${JEPASNN_GENERATED_DIR}/jepasnn_build_info.hpp
            -P ${PROJECT_SOURCE_DIR}/cmake/jepasnnBuildInfo.cmake
    BYPRODUCTS ${JEPASNN_GENERATED_DIR}/jepasnn_build_info.hpp
    COMMENT "Recording the git revision")
add_library(jepasnn_build_info INTERFACE)
add_dependencies(jepasnn_build_info jepasnn_build_info_gen)
target_include_directories(jepasnn_build_info INTERFACE ${JEPASNN_GENERATED_DIR})
