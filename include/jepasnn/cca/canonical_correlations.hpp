// Classical canonical correlation analysis by the method of Björck and Golub ("Numerical methods
// for computing angles between linear subspaces", Math. Comp. 27, 1973): centre in double, QR,
// numerical rank by column pivoting with a stated tolerance, SVD of Q_xᵀQ_y. Optional
// scale-relative ridge. Invariances: any invertible linear map of either view, translation.
#pragma once

#include <cmath>
#include <string_view>

#include "scatter_factor.hpp"
#include "subspace_basis.hpp"

namespace jepasnn::cca {

struct CcaOptions {
    /// Scale-relative ridge ε >= 0: Σxx + ε·tr(Σxx)/p·I and Σyy + ε·tr(Σyy)/q·I (ridge CCA,
    /// Vinod, J. Econometrics 4, 1976; DESIGN.md). The ridge enters as ε·tr/p extra variance on
    /// every axis, so the answer does not depend on the units of the data. 0: classical CCA.
    double ridge = 0.0;
    /// Relative rank tolerance τ: a pivoted-QR diagonal |T_ii| <= τ·|T_00| counts as zero.
    /// 0 selects max(n, p + q)·ε_machine (LAPACK's and numpy's convention).
    double rank_tolerance = 0.0;
    /// Also return the canonical variates (n × k each). Needs the data: the (X, Y) overload.
    bool variates = false;
};

/// Canonical correlations ρ_1 >= ... >= ρ_k (k = min(rank_x, rank_y)) with their weights.
/// Weight columns are scaled so that each variate Xc·a_i has unit sample variance (with a ridge:
/// a_iᵀ(Σxx + λI)a_i = 1); within a pair the signs make ρ_i >= 0, and the entry of largest
/// magnitude of a_i is positive.
struct CcaResult {
    Vector<double> correlations;   // (k) descending, in [0, 1]
    Matrix<double> weights_x;      // (p, k)
    Matrix<double> weights_y;      // (q, k)
    Vector<double> mean_x;         // (p) the centre the weights apply to
    Vector<double> mean_y;         // (q)
    RowMatrix<double> variates_x;  // (n, k) when CcaOptions::variates, else empty
    RowMatrix<double> variates_y;  // (n, k)
    Index rank_x = 0;
    Index rank_y = 0;
    Index samples = 0;
    double mean_cca = 0.0;  // mean ρ_i
    double r2_cca = 0.0;    // mean ρ_i²

    Index components() const { return correlations.size(); }

    /// Canonical variates of new X rows (n' × p): (X − mean_x)·weights_x, (n', k).
    template <class D>
    RowMatrix<double> project_x(const Eigen::MatrixBase<D>& x) const {
        return project(x, mean_x, weights_x, "CcaResult::project_x");
    }
    /// Canonical variates of new Y rows (n' × q): (Y − mean_y)·weights_y, (n', k).
    template <class D>
    RowMatrix<double> project_y(const Eigen::MatrixBase<D>& y) const {
        return project(y, mean_y, weights_y, "CcaResult::project_y");
    }

