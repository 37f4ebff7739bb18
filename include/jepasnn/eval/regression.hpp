// Affine maps from latents to targets and their held-out R²: ridge least squares with an
// unpenalised intercept (scikit-learn's Ridge objective ||y − Xw − b||² + α||w||²; α = 0 is
// ordinary least squares, minimum-norm when X is rank deficient), and R² as sklearn's r2_score,
// overall and per group of rows (e.g. per brain state).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string_view>

#include "../core/eigen.hpp"

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::eval {

using Mat = RowMatrix<double>;
using ConstMat = Eigen::Ref<const RowMatrix<double>>;

namespace detail {
inline void require_rows(std::string_view where, ConstMat x, ConstMat y) {
    require(x.rows() == y.rows(), where, "features have ", x.rows(), " rows, targets ", y.rows());
    require(x.rows() >= 1, where, "no rows");
    require_finite(where, "features", x);
    require_finite(where, "targets", y);
}
}  // namespace detail

/// The rows of x listed in `rows`.
inline Mat take_rows(ConstMat x, std::span<const Index> rows) {
    Mat out(static_cast<Index>(rows.size()), x.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        require(rows[i] >= 0 && rows[i] < x.rows(), "eval::take_rows", "row ", rows[i],
                " out of range for ", x.rows(), " rows");
        out.row(static_cast<Index>(i)) = x.row(rows[i]);
    }
    return out;
}

/// y ≈ x·weight + bias.
struct AffineMap {
    Matrix<double> weight;   // (p, q)
    RowVector<double> bias;  // (q)

    Mat predict(ConstMat x) const {
        require(x.cols() == weight.rows(), "eval::AffineMap::predict", "features have ", x.cols(),
                " columns, the map expects ", weight.rows());
        Mat y = x * weight;
        y.rowwise() += bias;
        return y;
    }
};

/// Fits y (n × q) ≈ x (n × p)·W + b minimising ||y − xW − b||² + ridge·||W||²: centre both, then
/// solve (xcᵀxc + ridge·I) W = xcᵀyc (Cholesky), or the minimum-norm least-squares solution by a
/// complete orthogonal decomposition when ridge = 0; b = ȳ − x̄W.
inline AffineMap fit_affine(ConstMat x, ConstMat y, double ridge = 0.0) {
    constexpr std::string_view where = "eval::fit_affine";
    detail::require_rows(where, x, y);
    require(ridge >= 0.0, where, "ridge is ", ridge, ", expected >= 0");
    const RowVector<double> xm = x.colwise().mean(), ym = y.colwise().mean();
    const Matrix<double> xc = x.rowwise() - xm;  // (n, p)
    const Matrix<double> yc = y.rowwise() - ym;  // (n, q)
    AffineMap m;
    if (ridge > 0.0) {
        Matrix<double> gram = xc.transpose() * xc;
        gram.diagonal().array() += ridge;
        m.weight = gram.llt().solve(xc.transpose() * yc);
    } else {
        m.weight = xc.completeOrthogonalDecomposition().solve(yc);
    }
    m.bias = ym - xm * m.weight;
    return m;
}

/// How r2_score combines the outputs (as sklearn's `multioutput`).
enum class R2Average { uniform, variance_weighted };

/// R² of each output column: 1 − Σ(y − ŷ)²/Σ(y − ȳ)², with sklearn's convention for a constant
/// target (1 when predicted exactly, else 0).
inline Vector<double> r2_per_output(ConstMat y, ConstMat yhat) {
    constexpr std::string_view where = "eval::r2_score";
    require(y.rows() == yhat.rows() && y.cols() == yhat.cols(), where, "targets are ", y.rows(),
            "x", y.cols(), ", predictions ", yhat.rows(), "x", yhat.cols());
    require(y.rows() >= 2, where, "needs at least 2 rows, found ", y.rows());
    Vector<double> r2(y.cols());
    for (Index j = 0; j < y.cols(); ++j) {
        const double mean = y.col(j).mean();
        const double ss_res = (y.col(j) - yhat.col(j)).squaredNorm();
        const double ss_tot = (y.col(j).array() - mean).square().sum();
        if (ss_tot > 0.0)
            r2(j) = 1.0 - ss_res / ss_tot;
        else
            r2(j) = ss_res == 0.0 ? 1.0 : 0.0;
    }
    return r2;
}

inline double r2_score(ConstMat y, ConstMat yhat, R2Average average = R2Average::uniform) {
    const Vector<double> r2 = r2_per_output(y, yhat);
    if (average == R2Average::uniform) return r2.mean();
    Vector<double> var(y.cols());
    for (Index j = 0; j < y.cols(); ++j)
        var(j) = (y.col(j).array() - y.col(j).mean()).square().sum();
    return var.sum() > 0.0 ? r2.dot(var) / var.sum() : r2.mean();
}

struct GroupedR2 {
    double overall = 0.0;
    std::map<std::int64_t, double> per_group;  // R² on the rows of each group label
};

/// R² (uniform average) of map on held-out rows, overall and within each group label (groups may
/// be empty: overall only). Groups with fewer than 2 rows are left out.
inline GroupedR2 heldout_r2(const AffineMap& map, ConstMat x, ConstMat y,
                            std::span<const std::int64_t> groups = {}) {
    detail::require_rows("eval::heldout_r2", x, y);
    const Mat yhat = map.predict(x);
    GroupedR2 r;
    r.overall = r2_score(y, yhat);
    if (groups.empty()) return r;
    require(static_cast<Index>(groups.size()) == x.rows(), "eval::heldout_r2", "groups has ",
            groups.size(), " labels for ", x.rows(), " rows");
    std::map<std::int64_t, std::vector<Index>> rows;
    for (std::size_t i = 0; i < groups.size(); ++i)
        rows[groups[i]].push_back(static_cast<Index>(i));
    for (const auto& [g, idx] : rows)
        if (idx.size() >= 2) r.per_group[g] = r2_score(take_rows(y, idx), take_rows(yhat, idx));
    return r;
}

}  // namespace jepasnn::eval
