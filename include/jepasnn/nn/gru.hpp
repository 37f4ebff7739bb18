// Gated recurrent unit (Cho et al. 2014) with PyTorch's nn.GRU equations and gate order (r, z, n):
//   r = σ(x W_xr + b_xr + h W_hr + b_hr),  z = σ(x W_xz + b_xz + h W_hz + b_hz),
//   n = tanh(x W_xn + b_xn + r ⊙ (h W_hn + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h,
// and its backward through time. The input projection of all T·B rows is one GEMM outside the time
// loop, as are the parameter gradients; only the (B × H)·(H × 3H) recurrent product runs per step.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "../core/threads.hpp"
#include "activations.hpp"
#include "common.hpp"
#include "linear.hpp"
#include "parameters.hpp"

namespace jepasnn::nn {

template <class T>
class Gru {
  public:
    Gru() = default;
    /// W_x (I × 3H), b_x (3H), W_h (H × 3H), b_h (3H), initialised as nn.GRU: U(±1/√H).
    Gru(ParameterLayout& layout, const std::string& name, Index in, Index hidden) {
        require(in > 0 && hidden > 0, "nn::Gru", "'", name, "' has sizes ", in, " -> ", hidden,
                ", expected positive sizes");
        const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
        w_x_ = layout.add(name + ".w_x", in, 3 * hidden, true, Init::uniform, bound);
        b_x_ = layout.add(name + ".b_x", 1, 3 * hidden, false, Init::uniform, bound);
        w_h_ = layout.add(name + ".w_h", hidden, 3 * hidden, true, Init::uniform, bound);
        b_h_ = layout.add(name + ".b_h", 1, 3 * hidden, false, Init::uniform, bound);
    }

    Index in_features() const { return w_x_.rows; }
    Index hidden() const { return w_h_.rows; }

    /// out (T·B, H) = hidden states h_0..h_{T−1} for inputs in (T·B, I), time-major, starting
    /// from h0 (B, H) (zeros when empty). The last B rows of out are the final state.
    void forward(RowMatrix<T>& out, ConstMatRef<T> in, Index batch, const Parameters<T>& p,
                 const RowMatrix<T>& h0 = {}) {
        const Index rows = in.rows(), h = hidden();
        JEPASNN_DEBUG_ASSERT(batch > 0 && rows % batch == 0, "Gru: rows = T·B");
        JEPASNN_DEBUG_ASSERT(in.cols() == in_features(), "Gru::forward input width");
        const Index steps = rows / batch;
        if (h0.size())
            h0_ = h0;
        else
            h0_.setZero(batch, h);
        require_shape("nn::Gru::forward", "initial state", h0_, batch, h);

        gates_.resize(rows, 3 * h);  // (T·B, 3H): r, z, n after their nonlinearities
        hn_.resize(rows, h);         // (T·B, H): h W_hn + b_hn, needed for dr
        linear_forward<T>(gates_, in, p.value(w_x_), p.value(b_x_));  // x-projections, all steps
        out.resize(rows, h);
        const ConstBlockMap<T> w_h = p.value(w_h_);
        const ConstBlockMap<T> b_h = p.value(b_h_);
        RowMatrix<T> hg(batch, 3 * h);  // (B, 3H) recurrent projections of one step
        for (Index t = 0; t < steps; ++t) {
            const Index r0 = t * batch;
            if (t == 0)
                hg.noalias() = h0_ * w_h;
            else
                hg.noalias() = out.middleRows(r0 - batch, batch) * w_h;
            hg.rowwise() += b_h.row(0);
            parallel_for_if_large(batch * h * gate_work, 0, batch, [&](std::int64_t b) {
                const Index r = r0 + b;
                const T* h_prev = t == 0 ? &h0_(b, 0) : &out(r - batch, 0);
                for (Index j = 0; j < h; ++j) {
                    const T rg = Sigmoid::value(gates_(r, j) + hg(b, j));
                    const T zg = Sigmoid::value(gates_(r, h + j) + hg(b, h + j));
                    const T ng = std::tanh(gates_(r, 2 * h + j) + rg * hg(b, 2 * h + j));
                    gates_(r, j) = rg;
                    gates_(r, h + j) = zg;
                    gates_(r, 2 * h + j) = ng;
                    hn_(r, j) = hg(b, 2 * h + j);
                    out(r, j) = (T(1) - zg) * ng + zg * h_prev[j];
                }
            });
        }
    }

