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
//
// A batch split over shards (data-parallel training, core/shard_tree.hpp) is reduced in two sums:
// the column sums of both views (for the batch means), then the centred products scaled by
// 1/(m − 1) (the covariances). deep_cca_rows and deep_cca_products give one shard's part of each;
// deep_cca_statistic finishes the loss from the summed products, and deep_cca_backward gives the
// gradient of each shard's own rows. deep_cca_forward is their composition with one shard.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string_view>
#include <vector>

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

/// One shard's rows of both views in double: as taken by deep_cca_rows, then centred on the whole
/// batch's means by deep_cca_products.
struct DeepCcaRows {
    RowMatrix<double> h1c;  // (m_s, d1)
    RowMatrix<double> h2c;  // (m_s, d2)
};

/// What the backward needs of the whole batch, filled by deep_cca_statistic.
struct DeepCcaStatistic {
    Index rows = 0;               // m, the batch's rows over every shard
    Matrix<double> grad_s11;      // (d1, d1) ∂corr/∂S11, ridge dependence included
    Matrix<double> grad_s22;      // (d2, d2)
    Matrix<double> grad_s12;      // (d1, d2) ∂corr/∂S12
    Vector<double> correlations;  // (c) the ρ_i summed, descending
    double loss = 0.0;            // −Σρ_i
};

/// A batch held whole (one shard), filled by deep_cca_forward.
struct DeepCcaCache : DeepCcaRows, DeepCcaStatistic {};

/// Sizes of the two sums a sharded batch reduces: the column sums [Σ H1 (d1), Σ H2 (d2)] and the
/// scaled centred products [S11 (d1·d1), S22 (d2·d2), S12 (d1·d2)], each column-major.
constexpr Index deep_cca_sums_size(Index d1, Index d2) {
    return d1 + d2;
}
constexpr Index deep_cca_products_size(Index d1, Index d2) {
    return d1 * d1 + d2 * d2 + d1 * d2;
}

namespace detail {

/// The checks on the whole batch's shape and the options; returns the correlations summed, c.
inline Index deep_cca_components(std::string_view where, Index m, Index d1, Index d2,
                                 const DeepCcaOptions& options) {
    require(d1 >= 1 && d2 >= 1, where, "empty view: H1 has ", d1, " columns, H2 ", d2);
    require(m > std::max(d1, d2), where, "batch of ", m, " rows must exceed the latent width ",
            std::max(d1, d2), " (d1 = ", d1, ", d2 = ", d2,
            "): the minibatch covariance would be singular; use batch >> latent dimension");
    require(std::isfinite(options.ridge) && options.ridge >= 0.0, where,
            "ridge must be finite and >= 0, found ", options.ridge);
    const Index k = std::min(d1, d2);
    require(options.components >= 0 && options.components <= k, where, "components must be in [0, ",
            k, "], found ", options.components);
    return options.components == 0 ? k : options.components;
}

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
void take_rows(std::string_view where, std::string_view view, const Eigen::MatrixBase<D>& h,
               RowMatrix<double>& out, std::span<double> sums) {
    require_cca_scalar<D>();
    const ConstRowRef<typename D::Scalar> hr(h.derived());
    require_finite(where, view, hr);
    out = hr.template cast<double>();  // (m_s, d)
    const Eigen::RowVectorXd sum = out.colwise().sum();
    std::copy(sum.data(), sum.data() + sum.size(), sums.begin());
}

}  // namespace detail

/// One shard's first part: takes its rows of H1 (m_s × d1) and H2 (m_s × d2), float or double,
/// into `rows` and writes their column sums to `sums` (deep_cca_sums_size(d1, d2) values).
/// Throws Error for NaN/Inf or rows that differ between the views.
template <class D1, class D2>
void deep_cca_rows(DeepCcaRows& rows, const Eigen::MatrixBase<D1>& h1,
                   const Eigen::MatrixBase<D2>& h2, std::span<double> sums) {
    constexpr std::string_view where = "cca::deep_cca_rows";
    require(h2.rows() == h1.rows(), where, "H1 has ", h1.rows(), " rows and H2 has ", h2.rows(),
            ", expected the same batch");
    require(static_cast<Index>(sums.size()) == deep_cca_sums_size(h1.cols(), h2.cols()), where,
            "sums hold ", sums.size(), " values, expected ",
            deep_cca_sums_size(h1.cols(), h2.cols()));
    detail::take_rows(where, "H1", h1, rows.h1c, sums.first(static_cast<std::size_t>(h1.cols())));
    detail::take_rows(where, "H2", h2, rows.h2c, sums.last(static_cast<std::size_t>(h2.cols())));
}

