// Linear probes with cross-validated regularisation over contiguous folds (ridge for continuous
// targets such as running speed, multinomial logistic for image identity, change and state), and
// cross-state transfer: fit a probe on one group of rows (the active block) and test it on another
// (the passive block).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "../core/error.hpp"
#include "folds.hpp"
#include "logistic.hpp"
#include "regression.hpp"

namespace jepasnn::eval {

namespace detail {
inline std::vector<std::int64_t> take(std::span<const std::int64_t> v,
                                      std::span<const Index> rows) {
    std::vector<std::int64_t> out;
    out.reserve(rows.size());
    for (const Index r : rows)
        out.push_back(v[static_cast<std::size_t>(r)]);
    return out;
}

/// Index of the first maximum (the first grid value among ties, as GridSearchCV).
inline std::size_t first_max(const std::vector<double>& v) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < v.size(); ++i)
        if (v[i] > v[best]) best = i;
    return best;
}
}  // namespace detail

struct RidgeCV {
    double alpha = 0.0;
    std::vector<double> mean_r2;  // per grid value, mean test R² over folds
    AffineMap map;                // refitted on all rows with the chosen alpha
};

/// Ridge regression with α chosen by the mean held-out R² over contiguous folds.
inline RidgeCV ridge_cv(ConstMat x, ConstMat y, std::span<const double> alphas, Index folds = 5,
                        Index gap = 0) {
    require(!alphas.empty(), "eval::ridge_cv", "empty alpha grid");
    detail::require_rows("eval::ridge_cv", x, y);
    const auto split = contiguous_folds(x.rows(), folds, gap);
    RidgeCV r;
    for (const double alpha : alphas) {
        double sum = 0.0;
        for (const Fold& f : split) {
            const AffineMap m = fit_affine(take_rows(x, f.train), take_rows(y, f.train), alpha);
            sum += r2_score(take_rows(y, f.test), m.predict(take_rows(x, f.test)));
        }
        r.mean_r2.push_back(sum / static_cast<double>(split.size()));
    }
    r.alpha = alphas[detail::first_max(r.mean_r2)];
    r.map = fit_affine(x, y, r.alpha);
    return r;
}

struct LogisticCV {
    double C = 1.0;
    std::vector<double> mean_accuracy;  // per grid value, mean test accuracy over folds
    LogisticModel model;                // refitted on all rows with the chosen C
};

/// Multinomial logistic regression with C chosen by the mean held-out accuracy over contiguous
/// folds.
inline LogisticCV logistic_cv(ConstMat x, std::span<const std::int64_t> labels,
                              std::span<const double> cs, Index folds = 5, Index gap = 0) {
    require(!cs.empty(), "eval::logistic_cv", "empty C grid");
    require(static_cast<Index>(labels.size()) == x.rows(), "eval::logistic_cv", "labels has ",
            labels.size(), " entries for ", x.rows(), " rows");
    const auto split = contiguous_folds(x.rows(), folds, gap);
    LogisticCV r;
    for (const double c : cs) {
        double sum = 0.0;
        for (const Fold& f : split) {
            const LogisticModel m =
                fit_logistic(take_rows(x, f.train), detail::take(labels, f.train), {c});
            sum += accuracy(detail::take(labels, f.test), m.predict(take_rows(x, f.test)));
        }
        r.mean_accuracy.push_back(sum / static_cast<double>(split.size()));
    }
    r.C = cs[detail::first_max(r.mean_accuracy)];
    r.model = fit_logistic(x, labels, {r.C});
    return r;
}

/// The rows whose group label is `group` (e.g. the bins of the active block).
inline std::vector<Index> rows_in_group(std::span<const std::int64_t> groups, std::int64_t group) {
    std::vector<Index> rows;
    for (std::size_t i = 0; i < groups.size(); ++i)
        if (groups[i] == group) rows.push_back(static_cast<Index>(i));
    return rows;
}

/// Held-out R² on rows `test` of a ridge map fitted on rows `fit`.
inline double transfer_r2(ConstMat x, ConstMat y, std::span<const Index> fit,
                          std::span<const Index> test, double ridge) {
    detail::require_rows("eval::transfer_r2", x, y);
    const AffineMap m = fit_affine(take_rows(x, fit), take_rows(y, fit), ridge);
    return r2_score(take_rows(y, test), m.predict(take_rows(x, test)));
}

/// Accuracy on rows `test` of a logistic probe fitted on rows `fit`.
inline double transfer_accuracy(ConstMat x, std::span<const std::int64_t> labels,
                                std::span<const Index> fit, std::span<const Index> test, double c) {
    const LogisticModel m = fit_logistic(take_rows(x, fit), detail::take(labels, fit), {c});
    return accuracy(detail::take(labels, test), m.predict(take_rows(x, test)));
}

}  // namespace jepasnn::eval
