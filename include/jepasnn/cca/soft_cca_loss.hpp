// Soft CCA: the whitening-free alternative to the Deep CCA loss (Chang, Xiao & Mohan, "Scalable
// and effective deep CCA via soft decorrelation", CVPR 2018). Instead of whitening each minibatch
// (which needs batch >> width and an O(d³) inverse square root), it pulls batch-standardized views
// together and softly penalizes correlations between the dimensions of each view, measured on a
// running average over minibatches (their Stochastic Decorrelation Loss, SDL):
//   z = standardized H (per column: centred, unit variance with (m − 1)),
//   L_dist = ‖z1 − z2‖²_F / m  = 2(m − 1)/m · Σ_i (1 − corr(h1_i, h2_i)),
//   C = zᵀz/(m − 1) (the batch correlation matrix), Σ̂_t = α·Σ̂_{t−1} + C, c_t = α·c_{t−1} + 1,
//   Φ = Σ̂_t / c_t,  L_SDL = Σ_{i≠j} |Φ_ij|,
//   L = L_dist + λ·(L_SDL(z1) + L_SDL(z2)).
// The running part α·Σ̂_{t−1} is a constant of the current step (Chang et al., eq. 7): gradients
// flow only through this batch's C. Works for any batch >= 2, also batch <= width.
#pragma once

#include <cmath>
#include <string_view>

#include "views.hpp"

namespace jepasnn::cca {

struct SoftCcaOptions {
    double decorrelation = 1.0;  // λ >= 0, weight of the two SDL terms
    double decay = 0.9;          // α in [0, 1): memory of the running correlation matrices
};

/// Per-step values the backward and the state update need, filled by soft_cca_forward.
struct SoftCcaCache {
    RowMatrix<double> z1, z2;     // (m, d) standardized batches
    Vector<double> sd1, sd2;      // (d) their column standard deviations
    Matrix<double> running1;      // (d, d) α·Σ̂_{t−1} + C1, the next state
    Matrix<double> running2;      // (d, d)
    Matrix<double> dsdl1, dsdl2;  // (d, d) λ·∂L_SDL/∂C: sign(Φ_ij)/c_t off the diagonal
    double weight = 0.0;          // c_t
    double distance = 0.0;        // L_dist
    double decorrelation = 0.0;   // L_SDL(z1) + L_SDL(z2)
    double loss = 0.0;            // L
};

/// The running correlation matrices Σ̂ of both views and their normalizer c (empty at start).
struct SoftCcaState {
    Matrix<double> running1, running2;  // (d, d)
    double weight = 0.0;

