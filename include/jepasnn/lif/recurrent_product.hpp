// The recurrent products of the LIF population: the forward's event-driven input (a column of W
// per spike, add_active_columns) and the backward's per-step dense product dL/dS_{t−1} =
// dL/dI_t · W (rows: sequences) with W packed once per backward, not once per step.
//
// W stays fixed through a backward while the product runs once per time step on a thin (B_part ×
// N) left side, so a general GEMM spends much of each call repacking W (1 MiB at N = 512, more
// than L2). Here W is laid out once in panels of P consecutive columns, P = two SIMD vectors:
// panel[i][c] = W[i, j0 + c], zero-padded past N. Each step then streams the panels once,
// keeping a block of rows × P outputs in registers (the register blocking of Goto & van de Geijn,
// ACM TOMS 2008, without the per-call packing). The vector is the widest the build targets: one
// AVX-512 register (P = 32 floats, blocks of 8 rows: 16 of the 32 registers accumulate) or one
// AVX register elsewhere (P = 16 floats, blocks of 6 rows: 12 of 16 registers). Measured on a
// 2-core AVX-512 Xeon, N = 512, 32 rows: 165 GFLOP/s against 93 with the AVX width and 6-row
// blocks, ~78% of the core's measured FMA peak of 211 (benchmarks/lif/bench_kernels.cpp).
//
// Every output is one accumulation in increasing i, the same code for every row and every vector
// width: a sequence's result depends only on its inputs, not on alignment, the threads, the rows
// beside it or the CPU's vector width (only on whether the build contracts to FMA).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "../core/tensor.hpp"

#if !defined(__GNUC__)
#error "jepasnn/lif/recurrent_product.hpp uses GCC/Clang vector extensions (GCC or Clang needed)"
#endif

namespace jepasnn::lif {

namespace detail {
#if defined(__AVX512F__)
inline constexpr std::size_t packed_vector_bytes = 64;  // one AVX-512 register
inline constexpr int packed_block_rows = 8;             // 2 × 8 accumulators of 32 registers
#else
inline constexpr std::size_t packed_vector_bytes = 32;  // one AVX register (two SSE halves)
inline constexpr int packed_block_rows = 6;             // 2 × 6 accumulators of 16 registers
#endif
}  // namespace detail

/// The forward's event-driven recurrent input: adds W[:, j] · s over the active presynaptic
/// neurons (j, s) (in increasing j), excitatory columns (j < n_exc) into `excitatory`,
/// inhibitory ones into `inhibitory` after clearing it (summed separately in every mode, so that
/// recording E/I statistics never changes the arithmetic). O(active · N) instead of a dense
/// O(N²) product per row; W is N × N, column-major.
template <bool binary, class T, class Active>
void add_active_columns(const T* w, Index n, Index n_exc, const Active& active, T* excitatory,
                        T* inhibitory) {
    std::fill(inhibitory, inhibitory + n, T(0));
    for (const auto& [j, s] : active) {
        const T* column = w + j * n;
        T* target = j < n_exc ? excitatory : inhibitory;
        if constexpr (binary) {
            for (Index i = 0; i < n; ++i)
                target[i] += column[i];
        } else {
            for (Index i = 0; i < n; ++i)
                target[i] += s * column[i];
        }
    }
}

template <class T>
class PackedRecurrent {
    static_assert(std::is_floating_point_v<T>, "PackedRecurrent: T must be float or double");
    using Vec [[gnu::vector_size(detail::packed_vector_bytes)]] = T;
    static constexpr Index lanes = detail::packed_vector_bytes / sizeof(T);
    static constexpr int rows_per_block = detail::packed_block_rows;

  public:
    /// Columns per panel.
    static constexpr Index panel_width = 2 * lanes;

    /// Packs W (N × N, column-major, W[i, j] at j·N + i).
    void pack(const T* w, Index n) {
        n_ = n;
        panels_ = (n + panel_width - 1) / panel_width;
        packed_.assign(static_cast<std::size_t>(panels_ * n * panel_width), T(0));
        for (Index p = 0; p < panels_; ++p)
            for (Index c = 0; c < panel_width && p * panel_width + c < n; ++c) {
                const T* column = w + (p * panel_width + c) * n;
                T* out = packed_.data() + p * n * panel_width + c;
                for (Index i = 0; i < n; ++i)
                    out[i * panel_width] = column[i];
            }
    }

    /// out (rows × N, row stride ldo) = a (rows × N, row stride lda) · W.
    void multiply(const T* a, Index rows, Index lda, T* out, Index ldo) const {
        for (Index p = 0; p < panels_; ++p) {
            const Index j0 = p * panel_width;
            const Index width = std::min(panel_width, n_ - j0);
            const T* rows_a = a;
            T* rows_out = out + j0;
            Index left = rows;
            constexpr int r = rows_per_block;
            for (; left >= r; left -= r, rows_a += r * lda, rows_out += r * ldo)
                block<r>(rows_a, lda, p, rows_out, ldo, width);
            for (; left >= 4; left -= 4, rows_a += 4 * lda, rows_out += 4 * ldo)
                block<4>(rows_a, lda, p, rows_out, ldo, width);
            for (; left >= 2; left -= 2, rows_a += 2 * lda, rows_out += 2 * ldo)
                block<2>(rows_a, lda, p, rows_out, ldo, width);
            for (; left > 0; --left, rows_a += lda, rows_out += ldo)
                block<1>(rows_a, lda, p, rows_out, ldo, width);
        }
    }

  private:
    /// Rows [0, R) of `a` times panel p into out[:, 0 : width).
    template <int R>
    void block(const T* a, Index lda, Index p, T* out, Index ldo, Index width) const {
        const T* panel = packed_.data() + p * n_ * panel_width;
        Vec acc[R][2] = {};
        for (Index i = 0; i < n_; ++i) {
            Vec w0, w1;
            std::memcpy(&w0, panel + i * panel_width, sizeof(Vec));
            std::memcpy(&w1, panel + i * panel_width + lanes, sizeof(Vec));
            for (int k = 0; k < R; ++k) {
                const T x = a[k * lda + i];
                acc[k][0] += x * w0;
                acc[k][1] += x * w1;
            }
        }
        for (int k = 0; k < R; ++k) {
            if (width == panel_width) {
                std::memcpy(out + k * ldo, &acc[k][0], sizeof(Vec));
                std::memcpy(out + k * ldo + lanes, &acc[k][1], sizeof(Vec));
            } else {  // the last, partial panel
                T row[panel_width];
                std::memcpy(row, &acc[k][0], sizeof(Vec));
                std::memcpy(row + lanes, &acc[k][1], sizeof(Vec));
                std::copy_n(row, width, out + k * ldo);
            }
        }
    }

    Index n_ = 0, panels_ = 0;
    AlignedVector<T> packed_;  // (panels, N, panel_width)
};

}  // namespace jepasnn::lif
