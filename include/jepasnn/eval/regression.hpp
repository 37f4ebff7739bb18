// Affine maps from latents to targets and their held-out R²: ridge least squares with an
// unpenalised intercept (scikit-learn's Ridge objective ||y − Xw − b||² + α||w||²; α = 0 is
// ordinary least squares, minimum-norm when X is rank deficient), and R² as sklearn's r2_score,
// overall and per group of rows (e.g. per brain state).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "../core/eigen.hpp"

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../data/time_split.hpp"

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

/// The rows of x in `runs`, in order.
inline Mat take_runs(ConstMat x, std::span<const data::RowRange> runs) {
    Mat out(data::rows_in(runs), x.cols());
    Index at = 0;
    for (const data::RowRange& r : runs) {
        out.middleRows(at, r.size()) = x.middleRows(r.begin, r.size());
        at += r.size();
    }
    return out;
}

/// The means and centred second moments of paired rows x (p features) and y (q targets): what an
/// affine fit needs, in O(p·(p + q)) memory whatever the number of rows. Rows are added a block at
/// a time, in any order; each block is centred on its own mean and merged by the pairwise update
/// of Chan, Golub & LeVeque (Am. Stat. 37, 1983), so a large mean costs no accuracy.
class AffineMoments {
  public:
    AffineMoments(Index p, Index q)
        : mean_x_(RowVector<double>::Zero(p)),
          mean_y_(RowVector<double>::Zero(q)),
          scatter_(Matrix<double>::Zero(p, p)),
          cross_(Matrix<double>::Zero(p, q)) {}

    /// Adds the rows of a block (x: n × p, y: n × q); `first` numbers its first row in errors
    /// ("row r of the features has a non-finite value").
    void add(ConstMat x, ConstMat y, Index first = 0) {
        constexpr std::string_view where = "eval::AffineMoments";
        require(x.rows() == y.rows() && x.cols() == mean_x_.size() && y.cols() == mean_y_.size(),
                where, "block of ", x.rows(), "x", x.cols(), " features and ", y.rows(), "x",
                y.cols(), " targets, expected the same rows and ", mean_x_.size(), " and ",
                mean_y_.size(), " columns");
        if (x.rows() == 0) return;
        if (!x.allFinite() || !y.allFinite())
            for (Index r = 0; r < x.rows(); ++r)
                require(x.row(r).allFinite() && y.row(r).allFinite(), "eval::fit_affine", "row ",
                        first + r, " of the ", x.row(r).allFinite() ? "targets" : "features",
                        " has a non-finite value");
        const double nb = static_cast<double>(x.rows()), na = static_cast<double>(count_);
        const RowVector<double> bx = x.colwise().mean(), by = y.colwise().mean();
        const Matrix<double> xc = x.rowwise() - bx;  // (n, p)
        const Matrix<double> yc = y.rowwise() - by;  // (n, q)
        const RowVector<double> dx = bx - mean_x_, dy = by - mean_y_;
        const double w = na * nb / (na + nb);
        scatter_.noalias() += xc.transpose() * xc;
        cross_.noalias() += xc.transpose() * yc;
        if (count_ > 0) {
            scatter_.noalias() += w * dx.transpose() * dx;
            cross_.noalias() += w * dx.transpose() * dy;
        }
        mean_x_ += dx * (nb / (na + nb));
        mean_y_ += dy * (nb / (na + nb));
        count_ += x.rows();
    }

    Index count() const { return count_; }
    const RowVector<double>& mean_x() const { return mean_x_; }
    const RowVector<double>& mean_y() const { return mean_y_; }
    /// Σ (x − x̄)ᵀ(x − x̄), (p, p).
    const Matrix<double>& scatter_x() const { return scatter_; }
    /// Σ (x − x̄)ᵀ(y − ȳ), (p, q).
    const Matrix<double>& cross() const { return cross_; }

    /// The ridge fit of y ≈ x·W + b (ridge > 0): W solves (scatter + ridge·I) W = cross
    /// (Cholesky), b = ȳ − x̄W.
    AffineMap fit(double ridge) const {
        require(count_ >= 1 && ridge > 0.0, "eval::AffineMoments::fit",
                "needs rows and a ridge > 0,", " found ", count_, " rows and ridge ", ridge);
        Matrix<double> gram = scatter_;
        gram.diagonal().array() += ridge;
        AffineMap m;
        m.weight = gram.llt().solve(cross_);
        m.bias = mean_y_ - mean_x_ * m.weight;
        return m;
    }

