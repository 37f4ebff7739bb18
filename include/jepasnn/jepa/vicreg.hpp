// The variance and covariance terms of VICReg (Bardes, Ponce & LeCun, "VICReg:
// Variance-Invariance-Covariance Regularization for Self-Supervised Learning", ICLR 2022, eqs.
// 1–4) with their analytic backward, for embeddings z (N × D):
//   v(z) = (1/D) Σ_j max(0, γ − √(Var(z_j) + ε)),   c(z) = (1/D) Σ_{i≠j} Cov(z)_ij²,
// with the unbiased (N − 1) variance and covariance. In our predictive setup the invariance term
// is the prediction loss itself (the predicted future latent must match the encoded one), so the
// regulariser is R = α_v·v + α_c·c; the paper's 25:25:1 ratio of invariance : variance : covariance
// weights maps to α_v = 1, α_c = 0.04 with λ = 0.5.
#pragma once

#include <cmath>
#include <string_view>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../nn/common.hpp"

namespace jepasnn::jepa {

struct VicRegConfig {
    double gamma = 1.0;  // target standard deviation
    double eps = 1e-4;
    double variance_weight = 1.0;
    double covariance_weight = 0.04;

    static void fields(auto& s, auto&& field) {
        field("gamma", s.gamma);
        field("eps", s.eps);
        field("variance_weight", s.variance_weight);
        field("covariance_weight", s.covariance_weight);
    }
    void validate(std::string_view where) const {
        require(gamma > 0.0 && eps > 0.0, where, "vicreg gamma and eps are ", gamma, ", ", eps,
                ", expected > 0");
        require(variance_weight >= 0.0 && covariance_weight >= 0.0, where, "vicreg weights are ",
                variance_weight, ", ", covariance_weight, ", expected >= 0");
    }
};

struct VicRegTerms {
    double variance = 0.0;
    double covariance = 0.0;
    double value = 0.0;  // α_v·variance + α_c·covariance
};

/// The terms of z (N × D, N ≥ 2); when dz is given, dz += scale·∂value/∂z:
///   ∂v/∂z_nj = −[γ > s_j]·zc_nj / (D·s_j·(N − 1)),   ∂c/∂z = 4/(D·(N − 1)) · zc·Cov_offdiag.
template <class T>
VicRegTerms vicreg(nn::ConstMatRef<T> z, const VicRegConfig& config, nn::MatRef<T>* dz = nullptr,
                   double scale = 1.0) {
    const Index n = z.rows(), d = z.cols();
    require(n >= 2, "jepa::vicreg", "embeddings have ", n, " rows, expected at least 2");
    const RowMatrix<double> zd = z.template cast<double>();
    const RowVector<double> mean = zd.colwise().mean();
    const RowMatrix<double> zc = zd.rowwise() - mean;                         // (N, D)
    Matrix<double> cov = (zc.transpose() * zc) / static_cast<double>(n - 1);  // (D, D)
    VicRegTerms terms;
    Vector<double> std_dev(d);  // (D)
    for (Index j = 0; j < d; ++j) {
        std_dev(j) = std::sqrt(cov(j, j) + config.eps);
        terms.variance += std::max(0.0, config.gamma - std_dev(j));
    }
    terms.variance /= static_cast<double>(d);
    Matrix<double> off = cov;  // (D, D) covariance without its diagonal
    off.diagonal().setZero();
    terms.covariance = off.squaredNorm() / static_cast<double>(d);
    terms.value =
        config.variance_weight * terms.variance + config.covariance_weight * terms.covariance;
    if (dz != nullptr) {
        require_shape("jepa::vicreg", "gradient", *dz, n, d);
        const double nm1 = static_cast<double>(n - 1), dd = static_cast<double>(d);
        RowMatrix<double> g = zc * off * (4.0 * config.covariance_weight / (dd * nm1));  // (N, D)
        for (Index j = 0; j < d; ++j)
            if (config.gamma > std_dev(j))
                g.col(j) -= zc.col(j) * (config.variance_weight / (dd * std_dev(j) * nm1));
        *dz += (g * scale).template cast<T>();
    }
    return terms;
}

}  // namespace jepasnn::jepa
