// cuBLAS for row-major matrices (the library's data layout) and the teacher's affine layer on the
// device: the same three verbs and conventions as nn/linear.hpp (out = in·W + b with W stored
// in × out; din += dout·Wᵀ; dW += inᵀ·dout, db += Σ_rows dout), so a teacher step moves to the
// GPU by swapping the calls. Include only from .cu translation units linking jepasnn::cuda.
#pragma once

#include <cublas_v2.h>

#include <type_traits>

#include "../core/tensor.hpp"
#include "runtime.cuh"

namespace jepasnn::cuda {

/// Whether a row-major operand is used as stored or transposed.
enum class Op { none, transpose };

/// C (m × n) = alpha · op(A) · op(B) + beta · C for row-major A, B, C with leading dimensions
/// (row strides) lda, ldb, ldc; op(A) is m × k, op(B) is k × n. A row-major X is Xᵀ to cuBLAS,
/// so this computes Cᵀ = op(B)ᵀ op(A)ᵀ in its column-major terms.
template <class T>
void gemm(const BlasHandle& handle, Op op_a, Op op_b, Index m, Index n, Index k, T alpha,
          const T* a, Index lda, const T* b, Index ldb, T beta, T* c, Index ldc) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "cuda::gemm: T must be float or double");
    if (m == 0 || n == 0) return;
    const cublasOperation_t ta = op_a == Op::none ? CUBLAS_OP_N : CUBLAS_OP_T;
    const cublasOperation_t tb = op_b == Op::none ? CUBLAS_OP_N : CUBLAS_OP_T;
    const auto im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
    if constexpr (std::is_same_v<T, float>)
        check(cublasSgemm(handle.get(), tb, ta, in, im, ik, &alpha, b, static_cast<int>(ldb), a,
                          static_cast<int>(lda), &beta, c, static_cast<int>(ldc)),
              "cuda::gemm (cublasSgemm)");
    else
        check(cublasDgemm(handle.get(), tb, ta, in, im, ik, &alpha, b, static_cast<int>(ldb), a,
                          static_cast<int>(lda), &beta, c, static_cast<int>(ldc)),
              "cuda::gemm (cublasDgemm)");
}

namespace detail {
/// out (R, O) += b (O) broadcast over rows.
template <class T>
__global__ void add_row_vector_kernel(T* out, const T* b, Index rows, Index cols) {
    const Index i = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (i < rows * cols) out[i] += b[i % cols];
}
/// db (O) += Σ_r dout (R, O): one thread per column, rows in order (deterministic).
template <class T>
__global__ void add_column_sums_kernel(T* db, const T* dout, Index rows, Index cols) {
    const Index j = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (j >= cols) return;
    T sum = T(0);
    for (Index r = 0; r < rows; ++r)
        sum += dout[r * cols + j];
    db[j] += sum;
}
}  // namespace detail

/// out (R, O) = in (R, I) · W (I, O) + b (O): nn::linear_forward on device pointers.
template <class T>
void linear_forward(const BlasHandle& handle, T* out, const T* in, const T* w, const T* b,
                    Index rows, Index in_features, Index out_features,
                    cudaStream_t stream = nullptr) {
    gemm<T>(handle, Op::none, Op::none, rows, out_features, in_features, T(1), in, in_features, w,
            out_features, T(0), out, out_features);
    const std::size_t n = static_cast<std::size_t>(rows * out_features);
    if (n == 0) return;
    detail::add_row_vector_kernel<T>
        <<<blocks_for(n, 256), 256, 0, stream>>>(out, b, rows, out_features);
    check_launch("cuda::linear_forward");
}

/// din (R, I) += dout (R, O) · Wᵀ: nn::linear_backward.
template <class T>
void linear_backward(const BlasHandle& handle, T* din, const T* dout, const T* w, Index rows,
                     Index in_features, Index out_features) {
    gemm<T>(handle, Op::none, Op::transpose, rows, in_features, out_features, T(1), dout,
            out_features, w, out_features, T(1), din, in_features);
}

/// dW (I, O) += inᵀ · dout;  db (O) += Σ_rows dout: nn::linear_gradient.
template <class T>
void linear_gradient(const BlasHandle& handle, T* dw, T* db, const T* dout, const T* in, Index rows,
                     Index in_features, Index out_features, cudaStream_t stream = nullptr) {
    gemm<T>(handle, Op::transpose, Op::none, in_features, out_features, rows, T(1), in, in_features,
            dout, out_features, T(1), dw, out_features);
    if (out_features == 0) return;
    detail::add_column_sums_kernel<T>
        <<<blocks_for(static_cast<std::size_t>(out_features), 128), 128, 0, stream>>>(
            db, dout, rows, out_features);
    check_launch("cuda::linear_gradient");
}

}  // namespace jepasnn::cuda
