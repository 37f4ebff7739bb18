# Optional jepasnn::cuda: an INTERFACE target over include/jepasnn/cuda/*.cuh, created only when a
# CUDA compiler is found. CPU code never includes .cuh files and never needs nvcc.
set(JEPASNN_HAS_CUDA OFF)
if(JEPASNN_ENABLE_CUDA)
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
        # sm_90 (H100/H200) machine code plus generic PTX that newer GPUs JIT-compile.
        if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
            set(CMAKE_CUDA_ARCHITECTURES "90-real;75-virtual")
        endif()
        enable_language(CUDA)
        find_package(CUDAToolkit REQUIRED)
        add_library(jepasnn_cuda INTERFACE)
        add_library(jepasnn::cuda ALIAS jepasnn_cuda)
        set_target_properties(jepasnn_cuda PROPERTIES EXPORT_NAME cuda)
        # CMake 3.25 has no compile-feature table for nvcc 13, so the standard is passed directly.
        # Eigen's headers (reached through the CPU reference code the kernels share) call
        # constexpr host functions from host/device code: nvcc accepts that only with
        # --expt-relaxed-constexpr, as Eigen's CUDA notes require.
        target_compile_options(jepasnn_cuda INTERFACE
            $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20 --expt-relaxed-constexpr>)
        target_link_libraries(jepasnn_cuda INTERFACE jepasnn CUDA::cudart CUDA::cublas)
        set(JEPASNN_HAS_CUDA ON)
        message(STATUS "jepasnn: CUDA ${CMAKE_CUDA_COMPILER_VERSION} found; jepasnn::cuda enabled "
                       "(architectures ${CMAKE_CUDA_ARCHITECTURES})")
    else()
        message(STATUS "jepasnn: no CUDA compiler; jepasnn::cuda and the CUDA tests are not built")
    endif()
endif()