/// One shard's second part: centres `rows` on the batch means (`sums`: every shard's column sums
/// added, over `m` rows in all) and writes its scaled products [H̄1ᵀH̄1, H̄2ᵀH̄2, H̄1ᵀH̄2]/(m − 1)
/// to `products` (deep_cca_products_size(d1, d2) values).
inline void deep_cca_products(DeepCcaRows& rows, std::span<const double> sums, Index m,
                              std::span<double> products) {
    constexpr std::string_view where = "cca::deep_cca_products";
    const Index d1 = rows.h1c.cols(), d2 = rows.h2c.cols();
    require(static_cast<Index>(sums.size()) == deep_cca_sums_size(d1, d2) &&
                static_cast<Index>(products.size()) == deep_cca_products_size(d1, d2),
            where, "sums/products hold ", sums.size(), "/", products.size(), " values, expected ",
            deep_cca_sums_size(d1, d2), "/", deep_cca_products_size(d1, d2));
    require(m >= 2, where, "the batch has ", m, " rows, expected at least 2");
    const auto mean = [&](Index first, Index d) {
        return Eigen::RowVectorXd(Eigen::Map<const Eigen::RowVectorXd>(sums.data() + first, d) /
                                  static_cast<double>(m));
    };
    rows.h1c.rowwise() -= mean(0, d1);
    rows.h2c.rowwise() -= mean(d1, d2);
    const double norm = 1.0 / static_cast<double>(m - 1);
    double* out = products.data();
    Eigen::Map<Matrix<double>>(out, d1, d1).noalias() = norm * rows.h1c.transpose() * rows.h1c;
    out += d1 * d1;
    Eigen::Map<Matrix<double>>(out, d2, d2).noalias() = norm * rows.h2c.transpose() * rows.h2c;
    out += d2 * d2;
    Eigen::Map<Matrix<double>>(out, d1, d2).noalias() = norm * rows.h1c.transpose() * rows.h2c;
}

