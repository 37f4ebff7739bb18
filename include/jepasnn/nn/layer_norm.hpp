// Layer normalisation over the feature dimension of every row (Ba, Kiros & Hinton 2016):
// y = (x − μ)/√(σ² + ε) ⊙ γ + β with the biased variance, as PyTorch's nn.LayerNorm (ε = 1e-5).
#pragma once

#include <cmath>
#include <string>

#include "common.hpp"
#include "parameters.hpp"

namespace jepasnn::nn {

template <class T>
class LayerNorm {
  public:
    LayerNorm() = default;
    LayerNorm(ParameterLayout& layout, const std::string& name, Index features, double eps = 1e-5)
        : eps_(eps) {
        require(features > 0, "nn::LayerNorm", "'", name, "' has ", features,
                " features, expected > 0");
        require(eps > 0.0, "nn::LayerNorm", "eps is ", eps, ", expected > 0");
        gain_ = layout.add(name + ".gain", 1, features, false, Init::ones);
        shift_ = layout.add(name + ".shift", 1, features, false, Init::zeros);
    }

    Index features() const { return gain_.cols; }
    const ParameterBlock& gain() const { return gain_; }
    const ParameterBlock& shift() const { return shift_; }

    /// out (R, C) = LN(in); caches each row's mean and 1/σ for the backward.
    void forward(RowMatrix<T>& out, ConstMatRef<T> in, const Parameters<T>& p) {
        const Index rows = in.rows(), c = in.cols();
        JEPASNN_DEBUG_ASSERT(c == features(), "LayerNorm::forward width");
        out.resize(rows, c);
        mean_.resize(rows);  // (R)
        rstd_.resize(rows);  // (R)
        const ConstBlockMap<T> gamma = p.value(gain_);
        const ConstBlockMap<T> beta = p.value(shift_);
        detail::for_row_chunks(rows, c, [&](Index r0, Index r1) {
            for (Index r = r0; r < r1; ++r) {
                T mean = 0;
                for (Index j = 0; j < c; ++j)
                    mean += in(r, j);
                mean /= static_cast<T>(c);
                T var = 0;
                for (Index j = 0; j < c; ++j) {
                    const T d = in(r, j) - mean;
                    var += d * d;
                }
                var /= static_cast<T>(c);
                const T rstd = T(1) / std::sqrt(var + static_cast<T>(eps_));
                for (Index j = 0; j < c; ++j)
                    out(r, j) = (in(r, j) - mean) * rstd * gamma(0, j) + beta(0, j);
                mean_(r) = mean;
                rstd_(r) = rstd;
            }
        });
    }

    /// din += rstd·(dn − mean(dn) − n·mean(dn ⊙ n)), with n the normalised input, dn = dout ⊙ γ.
    void backward(MatRef<T> din, ConstMatRef<T> dout, ConstMatRef<T> in,
                  const Parameters<T>& p) const {
        const Index rows = in.rows(), c = in.cols();
        const ConstBlockMap<T> gamma = p.value(gain_);
        detail::for_row_chunks(rows, c, [&](Index r0, Index r1) {
            for (Index r = r0; r < r1; ++r) {
                T mean_dn = 0, mean_dn_n = 0;
                for (Index j = 0; j < c; ++j) {
                    const T n = (in(r, j) - mean_(r)) * rstd_(r);
                    const T dn = dout(r, j) * gamma(0, j);
                    mean_dn += dn;
                    mean_dn_n += dn * n;
                }
                mean_dn /= static_cast<T>(c);
                mean_dn_n /= static_cast<T>(c);
                for (Index j = 0; j < c; ++j) {
                    const T n = (in(r, j) - mean_(r)) * rstd_(r);
                    const T dn = dout(r, j) * gamma(0, j);
                    din(r, j) += rstd_(r) * (dn - mean_dn - n * mean_dn_n);
                }
            }
        });
    }

    /// dγ += Σ_rows dout ⊙ n;  dβ += Σ_rows dout.
    void gradient(Parameters<T>& p, ConstMatRef<T> dout, ConstMatRef<T> in) const {
        BlockMap<T> dgamma = p.gradient(gain_);
        BlockMap<T> dbeta = p.gradient(shift_);
        for (Index r = 0; r < in.rows(); ++r)
            for (Index j = 0; j < in.cols(); ++j) {
                dgamma(0, j) += dout(r, j) * (in(r, j) - mean_(r)) * rstd_(r);
                dbeta(0, j) += dout(r, j);
            }
    }

  private:
    ParameterBlock gain_, shift_;
    double eps_ = 1e-5;
    Vector<T> mean_, rstd_;  // (R) each, from the last forward
};

}  // namespace jepasnn::nn
