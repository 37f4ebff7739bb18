// Affine layer y = x W + b applied to every row (every time step of every sequence) as one GEMM.
// W is stored (in × out), so the forward is a plain product with no transposes.
#pragma once

#include <cmath>
#include <string>

#include "common.hpp"
#include "parameters.hpp"

namespace jepasnn::nn {

/// out (R, O) = in (R, I) · W (I, O) + b (O).
template <class T>
void linear_forward(RowMatrix<T>& out, ConstMatRef<T> in, ConstMatRef<T> w, ConstMatRef<T> b) {
    out.resize(in.rows(), w.cols());
    out.noalias() = in * w;
    out.rowwise() += b.row(0);
}

/// din (R, I) += dout (R, O) · Wᵀ.
template <class T>
void linear_backward(MatRef<T> din, ConstMatRef<T> dout, ConstMatRef<T> w) {
    din.noalias() += dout * w.transpose();
}

/// dW (I, O) += inᵀ · dout;  db (O) += Σ_rows dout.
template <class T>
void linear_gradient(MatRef<T> dw, MatRef<T> db, ConstMatRef<T> dout, ConstMatRef<T> in) {
    dw.noalias() += in.transpose() * dout;
    db.row(0) += dout.colwise().sum();
}

template <class T>
class Linear {
  public:
    Linear() = default;
    /// Declares W (in × out) and b (out), initialised as PyTorch's nn.Linear: U(±1/√in).
    Linear(ParameterLayout& layout, const std::string& name, Index in, Index out) {
        require(in > 0 && out > 0, "nn::Linear", "'", name, "' has shape ", in, " -> ", out,
                ", expected positive sizes");
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        weight_ = layout.add(name + ".weight", in, out, true, Init::uniform, bound);
        bias_ = layout.add(name + ".bias", 1, out, false, Init::uniform, bound);
    }

    Index in_features() const { return weight_.rows; }
    Index out_features() const { return weight_.cols; }
    const ParameterBlock& weight() const { return weight_; }
    const ParameterBlock& bias() const { return bias_; }

    void forward(RowMatrix<T>& out, ConstMatRef<T> in, const Parameters<T>& p) const {
        JEPASNN_DEBUG_ASSERT(in.cols() == in_features(), "Linear::forward input width");
        linear_forward<T>(out, in, p.value(weight_), p.value(bias_));
    }
    void backward(MatRef<T> din, ConstMatRef<T> dout, const Parameters<T>& p) const {
        linear_backward<T>(din, dout, p.value(weight_));
    }
    void gradient(Parameters<T>& p, ConstMatRef<T> dout, ConstMatRef<T> in) const {
        linear_gradient<T>(p.gradient(weight_), p.gradient(bias_), dout, in);
    }

  private:
    ParameterBlock weight_, bias_;
};

}  // namespace jepasnn::nn
