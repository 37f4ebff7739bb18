// The Deep CCA objective as a differentiable loss (Andrew, Arora, Bilmes & Livescu, "Deep
// canonical correlation analysis", ICML 2013): loss = −Σρ_i of a minibatch, with a scale-relative
// ridge, and its analytic gradient. The backward never differentiates through the singular vectors
// U and V: it only needs Σ^{−1/2}, U, D, V from the forward (Andrew et al., §2.2).
//
// Rows = samples here (DESIGN.md writes H as features × samples): H1 is (m, d1), H2 is (m, d2),
// H̄ = H − 1·meanᵀ, S11 = H̄1ᵀH̄1/(m − 1), S12 = H̄1ᵀH̄2/(m − 1),
// Σ11 = S11 + r1·I with r1 = ε·tr(S11)/d1, T = Σ11^{−1/2} S12 Σ22^{−1/2} = U D Vᵀ,
// corr = Σ_{i<c} D_ii and, transposing Andrew et al.'s formula,
//   ∂corr/∂H1 = (2·H̄1·∇11 + H̄2·∇12ᵀ)/(m − 1),   ∂corr/∂H2 = (2·H̄2·∇22 + H̄1·∇12)/(m − 1),
//   ∇12 = Σ11^{−1/2} U Vᵀ Σ22^{−1/2},  ∇11 = −½ Σ11^{−1/2} U D Uᵀ Σ11^{−1/2} (∇22 likewise),
// plus the ridge's own dependence on H: r1 moves with tr(S11), which adds (ε/d1)·tr(∇11)·I to ∇11.
// The columns of both terms sum to zero, so the centring needs no extra projection.
#pragma once

#include <cmath>
#include <string_view>

#include "views.hpp"