    /// Commits the step's batch: Σ̂_t and c_t become the state (after the optimizer step).
    void update(const SoftCcaCache& cache) {
        running1 = cache.running1;
        running2 = cache.running2;
        weight = cache.weight;
    }
};

namespace detail {

/// Standardizes the columns of h: z = (h − mean)/sd with sd over m − 1.
template <class D>
void standardize_batch(RowMatrix<double>& z, Vector<double>& sd, std::string_view where,
                       std::string_view view, const Eigen::MatrixBase<D>& h) {
    require_cca_scalar<D>();
    const ConstRowRef<typename D::Scalar> hr(h.derived());
    require_finite(where, view, hr);
    z = hr.template cast<double>();
    z.rowwise() -= z.colwise().mean();
    sd = (z.colwise().squaredNorm() / static_cast<double>(z.rows() - 1)).cwiseSqrt().transpose();
    for (Index j = 0; j < sd.size(); ++j)
        require(sd(j) > 0.0, where, view, " column ", j, " is constant over the batch");
    z = z * sd.cwiseInverse().asDiagonal();
}

/// One view's SDL: updates its running matrix, returns Σ_{i≠j}|Φ_ij| and fills λ·∂/∂C.
inline double stochastic_decorrelation(Matrix<double>& running, Matrix<double>& dsdl,
                                       const RowMatrix<double>& z, const Matrix<double>& previous,
                                       double weight, const SoftCcaOptions& o) {
    const Index d = z.cols();
    running = z.transpose() * z / static_cast<double>(z.rows() - 1);  // (d, d) C
    if (previous.size() > 0) running += o.decay * previous;
    dsdl = Matrix<double>::Zero(d, d);
    double sdl = 0.0;
    for (Index j = 0; j < d; ++j)
        for (Index i = 0; i < d; ++i) {
            if (i == j) continue;
            const double phi = running(i, j) / weight;
            sdl += std::abs(phi);
            dsdl(i, j) = o.decorrelation * (phi > 0.0 ? 1.0 : (phi < 0.0 ? -1.0 : 0.0)) / weight;
        }
    return sdl;
}

/// dh += through the standardization: with g = ∂L/∂z,
/// ∂L/∂h̄_t = (g_t − z_t·Σ_u g_u z_u/(m − 1))/sd, then minus its column mean (the centring).
template <class T>
void standardize_backward(RowMatrix<T>& dh, const RowMatrix<double>& g, const RowMatrix<double>& z,
                          const Vector<double>& sd) {
    const double m1 = static_cast<double>(z.rows() - 1);
    const RowVector<double> gz = (g.cwiseProduct(z)).colwise().sum() / m1;  // (d)
    RowMatrix<double> dbar = g - z * gz.asDiagonal();                       // (m, d)
    dbar = dbar * sd.cwiseInverse().asDiagonal();
    dbar.rowwise() -= dbar.colwise().mean();
    dh += dbar.cast<T>();
}

}  // namespace detail

/// Forward: fills `cache` (including the next running state) and returns L. H1 and H2 are
/// (m × d) minibatches of equal width, float or double; `state` holds the running correlation
/// matrices from earlier steps (default-constructed for the first). Throws Error for different
/// shapes, m < 2, NaN/Inf, a constant column, bad options, or a state of another width.
template <class D1, class D2>
double soft_cca_forward(SoftCcaCache& cache, const Eigen::MatrixBase<D1>& h1,
                        const Eigen::MatrixBase<D2>& h2, const SoftCcaState& state = {},
                        const SoftCcaOptions& options = {}) {
    constexpr std::string_view where = "cca::soft_cca_forward";
    const Index m = h1.rows(), d = h1.cols();
    require(h2.rows() == m && h2.cols() == d, where, "H1 is ", m, "x", d, " and H2 is ", h2.rows(),
            "x", h2.cols(),
            ", expected the same shape (the distance term pairs "
            "dimensions)");
    require(m >= 2 && d >= 1, where, "needs a batch of at least 2 rows and 1 column, found ", m,
            "x", d);
    require(std::isfinite(options.decorrelation) && options.decorrelation >= 0.0, where,
            "decorrelation weight must be finite and >= 0, found ", options.decorrelation);
    require(options.decay >= 0.0 && options.decay < 1.0, where, "decay must be in [0, 1), found ",
            options.decay);
    require(
        state.running1.size() == 0 || (state.running1.rows() == d && state.running2.rows() == d),
        where, "state is for width ", state.running1.rows(), ", expected ", d);

    detail::standardize_batch(cache.z1, cache.sd1, where, "H1", h1);
    detail::standardize_batch(cache.z2, cache.sd2, where, "H2", h2);
    cache.distance = (cache.z1 - cache.z2).squaredNorm() / static_cast<double>(m);
    cache.weight = options.decay * state.weight + 1.0;
    cache.decorrelation = detail::stochastic_decorrelation(cache.running1, cache.dsdl1, cache.z1,
                                                           state.running1, cache.weight, options) +
                          detail::stochastic_decorrelation(cache.running2, cache.dsdl2, cache.z2,
                                                           state.running2, cache.weight, options);
    cache.loss = cache.distance + options.decorrelation * cache.decorrelation;
    return cache.loss;
}

/// Backward: dh1 += dloss·∂L/∂H1 and dh2 += dloss·∂L/∂H2 (m × d each); nullptr skips a view held
/// constant (e.g. the teacher's latents).
template <class T>
void soft_cca_backward(RowMatrix<T>* dh1, RowMatrix<T>* dh2, const SoftCcaCache& cache,
                       double dloss = 1.0) {
    static_assert(CcaScalar<T>, "cca::soft_cca_backward: gradients are float or double");
    constexpr std::string_view where = "cca::soft_cca_backward";
    const Index m = cache.z1.rows();
    require(m >= 2, where, "the cache is empty: call soft_cca_forward first");
    const double m1 = static_cast<double>(m - 1);
    const RowMatrix<double> ddist =
        (2.0 * dloss / static_cast<double>(m)) * (cache.z1 - cache.z2);  // (m, d) ∂L_dist/∂z1
    if (dh1 != nullptr) {
        require_shape(where, "dh1", *dh1, m, cache.z1.cols());
        // C = zᵀz/(m − 1) with a symmetric ∂L/∂C: ∂/∂z = 2·z·∂L/∂C/(m − 1).
        const RowMatrix<double> g = ddist + (2.0 * dloss / m1) * cache.z1 * cache.dsdl1;
        detail::standardize_backward(*dh1, g, cache.z1, cache.sd1);
    }
    if (dh2 != nullptr) {
        require_shape(where, "dh2", *dh2, m, cache.z2.cols());
        const RowMatrix<double> g = -ddist + (2.0 * dloss / m1) * cache.z2 * cache.dsdl2;
        detail::standardize_backward(*dh2, g, cache.z2, cache.sd2);
    }
}

}  // namespace jepasnn::cca
