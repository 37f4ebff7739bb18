// SIGReg (jepa/sigreg.hpp) on the GPU: directions drawn from the same Philox stream as the CPU,
// projections y = z·A by cuBLAS, the characteristic-function sums C_k, S_k per direction by one
// block per direction (fixed-order tree reductions in double, so results are deterministic), and
// the analytic backward dY_nm = (scale/M)·2 Σ_k w_k t_k [S_k cos(t_k y) − (C_k − φ_k) sin(t_k y)],
// dz += dY·Aᵀ by cuBLAS. Matrices are row-major device arrays. Include only from .cu files.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "../core/rng.hpp"
#include "../jepa/sigreg_knots.hpp"
#include "../core/streams.hpp"
#include "blas.cuh"
#include "runtime.cuh"

namespace jepasnn::cuda {

/// The quadrature table (jepa::SigRegKnots) on the device.
struct DeviceKnots {
    DeviceBuffer<double> t, phi, weight;  // (K) each
    Index size = 0;

    explicit DeviceKnots(const jepa::SigRegKnots& q) : size(q.size()) {
        t.upload(q.t.data(), q.t.size());
        phi.upload(q.phi.data(), q.phi.size());
        weight.upload(q.weight.data(), q.weight.size());
    }
};

/// What sigreg_backward needs from sigreg_forward (device arrays) plus T_m on the host.
template <class T>
struct DeviceSigRegCache {
    Index n = 0, m = 0;
    DeviceBuffer<T> y;                    // (N, M) projections z·A
    DeviceBuffer<double> c_mean, s_mean;  // (K, M)
    DeviceBuffer<double> statistic;       // (M) T_m
    std::vector<double> per_direction;    // (M) T_m, host copy
};

namespace detail {
inline constexpr unsigned sigreg_threads = 256;

/// Column m of the (D × M) row-major direction matrix: normal_at(seed, stream, d·M + m) for each
/// d, normalised in double (jepa::sigreg_directions). One thread per direction.
template <class T>
__global__ void sigreg_directions_kernel(T* out, Index dim, Index count, std::uint64_t seed,
                                         std::uint64_t stream) {
    const Index m = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (m >= count) return;
    double norm2 = 0.0;
    for (Index d = 0; d < dim; ++d) {
        const double g = normal_at(seed, stream, static_cast<std::uint64_t>(d * count + m));
        norm2 += g * g;
    }
    const double inv = 1.0 / sqrt(norm2);
    for (Index d = 0; d < dim; ++d)
        out[d * count + m] = static_cast<T>(
            normal_at(seed, stream, static_cast<std::uint64_t>(d * count + m)) * inv);
}

/// Sum of `value` over the block in a fixed tree order (blockDim.x == sigreg_threads).
__device__ inline double block_sum(double value, double* scratch) {
    scratch[threadIdx.x] = value;
    __syncthreads();
    for (unsigned half = sigreg_threads / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
        __syncthreads();
    }
    const double total = scratch[0];
    __syncthreads();
    return total;
}

/// One block per direction m: C_k, S_k = mean_n cos/sin(t_k y_nm) for every knot, and
/// T_m = N Σ_k w_k [(C_k − φ_k)² + S_k²].
template <class T>
__global__ void sigreg_forward_kernel(double* c_mean, double* s_mean, double* statistic, const T* y,
                                      Index n, Index m, const double* t, const double* phi,
                                      const double* weight, Index knots) {
    __shared__ double scratch[sigreg_threads];
    const Index col = blockIdx.x;
    double total = 0.0;
    for (Index k = 0; k < knots; ++k) {
        const T tk = static_cast<T>(t[k]);
        double c = 0.0, s = 0.0;
        for (Index row = threadIdx.x; row < n; row += sigreg_threads) {
            T sk, ck;
            sincos(tk * y[row * m + col], &sk, &ck);
            c += ck;
            s += sk;
        }
        const double cm = block_sum(c, scratch) / static_cast<double>(n);
        const double sm = block_sum(s, scratch) / static_cast<double>(n);
        if (threadIdx.x == 0) {
            c_mean[k * m + col] = cm;
            s_mean[k * m + col] = sm;
            const double e = cm - phi[k];
            total += weight[k] * (e * e + sm * sm);
        }
    }
    if (threadIdx.x == 0) statistic[col] = total * static_cast<double>(n);
}

/// dY (N, M): dY_nm = Σ_k a_km cos(t_k y_nm) − b_km sin(t_k y_nm) with
/// a_km = (2·scale/M) w_k t_k S_km and b_km = (2·scale/M) w_k t_k (C_km − φ_k).
template <class T>
__global__ void sigreg_backward_kernel(T* dy, const T* y, const double* c_mean,
                                       const double* s_mean, Index n, Index m, const double* t,
                                       const double* phi, const double* weight, Index knots,
                                       double scale) {
    const Index idx = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (idx >= n * m) return;
    const Index col = idx % m;
    const double per_direction = 2.0 * scale / static_cast<double>(m);
    T out = T(0);
    for (Index k = 0; k < knots; ++k) {
        const double a = per_direction * weight[k] * t[k];
        const T alpha = static_cast<T>(a * s_mean[k * m + col]);
        const T beta = static_cast<T>(a * (c_mean[k * m + col] - phi[k]));
        T sk, ck;
        sincos(static_cast<T>(t[k]) * y[idx], &sk, &ck);
        out += alpha * ck - beta * sk;
    }
    dy[idx] = out;
}
}  // namespace detail

/// jepa::sigreg_directions on the device: out (D × M, row-major) for training step `step`.
template <class T>
void sigreg_directions(T* out, Index dim, Index count, std::uint64_t seed, std::uint64_t step,
                       cudaStream_t stream = nullptr) {
    require(dim >= 1 && count >= 1, "cuda::sigreg_directions", "shape is ", dim, "x", count,
            ", expected positive sizes");
    require(step < (std::uint64_t{1} << 32), "cuda::sigreg_directions", "step ", step,
            " exceeds the 2^32 steps a stream index holds");
    const std::uint64_t id =
        stream_id(streams::jepa_sigreg_directions, static_cast<std::uint32_t>(step));
    detail::sigreg_directions_kernel<T>
        <<<blocks_for(static_cast<std::size_t>(count), 128), 128, 0, stream>>>(out, dim, count,
                                                                               seed, id);
    check_launch("cuda::sigreg_directions");
}

/// jepa::sigreg_forward on the device: z (N × D) and directions (D × M), both row-major device
/// arrays. Returns mean_m T_m (summed on the host in direction order, as the CPU does).
template <class T>
double sigreg_forward(const BlasHandle& blas, DeviceSigRegCache<T>& cache, const T* z, Index n,
                      Index dim, const T* directions, Index m, const DeviceKnots& q,
                      cudaStream_t stream = nullptr) {
    require(n >= 1 && dim >= 1 && m >= 1, "cuda::sigreg_forward", "shapes are z ", n, "x", dim,
            " and directions ", dim, "x", m, ", expected positive sizes");
    cache.n = n;
    cache.m = m;
    cache.y.resize(static_cast<std::size_t>(n * m));
    cache.c_mean.resize(static_cast<std::size_t>(q.size * m));
    cache.s_mean.resize(static_cast<std::size_t>(q.size * m));
    cache.statistic.resize(static_cast<std::size_t>(m));
    gemm<T>(blas, Op::none, Op::none, n, m, dim, T(1), z, dim, directions, m, T(0), cache.y.data(),
            m);
    detail::sigreg_forward_kernel<T>
        <<<static_cast<unsigned>(m), detail::sigreg_threads, 0, stream>>>(
            cache.c_mean.data(), cache.s_mean.data(), cache.statistic.data(), cache.y.data(), n, m,
            q.t.data(), q.phi.data(), q.weight.data(), q.size);
    check_launch("cuda::sigreg_forward");
    cache.per_direction = cache.statistic.to_host();
    double total = 0.0;
    for (const double s : cache.per_direction)
        total += s;
    return total / static_cast<double>(m);
}

/// jepa::sigreg_backward on the device: dz (N × D) += scale · ∂SIGReg/∂z.
template <class T>
void sigreg_backward(const BlasHandle& blas, T* dz, const DeviceSigRegCache<T>& cache,
                     const T* directions, Index dim, const DeviceKnots& q, double scale,
                     DeviceBuffer<T>& dy_scratch, cudaStream_t stream = nullptr) {
    const Index n = cache.n, m = cache.m;
    require(n >= 1, "cuda::sigreg_backward", "no forward to differentiate (cache is empty)");
    dy_scratch.resize(static_cast<std::size_t>(n * m));  // (N, M)
    detail::sigreg_backward_kernel<T>
        <<<blocks_for(static_cast<std::size_t>(n * m), 256), 256, 0, stream>>>(
            dy_scratch.data(), cache.y.data(), cache.c_mean.data(), cache.s_mean.data(), n, m,
            q.t.data(), q.phi.data(), q.weight.data(), q.size, scale);
    check_launch("cuda::sigreg_backward");
    gemm<T>(blas, Op::none, Op::transpose, n, dim, m, T(1), dy_scratch.data(), m, directions, m,
            T(1), dz, dim);
}

}  // namespace jepasnn::cuda
