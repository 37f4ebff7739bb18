// Held-out canonical correlations: fit the weights on training rows, report how well the projected
// held-out rows correlate. In-sample CCA rises with p and q even for unrelated data (chance
// pq/(n − 1)); held-out correlations of unrelated data are centred on 0. Folds are contiguous
// blocks of rows (time series: a random split would leak through autocorrelation), optionally
// separated from the training rows by a gap (hv-block cross-validation, Racine, J. Econometrics 99,
// 2000).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "null_distribution.hpp"

namespace jepasnn::cca {

/// Held-out correlations of one fitted model.
struct HeldoutCca {
    CcaResult model;               // fitted on the training rows
    RowMatrix<double> variates_x;  // (n_test, k) canonical variates of the held-out X rows
    RowMatrix<double> variates_y;  // (n_test, k)
    Vector<double> correlations;   // (k) corr(u_i, v_i) on the held-out rows, in the model's order
    double mean_cca = 0.0;         // mean of correlations (can be < 0)
};

/// Correlates the canonical variates of (x_test, y_test) under a fitted model, component by
/// component (a component with zero held-out variance counts 0); the model may come from the
/// factor of a CovarianceAccumulator that saw the training rows as they streamed by.
/// Throws Error for bad shapes, NaN/Inf, or fewer than 2 test rows.
template <class EX, class EY>
HeldoutCca heldout_cca(CcaResult model, const Eigen::MatrixBase<EX>& x_test,
                       const Eigen::MatrixBase<EY>& y_test) {
    constexpr std::string_view where = "cca::heldout_cca";
    require(x_test.rows() == y_test.rows(), where, "X_test has ", x_test.rows(),
            " rows and Y_test has ", y_test.rows(), ", expected the same number");
    require(x_test.rows() >= 2, where, "needs at least 2 test rows, found ", x_test.rows());
    HeldoutCca out;
    out.model = std::move(model);
    out.variates_x = out.model.project_x(x_test);
    out.variates_y = out.model.project_y(y_test);
    out.correlations = detail::paired_correlations(where, out.variates_x, out.variates_y);
    out.mean_cca = out.correlations.mean();
    return out;
}

/// Fits CCA on (x_train, y_train) and scores it on (x_test, y_test) as above.
template <class DX, class DY, class EX, class EY>
HeldoutCca heldout_cca(const Eigen::MatrixBase<DX>& x_train, const Eigen::MatrixBase<DY>& y_train,
                       const Eigen::MatrixBase<EX>& x_test, const Eigen::MatrixBase<EY>& y_test,
                       const CcaOptions& options = {}) {
    CcaOptions fit = options;
    fit.variates = false;
    return heldout_cca(canonical_correlations(x_train, y_train, fit), x_test, y_test);
}

struct CrossValidationOptions {
    Index folds = 5;   // contiguous blocks of rows, K >= 2
    Index gap = 0;     // rows dropped from training on each side of the test block
    CcaOptions cca{};  // ridge and rank tolerance of every fit
};

struct CrossValidatedCcaResult {
    Matrix<double> fold_correlations;  // (folds, k) held-out correlations per fold
    Vector<double> correlations;       // (k) their mean over folds
    double mean_cca = 0.0;             // mean of correlations: "cca_heldout"
};

namespace detail {
/// Rows [begin, end) of fold f of K over n rows (the first n % K folds one row longer).
inline std::pair<Index, Index> fold_rows(Index n, Index folds, Index f) {
    const Index base = n / folds, extra = n % folds;
    const Index begin = f * base + std::min(f, extra);
    return {begin, begin + base + (f < extra ? 1 : 0)};
}
}  // namespace detail

/// K-fold cross-validated CCA over contiguous blocks: each block is held out once, the model is
/// fitted on the rows outside it (and outside the gap; the two training pieces are factored
/// separately and merged, no copy of the data), and the held-out correlations are averaged over
/// folds. k is the smallest number of components any fold's model has.
template <class DX, class DY>
CrossValidatedCcaResult cross_validated_cca(const Eigen::MatrixBase<DX>& x,
                                            const Eigen::MatrixBase<DY>& y,
                                            const CrossValidationOptions& options = {}) {
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    constexpr std::string_view where = "cca::cross_validated_cca";
    const ConstRowRef<typename DX::Scalar> xr(x.derived());
    const ConstRowRef<typename DY::Scalar> yr(y.derived());
    detail::check_pair(where, xr, yr);
    const Index n = xr.rows();
    require(options.folds >= 2, where, "needs at least 2 folds, found ", options.folds);
    require(options.gap >= 0, where, "gap must be >= 0, found ", options.gap);
    require(n / options.folds >= 2, where, n, " rows are too few for ", options.folds,
            " folds, expected at least 2 rows per fold");

    std::vector<Vector<double>> per_fold(static_cast<std::size_t>(options.folds));
    Index k = std::min(xr.cols(), yr.cols());
    for (Index f = 0; f < options.folds; ++f) {
        const auto [begin, end] = detail::fold_rows(n, options.folds, f);
        const Index before = std::max<Index>(0, begin - options.gap);
        const Index after = std::min(n, end + options.gap);
        require(before + (n - after) >= std::max(xr.cols(), yr.cols()) + 1, where, "fold ", f,
                " leaves ", before + (n - after), " training rows for ", xr.cols(), " and ",
                yr.cols(), " columns, expected at least ", std::max(xr.cols(), yr.cols()) + 1);
        ScatterFactor train;
        if (before > 0)
            train = detail::factor_rows(where, ConstRowRef<typename DX::Scalar>(xr.topRows(before)),
                                        ConstRowRef<typename DY::Scalar>(yr.topRows(before)));
        if (after < n)
            train = detail::merge_factors(
                train, detail::factor_rows(
                           where, ConstRowRef<typename DX::Scalar>(xr.bottomRows(n - after)),
                           ConstRowRef<typename DY::Scalar>(yr.bottomRows(n - after))));
        const CcaResult model = canonical_correlations(train, options.cca);
        const RowMatrix<double> u = model.project_x(xr.middleRows(begin, end - begin));
        const RowMatrix<double> v = model.project_y(yr.middleRows(begin, end - begin));
        per_fold[static_cast<std::size_t>(f)] = detail::paired_correlations(where, u, v);
        k = std::min(k, model.components());
    }
    CrossValidatedCcaResult out;
    out.fold_correlations.resize(options.folds, k);
    for (Index f = 0; f < options.folds; ++f)
        out.fold_correlations.row(f) = per_fold[static_cast<std::size_t>(f)].head(k).transpose();
    out.correlations = out.fold_correlations.colwise().mean().transpose();
    out.mean_cca = out.correlations.mean();
    return out;
}

/// Cross-validated mean CCA as a SimilarityMeasure, for its null (each draw refits every fold).
struct CrossValidatedCca {
    CrossValidationOptions options{};
    std::string statistic() const { return "cv_mean_cca"; }
    double operator()(const ConstRowRef<double>& x, const ConstRowRef<double>& y) const {
        return cross_validated_cca(x, y, options).mean_cca;
    }
};
static_assert(SimilarityMeasure<CrossValidatedCca>);

/// The student success metric in one call: held-out CCA of a model fitted on training rows, and
/// its null on the test rows at the same n_test (circular shifts by default: the fitted model is
/// kept, the held-out variates of Y are shifted against those of X, keeping their
/// autocorrelation).
struct HeldoutReport {
    HeldoutCca heldout;
    NullDistribution null;  // of the held-out mean correlation
    double cca_heldout = 0.0;
    double null_p95 = 0.0;  // the null's 95th percentile
};

/// The null of held-out correlations computed already (e.g. from a streamed fit).
inline HeldoutReport heldout_cca_with_null(HeldoutCca heldout, const NullOptions& null_options = {
                                                                   NullKind::circular_shift}) {
    HeldoutReport r;
    r.heldout = std::move(heldout);
    r.null = null_distribution(MeanPairedCorrelation{}, r.heldout.variates_x, r.heldout.variates_y,
                               null_options);
    r.null.statistic = "heldout_mean_cca";
    r.cca_heldout = r.heldout.mean_cca;
    r.null_p95 = r.null.quantile(0.95);
    return r;
}

template <class DX, class DY, class EX, class EY>
HeldoutReport heldout_cca_with_null(const Eigen::MatrixBase<DX>& x_train,
                                    const Eigen::MatrixBase<DY>& y_train,
                                    const Eigen::MatrixBase<EX>& x_test,
                                    const Eigen::MatrixBase<EY>& y_test,
                                    const NullOptions& null_options = {NullKind::circular_shift},
                                    const CcaOptions& options = {}) {
    return heldout_cca_with_null(heldout_cca(x_train, y_train, x_test, y_test, options),
                                 null_options);
}

}  // namespace jepasnn::cca
