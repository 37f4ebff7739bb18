// The distillation objective on one batch (DESIGN.md, "Distillation loss"): the Deep CCA loss
// (Andrew et al., ICML 2013; cca/deep_cca_loss.hpp) between the student readout and the teacher
// latents over every post-burn-in bin of the batch, whose gradient becomes dL/d(readout); the
// homeostatic and weight penalties are added by the network itself (lif::Network::backward).
#pragma once

#include <cmath>
#include <limits>

#include "../cca/deep_cca_loss.hpp"
#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::distill {

struct CcaLossTerm {
    double loss = 0.0;      // cca_weight · (−Σρ); 0 while the readout is constant
    double mean_cca = 0.0;  // mean ρ of the batch
    bool finite = true;     // false: the readout held NaN/Inf (nothing was differentiated)
};

/// readout (B, W, D), targets (B, W, d): rows b·W + k with k >= burn_in enter the loss. Writes
/// d_readout (B, W, D) = cca_weight · ∂(−Σρ)/∂readout (zero on burn-in bins). A readout without
/// variance over the batch (a silent student) contributes no CCA term, so homeostasis alone can
/// wake the network instead of the loss failing.
template <class T>
CcaLossTerm cca_loss(Tensor<T, 3>& d_readout, const Tensor<T, 3>& readout,
                     const Tensor<double, 3>& targets, Index burn_in, double ridge,
                     double cca_weight) {
    constexpr const char* where = "distill::cca_loss";
    const Index b = static_cast<Index>(readout.shape(0)), w = static_cast<Index>(readout.shape(1));
    const Index dy = static_cast<Index>(readout.shape(2)),
                dz = static_cast<Index>(targets.shape(2));
    require(static_cast<Index>(targets.shape(0)) == b && static_cast<Index>(targets.shape(1)) == w,
            where, "targets are ", targets.shape(0), "x", targets.shape(1), ", readout ", b, "x",
            w);
    require(burn_in >= 0 && burn_in < w, where, "burn_in is ", burn_in, " for windows of ", w);
    const Index kept = w - burn_in, m = b * kept;
    d_readout = Tensor<T, 3>(readout.shape());
    d_readout.fill(T(0));
    RowMatrix<double> h1(m, dy), h2(m, dz);  // (m, D), (m, d)
    for (Index i = 0; i < b; ++i) {
        h1.middleRows(i * kept, kept) =
            Eigen::Map<const RowMatrix<T>>(readout.data() + (i * w + burn_in) * dy, kept, dy)
                .template cast<double>();
        h2.middleRows(i * kept, kept) =
            Eigen::Map<const RowMatrix<double>>(targets.data() + (i * w + burn_in) * dz, kept, dz);
    }
    CcaLossTerm out;
    if (!h1.allFinite()) {
        out.finite = false;
        out.loss = std::numeric_limits<double>::quiet_NaN();
        return out;
    }
    const RowMatrix<double> centred = h1.rowwise() - h1.colwise().mean();
    if (centred.squaredNorm() == 0.0) return out;  // silent or constant readout
    cca::DeepCcaCache cache;
    cca::deep_cca_forward(cache, h1, h2, {ridge, 0});
    RowMatrix<double> dh1 = RowMatrix<double>::Zero(m, dy);  // (m, D)
    cca::deep_cca_backward<double>(&dh1, nullptr, cache, cca_weight);
    for (Index i = 0; i < b; ++i)
        Eigen::Map<RowMatrix<T>>(d_readout.data() + (i * w + burn_in) * dy, kept, dy) =
            dh1.middleRows(i * kept, kept).template cast<T>();
    out.loss = cca_weight * cache.loss;
    out.mean_cca = cache.correlations.mean();
    return out;
}

}  // namespace jepasnn::distill
