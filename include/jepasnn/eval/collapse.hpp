// Representation-collapse diagnostics of latents z (N × D): the effective rank (Roy & Vetterli,
// "The effective rank: a measure of effective dimensionality", EUSIPCO 2007): exp of the entropy
// of the L1-normalised singular values, as RankMe (Garrido et al. 2023) applies it to embeddings;
// the variance of every dimension; and the SIGReg statistic of held-out latents.
#pragma once

#include <cmath>
#include <cstdint>

#include "../core/eigen.hpp"

#include "../core/error.hpp"
#include "../jepa/sigreg.hpp"
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
    // singular values of ~1e-8·σ_max and bias the entropy of a rank-deficient z.
    const Eigen::BDCSVD<Matrix<double>> svd(zz);
    const Vector<double> sigma = svd.singularValues();
    const double total = sigma.sum();
    if (!(total > 0.0)) return 0.0;
    double entropy = 0.0;
    for (Index i = 0; i < sigma.size(); ++i) {
        const double pi = sigma(i) / total;
        if (pi > 0.0) entropy -= pi * std::log(pi);
    }
    return std::exp(entropy);
}

struct CollapseDiagnostics {
    double effective_rank = 0.0;          // of z as it is (RankMe's convention)
    double effective_rank_centred = 0.0;  // of z minus its mean
    Vector<double> variance;              // (D) per dimension
    double sigreg = 0.0;                  // SIGReg statistic (≈ 1.05 for N(0, I) latents)
};

/// All diagnostics; SIGReg along `config.directions` directions drawn from (seed, step 0).
inline CollapseDiagnostics collapse_diagnostics(ConstMat z, const jepa::SigRegConfig& config = {},
                                                std::uint64_t seed = 0) {
    CollapseDiagnostics d;
    d.effective_rank = effective_rank(z, false);
    d.effective_rank_centred = effective_rank(z, true);
    d.variance = (z.rowwise() - z.colwise().mean()).colwise().squaredNorm().transpose() /
                 static_cast<double>(std::max<Index>(z.rows() - 1, 1));
    d.sigreg = jepa::sigreg<double>(z, config, seed, 0);
    return d;
}

}  // namespace jepasnn::eval
