// Similarity measures as policies: one scalar per pair of views, so that the null distributions
// and cross-validation work the same way for every member of the family. The concept below is the
// one place that says what a measure must provide.
#pragma once

#include <concepts>
#include <span>
#include <string>
#include <string_view>

#include "canonical_correlations.hpp"
#include "cka.hpp"
#include "procrustes.hpp"
#include "pwcca.hpp"
#include "svcca.hpp"

namespace jepasnn::cca {

/// SimilarityMeasure: a policy that scores two views of the same samples with one number, larger
/// meaning more similar. It provides
///   std::string statistic() const;                     // what the number is, e.g. "mean_cca"
///   double operator()(const ConstRowRef<double>& x,    // (n, p) rows = samples
///                     const ConstRowRef<double>& y) const;   // (n, q), same n
/// Example: struct MyMeasure { std::string statistic() const { return "my"; }
///                              double operator()(const ConstRowRef<double>& x,
///                                                const ConstRowRef<double>& y) const; };
template <class M>
concept SimilarityMeasure = requires(const M& measure, const ConstRowRef<double>& x,
                                     const ConstRowRef<double>& y) {
    { measure.statistic() } -> std::convertible_to<std::string>;
    { measure(x, y) } -> std::convertible_to<double>;
};

/// Optional fast path for resampling: a measure that can preprocess both views once and then
/// score them with Y's rows taken in any order (null samples reorder Y). It also provides
///   Prepared prepare(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const;
///   double score(const Prepared&, std::span<const Index> y_order) const;   // y_order: length n
/// and score(prepare(x, y), identity) must equal measure(x, y) up to rounding.
template <class M>
concept PreparedSimilarityMeasure = SimilarityMeasure<M> &&
    requires(const M& measure, const ConstRowRef<double>& x, const ConstRowRef<double>& y,
             const typename M::Prepared& prepared, std::span<const Index> order) {
    { measure.prepare(x, y) } -> std::same_as<typename M::Prepared>;
    { measure.score(prepared, order) } -> std::convertible_to<double>;
};

/// Which scalar summarizes a set of canonical correlations.
enum class CcaSummary {
    mean,    // mean ρ_i ("mean CCA", the mission's success metric)
    r2,      // mean ρ_i² (R²_CCA)
    sum_r2,  // Σρ_i², whose chance level is pq/(n − 1) (chance_level)
    top      // ρ_1
};

inline std::string summary_name(CcaSummary s) {
    switch (s) {
        case CcaSummary::mean:
            return "mean_cca";
        case CcaSummary::r2:
            return "r2_cca";
        case CcaSummary::sum_r2:
            return "sum_r2_cca";
        default:
            return "top_cca";
    }
}

inline double summarize(const Vector<double>& rho, CcaSummary s) {
    JEPASNN_DEBUG_ASSERT(rho.size() > 0, "summarizing no correlations");
    switch (s) {
        case CcaSummary::mean:
            return rho.mean();
        case CcaSummary::r2:
            return rho.squaredNorm() / static_cast<double>(rho.size());
        case CcaSummary::sum_r2:
            return rho.squaredNorm();
        default:
            return rho(0);
    }
}

/// Classical (or ridge) CCA summarized by one number. Invariant to invertible linear maps of
/// either view (ridge: orthogonal maps and isotropic scaling only) and translation.
struct Cca {
    CcaOptions options{};
    CcaSummary summary = CcaSummary::mean;

    std::string statistic() const { return summary_name(summary); }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        return summarize(canonical_correlations(x, y, options).correlations, summary);
    }

