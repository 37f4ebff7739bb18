// The effective rank of latents z (N × D) (Roy & Vetterli, "The effective rank: a measure of
// effective dimensionality", EUSIPCO 2007): exp of the entropy of the L1-normalised singular
// values, as RankMe (Garrido et al. 2023) applies it to embeddings to detect collapse.
#pragma once

#include <cmath>

#include "../core/eigen.hpp"

#include "../core/error.hpp"
#include "regression.hpp"

namespace jepasnn::eval {

/// exp(−Σ p_i log p_i) with p = σ/Σσ over the singular values σ of z (centred first if asked):
/// D for an isotropic cloud, 1 for a rank-one (collapsed) one; 0 for z = 0.
inline double effective_rank(ConstMat z, bool centre = false) {
    require(z.rows() >= 1 && z.cols() >= 1, "eval::effective_rank", "latents are ", z.rows(), "x",
            z.cols());
    require_finite("eval::effective_rank", "latents", z);
    Matrix<double> zz = z;
    if (centre) zz.rowwise() -= zz.colwise().mean();
    // An SVD, not √eig(zᵀz): the square root would turn rounding noise of zero eigenvalues into
    // singular values of ~1e-8·σ_max and bias the entropy of a rank-deficient z. A tall z is
    // first factored z = QR in place (Householder, backward stable like the SVD's own
    // bidiagonalisation), and σ(z) = σ(R) comes from the D × D factor: no second copy of z.
    Vector<double> sigma;
    if (zz.rows() > zz.cols()) {
        const Eigen::HouseholderQR<Eigen::Ref<Matrix<double>>> qr(zz);
        const Matrix<double> r =
            qr.matrixQR().topRows(zz.cols()).template triangularView<Eigen::Upper>();
        sigma = Eigen::BDCSVD<Matrix<double>>(r).singularValues();
    } else {
        sigma = Eigen::BDCSVD<Matrix<double>>(zz).singularValues();
    }
    const double total = sigma.sum();
    if (!(total > 0.0)) return 0.0;
    double entropy = 0.0;
    for (Index i = 0; i < sigma.size(); ++i) {
        const double pi = sigma(i) / total;
        if (pi > 0.0) entropy -= pi * std::log(pi);
    }
    return std::exp(entropy);
}

}  // namespace jepasnn::eval