    /// Backpropagation through time. dout (T·B, H) = ∂L/∂h_t from the layers above (not yet
    /// including the recurrence); din (T·B, I) += ∂L/∂x. Stores the pre-activation gradients that
    /// gradient() turns into parameter gradients, and ∂L/∂h0 (initial_state_gradient()).
    void backward(MatRef<T> din, ConstMatRef<T> dout, ConstMatRef<T> out, Index batch,
                  const Parameters<T>& p) {
        const Index rows = dout.rows(), h = hidden();
        const Index steps = rows / batch;
        dxg_.resize(rows, 3 * h);  // (T·B, 3H) ∂L/∂(x W_x + b_x)
        dhg_.resize(rows, 3 * h);  // (T·B, 3H) ∂L/∂(h W_h + b_h)
        const ConstBlockMap<T> w_h = p.value(w_h_);
        RowMatrix<T> dh = RowMatrix<T>::Zero(batch, h);  // (B, H) ∂L/∂h_t, future included
        RowMatrix<T> dh_prev(batch, h);                  // (B, H)
        for (Index t = steps - 1; t >= 0; --t) {
            const Index r0 = t * batch;
            parallel_for_if_large(batch * h * gate_work, 0, batch, [&](std::int64_t b) {
                const Index r = r0 + b;
                const T* h_prev =
                    t == 0 ? h0_.data() + b * h : out.data() + (r - batch) * out.outerStride();
                for (Index j = 0; j < h; ++j) {
                    const T g = dh(b, j) + dout(r, j);
                    const T rg = gates_(r, j), zg = gates_(r, h + j), ng = gates_(r, 2 * h + j);
                    const T dn = g * (T(1) - zg);
                    const T dz = g * (h_prev[j] - ng);
                    const T da_n = dn * (T(1) - ng * ng);
                    const T da_r = da_n * hn_(r, j) * rg * (T(1) - rg);
                    const T da_z = dz * zg * (T(1) - zg);
                    dxg_(r, j) = da_r;
                    dxg_(r, h + j) = da_z;
                    dxg_(r, 2 * h + j) = da_n;
                    dhg_(r, j) = da_r;
                    dhg_(r, h + j) = da_z;
                    dhg_(r, 2 * h + j) = da_n * rg;
                    dh_prev(b, j) = g * zg;
                }
            });
            dh_prev.noalias() += dhg_.middleRows(r0, batch) * w_h.transpose();
            dh.swap(dh_prev);
        }
        dh0_ = dh;
        linear_backward<T>(din, dxg_, p.value(w_x_));
    }

    /// Parameter gradients from the last backward(): dW_x += inᵀ·dXg, dW_h += h_prevᵀ·dHg, and
    /// the bias sums. `in` and `out` are the forward's input and output.
    void gradient(Parameters<T>& p, ConstMatRef<T> in, ConstMatRef<T> out, Index batch) const {
        const Index rows = in.rows();
        linear_gradient<T>(p.gradient(w_x_), p.gradient(b_x_), dxg_, in);
        BlockMap<T> dw_h = p.gradient(w_h_);
        dw_h.noalias() += h0_.transpose() * dhg_.topRows(batch);
        if (rows > batch)
            dw_h.noalias() += out.topRows(rows - batch).transpose() * dhg_.bottomRows(rows - batch);
        p.gradient(b_h_).row(0) += dhg_.colwise().sum();
    }

    /// ∂L/∂h0 (B, H) from the last backward().
    const RowMatrix<T>& initial_state_gradient() const { return dh0_; }

  private:
    /// Scalar operations per hidden unit and step of the gate loops (two sigmoids and a tanh),
    /// for deciding whether a step's rows are worth the thread team. Each row is computed alone,
    /// so the split never changes the result.
    static constexpr std::int64_t gate_work = 64;

    ParameterBlock w_x_, b_x_, w_h_, b_h_;
    RowMatrix<T> h0_;     // (B, H)
    RowMatrix<T> gates_;  // (T·B, 3H)
    RowMatrix<T> hn_;     // (T·B, H)
    RowMatrix<T> dxg_;    // (T·B, 3H)
    RowMatrix<T> dhg_;    // (T·B, 3H)
    RowMatrix<T> dh0_;    // (B, H)
};

}  // namespace jepasnn::nn
