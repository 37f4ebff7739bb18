// The joint second moments of two views in square-root form: count, means and an upper-triangular
// R with RᵀR = Σ_t (z_t − μ)(z_t − μ)ᵀ for z = [x y]. Every measure of the CCA family (and linear
// CKA and Procrustes) is a function of this factor, so it is computed once, by orthogonal
// transformations only (never by forming XᵀX), and it can be accumulated over chunks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../core/config.hpp"
#include "../core/threads.hpp"
#include "views.hpp"

namespace jepasnn::cca {

/// Square-root form of the joint scatter of the rows z_t = [x_t y_t] (m = p + q columns):
/// `r` is upper triangular with rᵀr = Σ_t (z_t − mean)(z_t − mean)ᵀ. Since [Xc Yc] = Q·r for some
/// Q with orthonormal columns, r carries everything the second-order measures need:
///   XcᵀXc = r_xᵀ r_x, YcᵀYc = r_yᵀ r_y, XcᵀYc = r_xᵀ r_y, with r_x = r.leftCols(p),
///   r_y = r.rightCols(q) (r_x is zero below row p).
struct ScatterFactor {
    Index count = 0;               // samples n
    Index p = 0;                   // columns of X
    Index q = 0;                   // columns of Y
    Vector<double> mean;           // (p + q) column means of [X Y], rounded to double
    Vector<double> mean_residual;  // (p + q) exact mean − mean: the low half of a double-double
    Matrix<double> r;              // (p + q, p + q) upper triangular