/// The whole batch's loss −Σρ_i from every shard's products added (`products`, over `m` rows of
/// widths d1, d2); fills `st` for the backward. Throws Error when the batch does not exceed the
/// latent width (m <= max(d1, d2): the sample covariance is then singular and the objective
/// degenerate), for a constant view or a singular ridged covariance.
inline double deep_cca_statistic(DeepCcaStatistic& st, std::span<const double> products, Index m,
                                 Index d1, Index d2, const DeepCcaOptions& options = {}) {
    constexpr std::string_view where = "cca::deep_cca_statistic";
    const Index c = detail::deep_cca_components(where, m, d1, d2, options);
    require(static_cast<Index>(products.size()) == deep_cca_products_size(d1, d2), where,
            "products hold ", products.size(), " values, expected ",
            deep_cca_products_size(d1, d2));
    const double* in = products.data();
    const Eigen::Map<const Matrix<double>> s11(in, d1, d1), s22(in + d1 * d1, d2, d2),
        s12(in + d1 * d1 + d2 * d2, d1, d2);
    const Matrix<double> a = detail::inverse_sqrt_ridged(where, "H1", s11, options.ridge);
    const Matrix<double> b = detail::inverse_sqrt_ridged(where, "H2", s22, options.ridge);
    const Matrix<double> t = a * s12 * b;  // (d1, d2)
    const Eigen::BDCSVD<Matrix<double>> svd(t, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Matrix<double> u = svd.matrixU().leftCols(c);  // (d1, c)
    const Matrix<double> v = svd.matrixV().leftCols(c);  // (d2, c)
    st.rows = m;
    st.correlations = svd.singularValues().head(c);  // (c)

    st.grad_s12 = a * u * v.transpose() * b;                                        // (d1, d2)
    st.grad_s11 = -0.5 * a * u * st.correlations.asDiagonal() * u.transpose() * a;  // (d1, d1)
    st.grad_s22 = -0.5 * b * v * st.correlations.asDiagonal() * v.transpose() * b;  // (d2, d2)
    // r = ε·tr(S)/d: d corr += tr(∇)·(ε/d)·tr(dS).
    st.grad_s11.diagonal().array() += options.ridge * st.grad_s11.trace() / double(d1);
    st.grad_s22.diagonal().array() += options.ridge * st.grad_s22.trace() / double(d2);
    st.loss = -st.correlations.sum();
    return st.loss;
}

/// Forward of a batch held whole: fills `cache` and returns the loss −Σρ_i. H1 is the (m × d1)
/// minibatch of one view (e.g. the student readout), H2 the (m × d2) other (e.g. the teacher
/// latents); float or double. Throws Error as deep_cca_rows and deep_cca_statistic do.
template <class D1, class D2>
double deep_cca_forward(DeepCcaCache& cache, const Eigen::MatrixBase<D1>& h1,
                        const Eigen::MatrixBase<D2>& h2, const DeepCcaOptions& options = {}) {
    const Index m = h1.rows(), d1 = h1.cols(), d2 = h2.cols();
    require(h2.rows() == m, "cca::deep_cca_forward", "H1 has ", m, " rows and H2 has ", h2.rows(),
            ", expected the same batch");
    detail::deep_cca_components("cca::deep_cca_forward", m, d1, d2, options);
    std::vector<double> sums(static_cast<std::size_t>(deep_cca_sums_size(d1, d2)));
    std::vector<double> products(static_cast<std::size_t>(deep_cca_products_size(d1, d2)));
    deep_cca_rows(cache, h1, h2, sums);
    deep_cca_products(cache, sums, m, products);
    return deep_cca_statistic(cache, products, m, d1, d2, options);
}

/// Backward of one shard's rows: dh1 += dloss·∂loss/∂H1 (m_s × d1) and dh2 += dloss·∂loss/∂H2
/// (m_s × d2), added into the buffers (zero them once per step). Pass nullptr for a view held
/// constant (e.g. the teacher's latents): its gradient is then not computed at all.
template <class T>
void deep_cca_backward(RowMatrix<T>* dh1, RowMatrix<T>* dh2, const DeepCcaRows& rows,
                       const DeepCcaStatistic& st, double dloss = 1.0) {
    static_assert(CcaScalar<T>, "cca::deep_cca_backward: gradients are float or double");
    constexpr std::string_view where = "cca::deep_cca_backward";
    require(st.rows >= 2, where, "the cache is empty: call deep_cca_forward first");
    // loss = −corr, so ∂loss/∂H = −∂corr/∂H.
    const double scale = -dloss / static_cast<double>(st.rows - 1);
    if (dh1 != nullptr) {
        require_shape(where, "dh1", *dh1, rows.h1c.rows(), rows.h1c.cols());
        const RowMatrix<double> g = scale * (2.0 * rows.h1c * st.grad_s11 +
                                             rows.h2c * st.grad_s12.transpose());  // (m_s, d1)
        *dh1 += g.cast<T>();
    }
    if (dh2 != nullptr) {
        require_shape(where, "dh2", *dh2, rows.h2c.rows(), rows.h2c.cols());
        const RowMatrix<double> g =
            scale * (2.0 * rows.h2c * st.grad_s22 + rows.h1c * st.grad_s12);  // (m_s, d2)
        *dh2 += g.cast<T>();
    }
}

/// Backward of a batch held whole (deep_cca_forward's cache).
template <class T>
void deep_cca_backward(RowMatrix<T>* dh1, RowMatrix<T>* dh2, const DeepCcaCache& cache,
                       double dloss = 1.0) {
    deep_cca_backward(dh1, dh2, static_cast<const DeepCcaRows&>(cache),
                      static_cast<const DeepCcaStatistic&>(cache), dloss);
}

}  // namespace jepasnn::cca