  private:
    RowVector<double> mean_x_, mean_y_;
    Matrix<double> scatter_, cross_;
    Index count_ = 0;
};

/// Fits y ≈ x·W + b on the rows of x and y (n in all) in `runs`, minimising
/// ||y − xW − b||² + ridge·||W||²: b = ȳ − x̄W with W solving (xcᵀxc + ridge·I) W = xcᵀyc
/// (Cholesky) for the centred rows xc, yc; when ridge = 0 the minimum-norm least-squares W by a
/// complete orthogonal decomposition of xc. With ridge > 0 nothing is copied but blocks of
/// stream_block_rows rows summed into AffineMoments, so a fit on a session's training blocks
/// costs O(p·(p + q)) memory, not a copy of them.
inline AffineMap fit_affine(ConstMat x, ConstMat y, std::span<const data::RowRange> runs,
                            double ridge = 0.0) {
    constexpr std::string_view where = "eval::fit_affine";
    require(x.rows() == y.rows(), where, "features have ", x.rows(), " rows, targets ", y.rows());
    require(ridge >= 0.0, where, "ridge is ", ridge, ", expected >= 0");
    for (const data::RowRange& r : runs)
        require(r.begin >= 0 && r.begin <= r.end && r.end <= x.rows(), where, "rows ", r.begin,
                "..", r.end, " out of range for ", x.rows(), " rows");
    require(data::rows_in(runs) >= 1, where, "no rows");
    if (ridge > 0.0) {
        AffineMoments m(x.cols(), y.cols());
        for (const data::RowRange& r : runs)
            for (Index b = r.begin; b < r.end; b += stream_block_rows) {
                const Index n = std::min(stream_block_rows, r.end - b);
                m.add(x.middleRows(b, n), y.middleRows(b, n), b);
            }
        return m.fit(ridge);
    }
    for (const data::RowRange& r : runs)
        for (Index t = r.begin; t < r.end; ++t)
            require(x.row(t).allFinite() && y.row(t).allFinite(), where, "row ", t, " of the ",
                    x.row(t).allFinite() ? "targets" : "features", " has a non-finite value");
    const Mat xr = take_runs(x, runs), yr = take_runs(y, runs);
    AffineMap m;
    const RowVector<double> xm = xr.colwise().mean(), ym = yr.colwise().mean();
    m.weight = (xr.rowwise() - xm).completeOrthogonalDecomposition().solve(yr.rowwise() - ym);
    m.bias = ym - xm * m.weight;
    return m;
}

/// The same fit on every row of x and y.
inline AffineMap fit_affine(ConstMat x, ConstMat y, double ridge = 0.0) {
    const data::RowRange all{0, x.rows()};
    return fit_affine(x, y, std::span(&all, 1), ridge);
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

/// R² (uniform average) of predictions yhat of the rows y, overall and within each group label
/// (groups may be empty: overall only). Groups with fewer than 2 rows are left out.
inline GroupedR2 grouped_r2(ConstMat y, ConstMat yhat, std::span<const std::int64_t> groups = {}) {
    GroupedR2 r;
    r.overall = r2_score(y, yhat);
    if (groups.empty()) return r;
    require(static_cast<Index>(groups.size()) == y.rows(), "eval::heldout_r2", "groups has ",
            groups.size(), " labels for ", y.rows(), " rows");
    std::map<std::int64_t, std::vector<Index>> rows;
    for (std::size_t i = 0; i < groups.size(); ++i)
        rows[groups[i]].push_back(static_cast<Index>(i));
    for (const auto& [g, idx] : rows)
        if (idx.size() >= 2) r.per_group[g] = r2_score(take_rows(y, idx), take_rows(yhat, idx));
    return r;
}

/// R² of map on held-out rows (x, y), as grouped_r2.
inline GroupedR2 heldout_r2(const AffineMap& map, ConstMat x, ConstMat y,
                            std::span<const std::int64_t> groups = {}) {
    detail::require_rows("eval::heldout_r2", x, y);
    return grouped_r2(y, map.predict(x), groups);
}

}  // namespace jepasnn::eval
