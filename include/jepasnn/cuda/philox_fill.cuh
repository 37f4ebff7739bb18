// CUDA: fill a device buffer with the counter-based uniforms of core/rng.hpp. Element i is
// uniform_at(seed, stream, i), bit-identical to the CPU, so device code and host code draw the
// same numbers. Include only from .cu translation units linking jepasnn::cuda.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "../core/error.hpp"
#include "../core/rng.hpp"

namespace jepasnn::cuda {

/// Throws jepasnn::Error naming the call if a CUDA runtime call failed.
inline void check(cudaError_t status, const char* what) {
    if (status != cudaSuccess) fail(what, cudaGetErrorString(status));
}

/// Number of usable CUDA devices (0 when there is no GPU or no driver).
inline int device_count() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();  // clear the sticky "no device" error
        return 0;
    }
    return n;
}

namespace detail {
__global__ void philox_uniform_kernel(double* out, std::uint64_t n, std::uint64_t seed,
                                      std::uint64_t stream) {
    const std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
    if (i < n) out[i] = uniform_at(seed, stream, i);
}
}  // namespace detail

/// out[i] = uniform_at(seed, stream, i) for i < n, on the current device.
inline void fill_uniform(double* device_out, std::uint64_t n, std::uint64_t seed,
                         std::uint64_t stream, cudaStream_t cuda_stream = nullptr) {
    if (n == 0) return;
    constexpr unsigned threads = 256;
    const auto blocks = static_cast<unsigned>((n + threads - 1) / threads);
    detail::philox_uniform_kernel<<<blocks, threads, 0, cuda_stream>>>(device_out, n, seed, stream);
    check(cudaGetLastError(), "cuda::fill_uniform");
}

}  // namespace jepasnn::cuda