    Index dims() const { return p + q; }
    /// The unbiased joint covariance [[Σxx, Σxy], [Σyx, Σyy]] = rᵀr / (n − 1), (m, m).
    Matrix<double> covariance() const {
        require(count >= 2, "ScatterFactor::covariance", "needs at least 2 samples, found ", count);
        Matrix<double> c = r.transpose() * r;  // (m, m)
        c /= static_cast<double>(count - 1);
        return c;
    }
    /// The X columns of r, (p, p) upper triangular (rows p.. of r_x are zero).
    Matrix<double> r_x() const { return r.topLeftCorner(p, p); }
    /// The Y columns of r, (m, q).
    Matrix<double> r_y() const { return r.rightCols(q); }
};

namespace detail {

/// Rows per leaf of the tall-skinny QR: a few MiB, so that the panel factorization of each leaf
/// runs from cache instead of streaming the whole column through memory (Demmel et al.,
/// "Communication-optimal parallel and sequential QR and LU factorizations", SIAM J. Sci.
/// Comput. 34, 2012). The leaf size depends on the width only, never on the thread count, so the
/// result does not either.
/// Leaves also stay below 24 MiB (but at least 2m rows): glibc serves blocks up to its 32 MiB
/// mmap threshold from the reused heap, so repeated calls do not pay page faults again.
inline Index leaf_rows(Index m) {
    constexpr Index max_leaf_bytes = Index{24} << 20;
    const Index capped = std::min<Index>(32 * m, max_leaf_bytes / (8 * m));
    return std::max({Index{2048}, 2 * m, capped});
}
/// Leaves factorized in parallel before they are folded into the running factor: bounds memory at
/// 16 factors of (m, m) whatever n is.
inline constexpr Index leaves_per_round = 16;

/// The upper-triangular R (cols × cols) of `a`, factorized in place; a with fewer rows than
/// columns gives a trapezoid padded with zero rows.
inline Matrix<double> r_factor_in_place(Eigen::Ref<Matrix<double>> a) {
    const Index cols = a.cols();
    Eigen::HouseholderQR<Eigen::Ref<Matrix<double>>> qr(a);
    Matrix<double> r = Matrix<double>::Zero(cols, cols);  // (cols, cols)
    const Index top = std::min(a.rows(), cols);
    r.topRows(top) = a.topRows(top).template triangularView<Eigen::Upper>();
    return r;
}

/// (hi, lo) with hi = fl(a + b) and hi + lo == a + b exactly (Knuth's TwoSum). Needs IEEE
/// arithmetic without reassociation: do not build with -ffast-math (FMA contraction is harmless,
/// there is no product).
inline void two_sum(double a, double b, double& hi, double& lo) {
    hi = a + b;
    const double b_part = hi - a;
    lo = (a - (hi - b_part)) + (b - b_part);
}

/// Merges the factors of two disjoint sets of rows: the square-root form of Chan, Golub and
/// LeVeque's pairwise update ("Updating formulae and a pairwise algorithm for computing sample
/// variances", 1979): M = M_a + M_b + (n_a n_b / n) δδᵀ with δ = μ_b − μ_a becomes the R factor of
/// [R_a; R_b; √(n_a n_b / n) δᵀ]. Only orthogonal transformations: no cancellation. The means are
/// carried as double-doubles, because with a large offset (1e6 on unit-scale data) the rounding
/// of a mean to double (1e-10) would enter the merge at first order.
inline ScatterFactor merge_factors(const ScatterFactor& a, const ScatterFactor& b) {
    if (a.count == 0) return b;
    if (b.count == 0) return a;
    JEPASNN_DEBUG_ASSERT(a.p == b.p && a.q == b.q, "merging factors of different widths");
    const Index m = a.dims();
    const double na = static_cast<double>(a.count);
    const double nb = static_cast<double>(b.count);
    const double n = na + nb;
    // δ = (hi_b − hi_a) + (lo_b − lo_a): the first difference is exact for nearby means.
    const Vector<double> delta = (b.mean - a.mean) + (b.mean_residual - a.mean_residual);  // (m)
    Matrix<double> stack(2 * m + 1, m);  // (2m + 1, m)
    stack.topRows(m) = a.r;
    stack.middleRows(m, m) = b.r;
    stack.row(2 * m) = std::sqrt(na * nb / n) * delta.transpose();
    ScatterFactor out;
    out.count = a.count + b.count;
    out.p = a.p;
    out.q = a.q;
    out.mean.resize(m);
    out.mean_residual.resize(m);
    for (Index j = 0; j < m; ++j) {  // μ = μ_a + (n_b/n)·δ in double-double
        double hi = 0.0, lo = 0.0;
        two_sum(a.mean(j), (nb / n) * delta(j), hi, lo);
        two_sum(hi, lo + a.mean_residual(j), out.mean(j), out.mean_residual(j));
    }
    out.r = r_factor_in_place(stack);
    return out;
}

/// Runs body(i) for i in [0, count) on all threads when `worth_it`, else on the calling thread.
/// The iterations are independent, so both give the same result; below a millisecond of work the
/// wake-up and barrier of a parallel region cost more than they save (far more on a loaded
/// machine, where the barrier waits for a descheduled thread).
template <class Body>
void parallel_if(bool worth_it, Index count, Body&& body) {
    if (worth_it && count > 1)
        parallel_for(0, count, body);
    else
        for (Index i = 0; i < count; ++i)
            body(i);
}

/// Flops of a Householder QR of a (rows × m) matrix, 2·rows·m², for the parallel_if decisions.
inline bool worth_parallel(Index rows, Index m) {
    return 2.0 * static_cast<double>(rows) * static_cast<double>(m) * static_cast<double>(m) > 2e7;
}

/// Folds factors pairwise in a fixed tree (level by level, pairs in parallel): the result depends
/// on the list, never on the thread count.
inline ScatterFactor reduce_factors(std::vector<ScatterFactor> parts) {
    while (parts.size() > 1) {
        const std::size_t pairs = parts.size() / 2;
        std::vector<ScatterFactor> next((parts.size() + 1) / 2);
        const Index m = parts.front().dims();
        parallel_if(worth_parallel(2 * m * static_cast<Index>(pairs), m), static_cast<Index>(pairs),
                    [&](Index i) {
                        const auto k = static_cast<std::size_t>(i);
                        next[k] = merge_factors(parts[2 * k], parts[2 * k + 1]);
                    });
        if (parts.size() % 2 == 1) next.back() = std::move(parts.back());
        parts.swap(next);
    }
    return parts.empty() ? ScatterFactor{} : std::move(parts.front());
}

/// One leaf: rows [begin, end) centred on their own mean, which is computed in two passes over
/// the cache-resident rows (the mean, then the mean of the residuals, as a double-double), then a
/// blocked Householder QR. Sets `finite` to false (and returns an empty factor) when the leaf
/// holds a NaN or an Inf, which shows as a non-finite column sum.
template <class TX, class TY>
ScatterFactor factor_leaf(const ConstRowRef<TX>& x, const ConstRowRef<TY>& y, Index begin,
                          Index end, bool& finite) {
    const Index p = x.cols(), q = y.cols(), m = p + q, rows = end - begin;
    Vector<double> mean = Vector<double>::Zero(m);  // (m)
    for (Index t = begin; t < end; ++t) {
        for (Index j = 0; j < p; ++j)
            mean(j) += static_cast<double>(x(t, j));
        for (Index j = 0; j < q; ++j)
            mean(p + j) += static_cast<double>(y(t, j));
    }
    mean /= static_cast<double>(rows);
    finite = mean.allFinite();
    if (!finite) return {};
    // Transposing copy into column-major storage, a tile of rows at a time: the tile's rows stay
    // in L1 while every column of the tile is written as one contiguous run.
    constexpr Index tile = 8;
    Matrix<double> centred(rows, m);  // (rows, m) column-major, as the QR wants it
    for (Index t0 = 0; t0 < rows; t0 += tile) {
        const Index t1 = std::min(rows, t0 + tile);
        for (Index j = 0; j < p; ++j)
            for (Index t = t0; t < t1; ++t)
                centred(t, j) = static_cast<double>(x(begin + t, j)) - mean(j);
        for (Index j = 0; j < q; ++j)
            for (Index t = t0; t < t1; ++t)
                centred(t, p + j) = static_cast<double>(y(begin + t, j)) - mean(p + j);
    }
    // Second pass (corrected two-pass algorithm, Chan, Golub & LeVeque, Amer. Statist. 37, 1983):
    // the residual mean is a sum of small numbers, exact where the first sum was not.
    ScatterFactor f;
    f.count = rows;
    f.p = p;
    f.q = q;
    f.mean.resize(m);
    f.mean_residual.resize(m);
    for (Index j = 0; j < m; ++j) {
        const double residual = centred.col(j).mean();
        centred.col(j).array() -= residual;
        two_sum(mean(j), residual, f.mean(j), f.mean_residual(j));
    }
    f.r = r_factor_in_place(centred);
    return f;
}

/// Names the first non-finite entry of rows [begin, end), or the overflow when every entry is
/// finite but a column sum is not.
template <class TX, class TY>
[[noreturn]] void report_non_finite(std::string_view where, const ConstRowRef<TX>& x,
                                    const ConstRowRef<TY>& y, Index begin, Index end) {
    require_finite(where, "X", x.middleRows(begin, end - begin));
    require_finite(where, "Y", y.middleRows(begin, end - begin));
    fail(where, "values too large: a column sum over rows ", begin, "..", end - 1,
         " overflows double (rescale the data)");
}

/// The factor of all rows of (x, y): tall-skinny QR over fixed leaves, folded in rounds. NaN/Inf
/// anywhere throws an Error naming the first bad entry (in row order, whatever the timing).
template <class TX, class TY>
ScatterFactor factor_rows(std::string_view where, const ConstRowRef<TX>& x,
                          const ConstRowRef<TY>& y) {
    const Index n = x.rows(), leaf = leaf_rows(x.cols() + y.cols());
    const Index leaves = (n + leaf - 1) / leaf;
    ScatterFactor total;
    for (Index first = 0; first < leaves; first += leaves_per_round) {
        const Index count = std::min(leaves_per_round, leaves - first);
        std::vector<ScatterFactor> parts(static_cast<std::size_t>(count));
        std::vector<char> finite(static_cast<std::size_t>(count), 1);
        // A single leaf runs outside a parallel region, so that Eigen's own GEMM may use the
        // threads for the wide case.
        const Index rows = std::min(n, (first + count) * leaf) - first * leaf;
        parallel_if(worth_parallel(rows, x.cols() + y.cols()), count, [&](Index i) {
            const Index b = first + i;
            bool ok = true;
            parts[static_cast<std::size_t>(i)] =
                factor_leaf(x, y, b * leaf, std::min(n, (b + 1) * leaf), ok);
            finite[static_cast<std::size_t>(i)] = ok;
        });
        for (Index i = 0; i < count; ++i)
            if (!finite[static_cast<std::size_t>(i)])
                report_non_finite(where, x, y, (first + i) * leaf,
                                  std::min(n, (first + i + 1) * leaf));
        total = merge_factors(total, reduce_factors(std::move(parts)));
    }
    // Finite data whose squares overflow leave Inf/NaN in R.
    require(total.r.allFinite(), where,
            "values too large: the scatter of the data overflows double (rescale the data)");
    return total;
}

}  // namespace detail

/// The joint factor of two views with the same rows (any number n >= 1 of them). Inputs are
/// float or double, row-major (rows = samples); everything is computed in double.
/// Throws Error on different row counts, empty views or NaN/Inf.
template <class DX, class DY>
ScatterFactor scatter_factor(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) {
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    constexpr std::string_view where = "cca::scatter_factor";
    const ConstRowRef<typename DX::Scalar> xr(x.derived());
    const ConstRowRef<typename DY::Scalar> yr(y.derived());
    require(xr.rows() == yr.rows(), where, "X has ", xr.rows(), " rows and Y has ", yr.rows(),
            ", expected the same number of samples (rows) in both");
    require(xr.rows() >= 1 && xr.cols() >= 1 && yr.cols() >= 1, where, "empty input: X is ",
            xr.rows(), "x", xr.cols(), ", Y is ", yr.rows(), "x", yr.cols());
    return detail::factor_rows(where, xr, yr);
}

}  // namespace jepasnn::cca