    /// Whitened views W_x = Xc·S_x (n × r_x) with W_xᵀW_y's singular values the canonical
    /// correlations; reordering Y's rows reorders W_y's, so a null sample costs one (r_x × r_y)
    /// product of length n instead of a new factorization.
    struct Prepared {
        RowMatrix<double> wx;  // (n, r_x)
        RowMatrix<double> wy;  // (n, r_y)
        Index components = 0;  // k = min(rank_x, rank_y)
    };
    Prepared prepare(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        constexpr std::string_view where = "cca::Cca::prepare";
        detail::check_pair(where, x, y);
        detail::check_options(where, options);
        const ScatterFactor f = detail::factor_rows(where, x, y);
        const double tol = detail::rank_tolerance(options, f);
        const detail::FittedPairs fit = detail::fitted_pairs(where, f, options.ridge, tol);
        Prepared out;
        out.components = std::min(fit.rank_x, fit.rank_y);
        out.wx = (x.rowwise() - f.mean.head(f.p).transpose()) * fit.pairs.x.solve;
        out.wy = (y.rowwise() - f.mean.tail(f.q).transpose()) * fit.pairs.y.solve;
        return out;
    }
    double score(const Prepared& prepared, std::span<const Index> y_order) const {
        const Index n = prepared.wy.rows();
        JEPASNN_DEBUG_ASSERT(static_cast<Index>(y_order.size()) == n, "order length");
        RowMatrix<double> wy(n, prepared.wy.cols());  // (n, r_y) W_y with its rows reordered
        for (Index t = 0; t < n; ++t)
            wy.row(t) = prepared.wy.row(y_order[static_cast<std::size_t>(t)]);
        const Matrix<double> cross = prepared.wx.transpose() * wy;  // (r_x, r_y)
        const Eigen::BDCSVD<Matrix<double>> svd(cross);
        const Vector<double> rho =
            svd.singularValues().head(prepared.components).cwiseMax(0.0).cwiseMin(1.0);
        return summarize(rho, summary);
    }
};

/// SVCCA similarity (mean correlation between the 99%-variance principal subspaces).
struct Svcca {
    SvccaOptions options{};
    std::string statistic() const { return "svcca"; }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        return svcca(x, y, options).similarity;
    }
};

/// Projection-weighted CCA, X being the representation explained.
struct Pwcca {
    PwccaOptions options{};
    std::string statistic() const { return "pwcca"; }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        return pwcca(x, y, options).similarity;
    }
};

/// Linear CKA.
struct LinearCka {
    std::string statistic() const { return "linear_cka"; }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        return linear_cka(x, y);
    }
};

/// Debiased linear CKA.
struct DebiasedCka {
    std::string statistic() const { return "debiased_cka"; }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        return debiased_cka(x, y);
    }
};

/// Procrustes similarity cos(θ) (larger = more similar, so that nulls read the same way).
struct ProcrustesSimilarity {
    std::string statistic() const { return "procrustes_similarity"; }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        return angular_procrustes(x, y).similarity;
    }
};

/// Mean over columns of the Pearson correlation between x's column i and y's column i (views of
/// equal width): how well paired signals such as held-out canonical variates agree. A column with
/// zero variance contributes 0.
struct MeanPairedCorrelation {
    std::string statistic() const { return "mean_paired_correlation"; }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const;
};

namespace detail {
/// Pearson correlation of columns i of x and y, 0 when either has zero variance.
inline Vector<double> paired_correlations(std::string_view where, const ConstRowRef<double>& x,
                                          const ConstRowRef<double>& y) {
    require(x.rows() == y.rows() && x.cols() == y.cols(), where, "views are ", x.rows(), "x",
            x.cols(), " and ", y.rows(), "x", y.cols(), ", expected the same shape");
    require(x.rows() >= 2, where, "needs at least 2 samples, found ", x.rows());
    const RowVector<double> mx = x.colwise().mean(), my = y.colwise().mean();  // (k)
    Vector<double> sxy = Vector<double>::Zero(x.cols());                       // (k)
    Vector<double> sxx = sxy, syy = sxy;
    for (Index t = 0; t < x.rows(); ++t) {
        const RowVector<double> dx = x.row(t) - mx, dy = y.row(t) - my;
        sxy += dx.cwiseProduct(dy).transpose();
        sxx += dx.cwiseAbs2().transpose();
        syy += dy.cwiseAbs2().transpose();
    }
    Vector<double> r(x.cols());  // (k)
    for (Index i = 0; i < x.cols(); ++i)
        r(i) = sxx(i) > 0.0 && syy(i) > 0.0 ? sxy(i) / std::sqrt(sxx(i) * syy(i)) : 0.0;
    return r;
}
}  // namespace detail

inline double MeanPairedCorrelation::operator()(const ConstRowRef<double>& x,
                                                const ConstRowRef<double>& y) const {
    return detail::paired_correlations("cca::MeanPairedCorrelation", x, y).mean();
}

static_assert(PreparedSimilarityMeasure<Cca>);
static_assert(SimilarityMeasure<Svcca> && SimilarityMeasure<Pwcca> &&
              SimilarityMeasure<LinearCka> && SimilarityMeasure<DebiasedCka> &&
              SimilarityMeasure<ProcrustesSimilarity> && SimilarityMeasure<MeanPairedCorrelation>);

}  // namespace jepasnn::cca
