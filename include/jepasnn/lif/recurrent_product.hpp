// The backward's per-step recurrent product dL/dS_{t−1} = dL/dI_t · W (rows: sequences) with W
// packed once per backward, not once per step.
//
// W stays fixed through a backward while the product runs once per time step on a thin (B_part ×
// N) left side, so a general GEMM spends much of each call repacking W (1 MiB at N = 512, more
// than L2). Here W is laid out once in panels of P consecutive columns, P = two SIMD vectors
// (16 floats or 8 doubles): panel[i][c] = W[i, j0 + c], zero-padded past N. Each step then
// streams the panels once, keeping a block of rows × P outputs in registers (the register
// blocking of Goto & van de Geijn, ACM TOMS 2008, without the per-call packing).
//
// Every output is one accumulation in increasing i, the same code for every row: a sequence's
// result depends only on its inputs, not on alignment, the threads or the rows beside it.
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "../core/tensor.hpp"

#if !defined(__GNUC__)
#error "jepasnn/lif/recurrent_product.hpp uses GCC/Clang vector extensions (GCC or Clang needed)"
#endif

namespace jepasnn::lif {

template <class T>
class PackedRecurrent {
    static_assert(std::is_floating_point_v<T>, "PackedRecurrent: T must be float or double");
    // A 32-byte SIMD vector (one AVX register; two SSE halves elsewhere).
    using Vec [[gnu::vector_size(32)]] = T;
    static constexpr Index lanes = 32 / sizeof(T);

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
            for (; left >= 6; left -= 6, rows_a += 6 * lda, rows_out += 6 * ldo)
                block<6>(rows_a, lda, p, rows_out, ldo, width);
            for (; left >= 4; left -= 4, rows_a += 4 * lda, rows_out += 4 * ldo)
                block<4>(rows_a, lda, p, rows_out, ldo, width);
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