  private:
    template <class D>
    static RowMatrix<double> project(const Eigen::MatrixBase<D>& v, const Vector<double>& mean,
                                     const Matrix<double>& weights, std::string_view where) {
        detail::require_cca_scalar<D>();
        const ConstRowRef<typename D::Scalar> vr(v.derived());
        require(vr.cols() == weights.rows(), where, "data has ", vr.cols(), " columns, expected ",
                weights.rows(), " (the fitted view)");
        require_finite(where, "data", vr);
        RowMatrix<double> centred = vr.template cast<double>();  // (n', cols)
        centred.rowwise() -= mean.transpose();
        return centred * weights;
    }
};

/// E[Σρ²] under independence: pq/(n − 1). Exact for the row-permutation null (the mean of
/// tr(P_x Π P_y Πᵀ) over permutations Π of centred data), and the Wilks/Bartlett large-n value for
/// Gaussian data. In-sample CCA is never 0 at chance: compare with a null at the same n.
inline double chance_level(Index p, Index q, Index n) {
    require(n >= 2, "cca::chance_level", "needs n >= 2 samples, found ", n);
    return static_cast<double>(p) * static_cast<double>(q) / static_cast<double>(n - 1);
}

namespace detail {

/// The factor with a scale-relative ridge, as extra rows: ridge CCA is plain CCA of the augmented
/// views [Xc; s_x I; 0] and [Yc; 0; s_y I] (the added rows are disjoint, so XᵀY is unchanged while
/// XᵀX gains s_x² I = ε·‖Xc‖²_F/p·I = λ_x(n − 1)·I).
inline Matrix<double> ridge_factor(const ScatterFactor& f, double ridge) {
    const Index m = f.dims();
    const double sx = std::sqrt(ridge * f.r.leftCols(f.p).squaredNorm() / double(f.p));
    const double sy = std::sqrt(ridge * f.r.rightCols(f.q).squaredNorm() / double(f.q));
    Matrix<double> stack = Matrix<double>::Zero(2 * m, m);  // (2m, m)
    stack.topRows(m) = f.r;
    stack.block(m, 0, f.p, f.p).diagonal().setConstant(sx);
    stack.block(m + f.p, f.p, f.q, f.q).diagonal().setConstant(sy);
    return r_factor_in_place(stack);
}

/// Bases of both views and the SVD of their cross product: the core every CCA-type measure uses.
struct CanonicalPairs {
    SubspaceBasis x, y;    // ranks after the ridge (= data ranks without one)
    Vector<double> rho;    // (min(x.rank, y.rank)) clamped to [0, 1]
    Matrix<double> left;   // (x.rank, k) singular vectors in x.basis coordinates
    Matrix<double> right;  // (y.rank, k)
};

/// SVD of x.basisᵀ·y.basis (x.basis lives in the first p coordinates of the factor).
inline CanonicalPairs canonical_pairs(SubspaceBasis bx, SubspaceBasis by) {
    CanonicalPairs c;
    c.x = std::move(bx);
    c.y = std::move(by);
    const Matrix<double> cross =
        c.x.basis.transpose() * c.y.basis.topRows(c.x.basis.rows());  // (rx, ry)
    Eigen::BDCSVD<Matrix<double>> svd(cross, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Index k = std::min(c.x.rank, c.y.rank);
    // Cosines of principal angles: rounding can leave 1 + O(ε).
    c.rho = svd.singularValues().head(k).cwiseMax(0.0).cwiseMin(1.0);
    c.left = svd.matrixU().leftCols(k);
    c.right = svd.matrixV().leftCols(k);
    return c;
}

/// Pivoted bases of both views of a factor (after the ridge, when there is one). Throws Error
/// naming `where` when a view is constant.
inline CanonicalPairs pivoted_pairs(std::string_view where, const ScatterFactor& f, double ridge,
                                    double tolerance) {
    const Matrix<double> ridged = ridge == 0.0 ? Matrix<double>() : ridge_factor(f, ridge);
    const Matrix<double>& r = ridge == 0.0 ? f.r : ridged;  // (m, m)
    SubspaceBasis bx = pivoted_basis(r.topLeftCorner(f.p, f.p), tolerance);
    SubspaceBasis by = pivoted_basis(r.rightCols(f.q), tolerance);
    require_nonconstant(where, "X", bx);
    require_nonconstant(where, "Y", by);
    return canonical_pairs(std::move(bx), std::move(by));
}

/// The pairs CCA reports: ranks of the data themselves, bases after the ridge. With a ridge the
/// regularized bases are full rank, but the extra directions carry no correlation (they lie
/// outside the data), so k = min(rank_x, rank_y) either way.
struct FittedPairs {
    Index rank_x = 0, rank_y = 0;
    CanonicalPairs pairs;
};
inline FittedPairs fitted_pairs(std::string_view where, const ScatterFactor& f, double ridge,
                                double tolerance) {
    CanonicalPairs plain = pivoted_pairs(where, f, 0.0, tolerance);
    const Index rx = plain.x.rank, ry = plain.y.rank;
    if (ridge > 0.0) return {rx, ry, pivoted_pairs(where, f, ridge, tolerance)};
    return {rx, ry, std::move(plain)};
}

inline void check_factor(std::string_view where, const ScatterFactor& f) {
    require(f.p >= 1 && f.q >= 1, where, "the factor has no columns (p = ", f.p, ", q = ", f.q,
            ")");
    const Index widest = std::max(f.p, f.q);
    require(f.count >= widest + 1, where, "too few samples: ", f.count, " rows for ", f.p, " and ",
            f.q, " columns, expected at least ", widest + 1, " (columns + 1) rows");
}

inline void check_options(std::string_view where, const CcaOptions& o) {
    require(std::isfinite(o.ridge) && o.ridge >= 0.0, where,
            "ridge must be finite and >= 0, found ", o.ridge);
    require(std::isfinite(o.rank_tolerance) && o.rank_tolerance >= 0.0 && o.rank_tolerance < 1.0,
            where, "rank_tolerance must be in [0, 1), found ", o.rank_tolerance);
}

inline double rank_tolerance(const CcaOptions& o, const ScatterFactor& f) {
    return o.rank_tolerance > 0.0 ? o.rank_tolerance : default_rank_tolerance(f.count, f.dims());
}

}  // namespace detail

/// CCA from a joint factor (in-memory or streamed). Throws Error for too few samples, bad options
/// or a constant view. CcaOptions::variates is ignored here (no data): use project_x/project_y.
inline CcaResult canonical_correlations(const ScatterFactor& f, const CcaOptions& options = {}) {
    constexpr std::string_view where = "cca::canonical_correlations";
    detail::check_factor(where, f);
    detail::check_options(where, options);
    const double tol = detail::rank_tolerance(options, f);

    CcaResult out;
    out.samples = f.count;
    out.mean_x = f.mean.head(f.p);
    out.mean_y = f.mean.tail(f.q);
    const detail::FittedPairs fit = detail::fitted_pairs(where, f, options.ridge, tol);
    const detail::CanonicalPairs& pairs = fit.pairs;
    out.rank_x = fit.rank_x;
    out.rank_y = fit.rank_y;

    const Index k = std::min(out.rank_x, out.rank_y);
    const double scale = std::sqrt(static_cast<double>(f.count - 1));  // unit-variance variates
    out.correlations = pairs.rho.head(k);
    out.weights_x = scale * pairs.x.solve * pairs.left.leftCols(k);   // (p, k)
    out.weights_y = scale * pairs.y.solve * pairs.right.leftCols(k);  // (q, k)
    for (Index i = 0; i < k; ++i) {
        Index at = 0;
        out.weights_x.col(i).cwiseAbs().maxCoeff(&at);
        if (out.weights_x(at, i) < 0.0) {
            out.weights_x.col(i) *= -1.0;
            out.weights_y.col(i) *= -1.0;
        }
    }
    out.mean_cca = out.correlations.mean();
    out.r2_cca = out.correlations.squaredNorm() / static_cast<double>(k);
    return out;
}

/// CCA of two views with the same rows (row-major samples × features, float or double). Throws
/// Error for different row counts, NaN/Inf, fewer than max(p, q) + 1 rows, a constant view, or
/// bad options.
template <class DX, class DY>
CcaResult canonical_correlations(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y,
                                 const CcaOptions& options = {}) {
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    constexpr std::string_view where = "cca::canonical_correlations";
    const ConstRowRef<typename DX::Scalar> xr(x.derived());
    const ConstRowRef<typename DY::Scalar> yr(y.derived());
    detail::check_pair(where, xr, yr);
    CcaResult out = canonical_correlations(detail::factor_rows(where, xr, yr), options);
    if (options.variates) {
        out.variates_x = out.project_x(xr);
        out.variates_y = out.project_y(yr);
    }
    return out;
}

}  // namespace jepasnn::cca
