// CUDA: the counter-based streams of core/rng.hpp on the device. fill_uniform writes
// uniform_at(seed, stream, i), bit-identical to the CPU; fill_normal writes normal_at (equal up to
// the device libm's last-place rounding of log/cos); DeviceRandomStream is RandomStream's
// sequential word order for use inside kernels. Include only from .cu translation units.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "../core/rng.hpp"
#include "runtime.cuh"

namespace jepasnn::cuda {

/// RandomStream (core/rng.hpp) inside a kernel: the same (seed, stream, counter) consumes the
/// same words in the same order, so uniform() is bit-identical to the host's and normal() equal
/// up to the device libm.
class DeviceRandomStream {
  public:
    __host__ __device__ DeviceRandomStream(std::uint64_t seed, std::uint64_t stream,
                                           std::uint64_t first_counter = 0)
        : seed_(seed), stream_(stream), counter_(first_counter) {}

    __device__ std::uint32_t next_u32() {
        if (used_ == 4) {
            block_ = philox_block(seed_, stream_, counter_++);
            used_ = 0;
        }
        return block_.word[used_++];
    }
    __device__ double uniform() {
        const std::uint32_t hi = next_u32();
        return uniform_from_bits(hi, next_u32());
    }
    __device__ double normal() {
        PhiloxBlock b;
        for (auto& w : b.word)
            w = next_u32();
        return normal_from_block(b);
    }

  private:
    std::uint64_t seed_, stream_, counter_;
    std::uint32_t used_ = 4;
    PhiloxBlock block_{};
};

namespace detail {
__global__ void philox_uniform_kernel(double* out, std::uint64_t n, std::uint64_t seed,
                                      std::uint64_t stream) {
    const std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
    if (i < n) out[i] = uniform_at(seed, stream, i);
}
__global__ void philox_normal_kernel(double* out, std::uint64_t n, std::uint64_t seed,
                                     std::uint64_t stream) {
    const std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
    if (i < n) out[i] = normal_at(seed, stream, i);
}
}  // namespace detail

/// out[i] = uniform_at(seed, stream, i) for i < n, on the current device.
inline void fill_uniform(double* device_out, std::uint64_t n, std::uint64_t seed,
                         std::uint64_t stream, cudaStream_t cuda_stream = nullptr) {
    if (n == 0) return;
    constexpr unsigned threads = 256;
    detail::philox_uniform_kernel<<<blocks_for(n, threads), threads, 0, cuda_stream>>>(
        device_out, n, seed, stream);
    check_launch("cuda::fill_uniform");
}

/// out[i] = normal_at(seed, stream, i) for i < n, on the current device.
inline void fill_normal(double* device_out, std::uint64_t n, std::uint64_t seed,
                        std::uint64_t stream, cudaStream_t cuda_stream = nullptr) {
    if (n == 0) return;
    constexpr unsigned threads = 256;
    detail::philox_normal_kernel<<<blocks_for(n, threads), threads, 0, cuda_stream>>>(device_out, n,
                                                                                      seed, stream);
    check_launch("cuda::fill_normal");
}

}  // namespace jepasnn::cuda
