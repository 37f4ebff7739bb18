// Representation-collapse diagnostics of latents z (N × D): the effective rank, raw and centred
// (eval/effective_rank.hpp), the variance of every dimension, and the SIGReg statistic
// (sigreg.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../eval/effective_rank.hpp"
#include "sigreg.hpp"

namespace jepasnn::jepa {

struct CollapseDiagnostics {
    double effective_rank = 0.0;          // of z as it is (RankMe's convention)
    double effective_rank_centred = 0.0;  // of z minus its mean
    Vector<double> variance;              // (D) per dimension
    double sigreg = 0.0;                  // SIGReg statistic (≈ 1.05 for N(0, I) latents)
    Index sigreg_samples = 0;             // rows the statistic was computed on
};

/// All diagnostics; SIGReg along `config.directions` directions drawn from (seed, step 0), on
/// every `sigreg_stride`-th row of z: the statistic assumes independent samples, and neighbouring
/// time bins are not.
inline CollapseDiagnostics collapse_diagnostics(eval::ConstMat z, const SigRegConfig& config = {},
                                                std::uint64_t seed = 0, Index sigreg_stride = 1) {
    require(sigreg_stride >= 1, "jepa::collapse_diagnostics", "SIGReg stride is ", sigreg_stride,
            ", expected >= 1");
    CollapseDiagnostics d;
    d.effective_rank = eval::effective_rank(z, false);
    d.effective_rank_centred = eval::effective_rank(z, true);
    d.variance = (z.rowwise() - z.colwise().mean()).colwise().squaredNorm().transpose() /
                 static_cast<double>(std::max<Index>(z.rows() - 1, 1));
    std::vector<Index> thinned;
    for (Index i = 0; i < z.rows(); i += sigreg_stride)
        thinned.push_back(i);
    d.sigreg = sigreg<double>(eval::take_rows(z, thinned), config, seed, 0);
    d.sigreg_samples = static_cast<Index>(thinned.size());
    return d;
}

}  // namespace jepasnn::jepa
