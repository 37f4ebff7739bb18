// Centred kernel alignment with linear kernels (Kornblith et al., "Similarity of neural network
// representations revisited", ICML 2019) and its debiased form (the unbiased HSIC estimator of
// Song et al., JMLR 13, 2012). Invariant to orthogonal maps, translation and isotropic scaling of
// either view; NOT to general invertible linear maps (unlike CCA).
#pragma once

#include <algorithm>
#include <cmath>
#include <string_view>

#include "scatter_factor.hpp"

namespace jepasnn::cca {

/// Linear CKA = ‖XcᵀYc‖²_F / (‖XcᵀXc‖_F ‖YcᵀYc‖_F) in [0, 1], from the joint factor:
/// XcᵀYc = r_xᵀr_y etc. Throws Error for a constant view (the ratio is undefined).
inline double linear_cka(const ScatterFactor& f) {
    constexpr std::string_view where = "cca::linear_cka";
    require(f.count >= 2 && f.p >= 1 && f.q >= 1, where, "needs at least 2 samples and a column ",
            "per view, found ", f.count, " samples, p = ", f.p, ", q = ", f.q);
    const Matrix<double> rx = f.r.leftCols(f.p);   // (m, p)
    const Matrix<double> ry = f.r.rightCols(f.q);  // (m, q)
    const double xx = (rx.transpose() * rx).norm();
    const double yy = (ry.transpose() * ry).norm();
    require(xx > 0.0, where, "X is constant (zero variance in every column)");
    require(yy > 0.0, where, "Y is constant (zero variance in every column)");
    const double xy = (rx.transpose() * ry).squaredNorm();
    return std::min(1.0, xy / (xx * yy));
}

/// Linear CKA of two views with the same rows (float or double, row-major samples × features).
template <class DX, class DY>
double linear_cka(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) {
    return linear_cka(scatter_factor(x, y));
}

namespace detail {
/// Debiased CKA of the views behind factor f (their rows are needed for the row norms).
template <class TX, class TY>
double debiased_cka(std::string_view where, const ScatterFactor& f, const ConstRowRef<TX>& x,
                    const ConstRowRef<TY>& y) {
    require(f.count >= 4, where, "needs at least 4 samples, found ", f.count);
    const double n = static_cast<double>(f.count);
    const Matrix<double> rx = f.r.leftCols(f.p);   // (m, p)
    const Matrix<double> ry = f.r.rightCols(f.q);  // (m, q)
    Vector<double> a(f.count), b(f.count);         // (n) squared row norms of the centred views
    for (Index t = 0; t < f.count; ++t) {
        a(t) = (x.row(t).template cast<double>() - f.mean.head(f.p).transpose()).squaredNorm();
        b(t) = (y.row(t).template cast<double>() - f.mean.tail(f.q).transpose()).squaredNorm();
    }
    const double big_a = a.sum(), big_b = b.sum();
    auto hsic = [n](double cross, double ab, double sa, double sb) {
        return cross - n / (n - 2.0) * ab + sa * sb / ((n - 1.0) * (n - 2.0));
    };
    const double xy = hsic((rx.transpose() * ry).squaredNorm(), a.dot(b), big_a, big_b);
    const double xx = hsic((rx.transpose() * rx).squaredNorm(), a.squaredNorm(), big_a, big_a);
    const double yy = hsic((ry.transpose() * ry).squaredNorm(), b.squaredNorm(), big_b, big_b);
    require(xx > 0.0, where, "X has no unbiased self-similarity (", xx,
            "): constant or too few distinct samples");
    require(yy > 0.0, where, "Y has no unbiased self-similarity (", yy,
            "): constant or too few distinct samples");
    return std::clamp(xy / std::sqrt(xx * yy), -1.0, 1.0);
}
}  // namespace detail

/// Debiased linear CKA: CKA with HSIC replaced by its unbiased estimator (Song et al. 2012,
/// eq. 5), whose chance level is 0 at every n rather than a positive bias. With linear kernels on
/// centred data, K = XXᵀ, a_i = ‖x_i‖², A = Σa_i and the same for Y (b, B):
///   n(n − 3)·HSIC_u(X, Y) = ‖XᵀY‖²_F − n/(n − 2)·aᵀb + A·B/((n − 1)(n − 2)),
/// (diagonals of K and L removed, expanded with K1 = 0), computed without any n × n matrix.
/// The result lies in [−1, 1]: it is an inner product of U-centred kernels (Székely & Rizzo,
/// Ann. Statist. 42, 2014), so Cauchy–Schwarz bounds it; it can be slightly negative at chance.
/// Needs n >= 4. Throws Error for a constant view, NaN/Inf or different row counts.
template <class DX, class DY>
double debiased_cka(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) {
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    constexpr std::string_view where = "cca::debiased_cka";
    const ConstRowRef<typename DX::Scalar> xr(x.derived());
    const ConstRowRef<typename DY::Scalar> yr(y.derived());
    require(xr.rows() == yr.rows(), where, "X has ", xr.rows(), " rows and Y has ", yr.rows(),
            ", expected the same number of samples (rows) in both");
    require(xr.cols() >= 1 && yr.cols() >= 1, where, "empty view: X has ", xr.cols(),
            " columns, Y has ", yr.cols());
    require(xr.rows() >= 4, where, "needs at least 4 samples, found ", xr.rows());
    return detail::debiased_cka(where, detail::factor_rows(where, xr, yr), xr, yr);
}

}  // namespace jepasnn::cca