namespace jepasnn::cca {

struct DeepCcaOptions {
    /// Scale-relative ridge ε > 0 on both views (r = ε·tr(S)/d): keeps Σ^{−1/2} finite when a
    /// minibatch under-determines the covariance. ε = 0 is allowed for full-rank batches.
    double ridge = 1e-3;
    /// Correlations summed: the top c (Wang et al., ICML 2015), 0 = all min(d1, d2) (Andrew et
    /// al.'s total correlation). With c < min(d1, d2) the loss is differentiable where ρ_c > ρ_c+1.
    Index components = 0;
};

/// What the backward needs, filled by deep_cca_forward.
struct DeepCcaCache {
    RowMatrix<double> h1c;        // (m, d1) centred H1
    RowMatrix<double> h2c;        // (m, d2) centred H2
    Matrix<double> grad_s11;      // (d1, d1) ∂corr/∂S11, ridge dependence included
    Matrix<double> grad_s22;      // (d2, d2)
    Matrix<double> grad_s12;      // (d1, d2) ∂corr/∂S12
    Vector<double> correlations;  // (c) the ρ_i summed, descending
    double loss = 0.0;            // −Σρ_i
};

namespace detail {

/// Σ^{−1/2} of the ridged covariance S + ε·tr(S)/d·I (symmetric eigendecomposition).
inline Matrix<double> inverse_sqrt_ridged(std::string_view where, std::string_view view,
                                          const Matrix<double>& s, double ridge) {
    const Index d = s.rows();
    const double trace = s.trace();
    require(trace > 0.0, where, view, " is constant over the batch (zero variance)");
    Matrix<double> ridged = s;  // (d, d)
    ridged.diagonal().array() += ridge * trace / static_cast<double>(d);
    const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(ridged);
    const Vector<double>& lambda = eig.eigenvalues();  // (d) ascending
    require(lambda(0) > 1e-12 * lambda(d - 1), where, view,
            " has a singular covariance over the batch (eigenvalue ", lambda(0),
            "): use a larger ridge or a more varied batch");
    return eig.eigenvectors() * lambda.cwiseSqrt().cwiseInverse().asDiagonal() *
           eig.eigenvectors().transpose();
}

template <class D>
RowMatrix<double> centred_batch(std::string_view where, std::string_view view,
                                const Eigen::MatrixBase<D>& h) {
    require_cca_scalar<D>();
    const ConstRowRef<typename D::Scalar> hr(h.derived());
    require_finite(where, view, hr);
    RowMatrix<double> c = hr.template cast<double>();  // (m, d)
    c.rowwise() -= c.colwise().mean();
    return c;
}

}  // namespace detail

/// Forward: fills `cache` and returns the loss −Σρ_i. H1 is the (m × d1) minibatch of one view
/// (e.g. the student readout), H2 the (m × d2) other (e.g. the teacher latents); float or double.
/// Throws Error when the batch does not exceed the latent width (m <= max(d1, d2): the sample
/// covariance is then singular and the objective degenerate), for NaN/Inf, a constant view, or a
/// singular ridged covariance.
template <class D1, class D2>
double deep_cca_forward(DeepCcaCache& cache, const Eigen::MatrixBase<D1>& h1,
                        const Eigen::MatrixBase<D2>& h2, const DeepCcaOptions& options = {}) {
    constexpr std::string_view where = "cca::deep_cca_forward";
    const Index m = h1.rows(), d1 = h1.cols(), d2 = h2.cols();
    require(h2.rows() == m, where, "H1 has ", m, " rows and H2 has ", h2.rows(),
            ", expected the same batch");
    require(d1 >= 1 && d2 >= 1, where, "empty view: H1 is ", m, "x", d1, ", H2 is ", h2.rows(), "x",
            d2);
    require(m > std::max(d1, d2), where, "batch of ", m, " rows must exceed the latent width ",
            std::max(d1, d2), " (d1 = ", d1, ", d2 = ", d2,
            "): the minibatch covariance would be singular; use batch >> latent dimension");
    require(std::isfinite(options.ridge) && options.ridge >= 0.0, where,
            "ridge must be finite and >= 0, found ", options.ridge);
    const Index k = std::min(d1, d2);
    require(options.components >= 0 && options.components <= k, where, "components must be in [0, ",
            k, "], found ", options.components);
    const Index c = options.components == 0 ? k : options.components;

    cache.h1c = detail::centred_batch(where, "H1", h1);
    cache.h2c = detail::centred_batch(where, "H2", h2);
    const double norm = 1.0 / static_cast<double>(m - 1);
    const Matrix<double> s11 = norm * cache.h1c.transpose() * cache.h1c;  // (d1, d1)
    const Matrix<double> s22 = norm * cache.h2c.transpose() * cache.h2c;  // (d2, d2)
    const Matrix<double> s12 = norm * cache.h1c.transpose() * cache.h2c;  // (d1, d2)
    const Matrix<double> a = detail::inverse_sqrt_ridged(where, "H1", s11, options.ridge);
    const Matrix<double> b = detail::inverse_sqrt_ridged(where, "H2", s22, options.ridge);
    const Matrix<double> t = a * s12 * b;  // (d1, d2)
    const Eigen::BDCSVD<Matrix<double>> svd(t, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Matrix<double> u = svd.matrixU().leftCols(c);  // (d1, c)
    const Matrix<double> v = svd.matrixV().leftCols(c);  // (d2, c)
    cache.correlations = svd.singularValues().head(c);   // (c)

    cache.grad_s12 = a * u * v.transpose() * b;  // (d1, d2)
    cache.grad_s11 =
        -0.5 * a * u * cache.correlations.asDiagonal() * u.transpose() * a;  // (d1, d1)
    cache.grad_s22 =
        -0.5 * b * v * cache.correlations.asDiagonal() * v.transpose() * b;  // (d2, d2)
    // r = ε·tr(S)/d: d corr += tr(∇)·(ε/d)·tr(dS).
    cache.grad_s11.diagonal().array() += options.ridge * cache.grad_s11.trace() / double(d1);
    cache.grad_s22.diagonal().array() += options.ridge * cache.grad_s22.trace() / double(d2);
    cache.loss = -cache.correlations.sum();
    return cache.loss;
}

/// Backward: dh1 += dloss·∂loss/∂H1 (m × d1) and dh2 += dloss·∂loss/∂H2 (m × d2), added into
/// the buffers (zero them once per step). Pass nullptr for a view held constant (e.g. the
/// teacher's latents): its gradient is then not computed at all.
template <class T>
void deep_cca_backward(RowMatrix<T>* dh1, RowMatrix<T>* dh2, const DeepCcaCache& cache,
                       double dloss = 1.0) {
    static_assert(CcaScalar<T>, "cca::deep_cca_backward: gradients are float or double");
    constexpr std::string_view where = "cca::deep_cca_backward";
    const Index m = cache.h1c.rows();
    require(m >= 2, where, "the cache is empty: call deep_cca_forward first");
    // loss = −corr, so ∂loss/∂H = −∂corr/∂H.
    const double scale = -dloss / static_cast<double>(m - 1);
    if (dh1 != nullptr) {
        require_shape(where, "dh1", *dh1, m, cache.h1c.cols());
        const RowMatrix<double> g = scale * (2.0 * cache.h1c * cache.grad_s11 +
                                             cache.h2c * cache.grad_s12.transpose());  // (m, d1)
        *dh1 += g.cast<T>();
    }
    if (dh2 != nullptr) {
        require_shape(where, "dh2", *dh2, m, cache.h2c.cols());
        const RowMatrix<double> g =
            scale * (2.0 * cache.h2c * cache.grad_s22 + cache.h1c * cache.grad_s12);  // (m, d2)
        *dh2 += g.cast<T>();
    }
}

}  // namespace jepasnn::cca
