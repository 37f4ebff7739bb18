// Causal temporal convolution: out_t = b + Σ_j x_{t − j·d} W_j (taps j = 0..K−1, dilation d,
// zeros before the first step), so out_t depends only on inputs at steps ≤ t. In the time-major
// layout a lag of j·d steps is a shift of j·d·B rows, so each tap is one GEMM over all rows and no
// im2col buffer is needed.
#pragma once

#include <cmath>
#include <string>

#include "common.hpp"
#include "parameters.hpp"

namespace jepasnn::nn {

template <class T>
class CausalConv {
  public:
    CausalConv() = default;
    /// W is (K·C_in × C_out): tap j occupies rows [j·C_in, (j+1)·C_in). Initialised as PyTorch's
    /// Conv1d: U(±1/√(C_in·K)).
    CausalConv(ParameterLayout& layout, const std::string& name, Index in, Index out, Index kernel,
               Index dilation = 1)
        : kernel_(kernel), dilation_(dilation) {
        require(in > 0 && out > 0, "nn::CausalConv", "'", name, "' has channels ", in, " -> ", out,
                ", expected positive sizes");
        require(kernel >= 1 && dilation >= 1, "nn::CausalConv", "'", name, "' has kernel ", kernel,
                " and dilation ", dilation, ", expected both >= 1");
        const double bound = 1.0 / std::sqrt(static_cast<double>(in * kernel));
        weight_ = layout.add(name + ".weight", kernel * in, out, true, Init::uniform, bound);
        bias_ = layout.add(name + ".bias", 1, out, false, Init::uniform, bound);
    }

    Index in_channels() const { return kernel_ > 0 ? weight_.rows / kernel_ : 0; }
    Index out_channels() const { return weight_.cols; }
    Index kernel() const { return kernel_; }
    Index dilation() const { return dilation_; }
    /// Steps of history an output sees, itself included: (K − 1)·d + 1.
    Index receptive_field() const { return (kernel_ - 1) * dilation_ + 1; }
    const ParameterBlock& weight() const { return weight_; }
    const ParameterBlock& bias() const { return bias_; }

    /// out (T·B, C_out) from in (T·B, C_in), time-major with `batch` sequences.
    void forward(RowMatrix<T>& out, ConstMatRef<T> in, Index batch, const Parameters<T>& p) const {
        const Index rows = in.rows(), c_in = in_channels();
        JEPASNN_DEBUG_ASSERT(batch > 0 && rows % batch == 0, "CausalConv: rows = T·B");
        JEPASNN_DEBUG_ASSERT(in.cols() == c_in, "CausalConv::forward input width");
        const ConstBlockMap<T> w = p.value(weight_);
        out.resize(rows, out_channels());
        out.rowwise() = p.value(bias_).row(0);
        for (Index j = 0; j < kernel_; ++j) {
            const Index shift = j * dilation_ * batch;
            if (shift >= rows) break;
            out.bottomRows(rows - shift).noalias() +=
                in.topRows(rows - shift) * w.middleRows(j * c_in, c_in);
        }
    }

    /// din (T·B, C_in) += Σ_j (dout shifted back by j·d steps) · W_jᵀ.
    void backward(MatRef<T> din, ConstMatRef<T> dout, Index batch, const Parameters<T>& p) const {
        const Index rows = dout.rows(), c_in = in_channels();
        const ConstBlockMap<T> w = p.value(weight_);
        for (Index j = 0; j < kernel_; ++j) {
            const Index shift = j * dilation_ * batch;
            if (shift >= rows) break;
            din.topRows(rows - shift).noalias() +=
                dout.bottomRows(rows - shift) * w.middleRows(j * c_in, c_in).transpose();
        }
    }

    /// dW_j += (in shifted by j·d steps)ᵀ · dout;  db += Σ_rows dout.
    void gradient(Parameters<T>& p, ConstMatRef<T> dout, ConstMatRef<T> in, Index batch) const {
        const Index rows = dout.rows(), c_in = in_channels();
        BlockMap<T> dw = p.gradient(weight_);
        for (Index j = 0; j < kernel_; ++j) {
            const Index shift = j * dilation_ * batch;
            if (shift >= rows) break;
            dw.middleRows(j * c_in, c_in).noalias() +=
                in.topRows(rows - shift).transpose() * dout.bottomRows(rows - shift);
        }
        p.gradient(bias_).row(0) += dout.colwise().sum();
    }

  private:
    ParameterBlock weight_, bias_;
    Index kernel_ = 0, dilation_ = 1;
};

}  // namespace jepasnn::nn
