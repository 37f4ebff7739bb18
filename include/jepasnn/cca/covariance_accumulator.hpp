// Streaming second moments for recordings far larger than memory: add chunks of rows one after
// another (or accumulate in parallel and merge), then read the means, the covariance, or any
// measure of the CCA family from the factor. Equal to the in-memory path up to rounding.
#pragma once

#include <string_view>

#include "canonical_correlations.hpp"

namespace jepasnn::cca {

/// Accumulates the joint factor of (X, Y) chunk by chunk. Each chunk is centred on its own mean
/// in double and factored by Householder QR; chunks are merged by the square-root form of Chan,
/// Golub and LeVeque's pairwise update (scatter_factor.hpp), so a large mean offset costs no
/// accuracy. Memory: O((p + q)²) whatever the number of rows.
///
///   cca::CovarianceAccumulator acc(p, q);
///   for (auto& [x, y] : chunks) acc.add(x, y);
///   const cca::CcaResult r = cca::canonical_correlations(acc.factor());
class CovarianceAccumulator {
  public:
    CovarianceAccumulator(Index p, Index q) {
        require(p >= 1 && q >= 1, "cca::CovarianceAccumulator", "needs p >= 1 and q >= 1, found ",
                "p = ", p, ", q = ", q);
        factor_.p = p;
        factor_.q = q;
        factor_.mean = Vector<double>::Zero(p + q);
        factor_.mean_residual = Vector<double>::Zero(p + q);
        factor_.r = Matrix<double>::Zero(p + q, p + q);
    }

    /// Adds the rows of a chunk (x: n_c × p, y: n_c × q, float or double; n_c may be 0).
    /// Throws Error on a shape mismatch or NaN/Inf, leaving the accumulator unchanged.
    template <class DX, class DY>
    void add(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) {
        detail::require_cca_scalar<DX>();
        detail::require_cca_scalar<DY>();
        constexpr std::string_view where = "cca::CovarianceAccumulator::add";
        require(x.cols() == factor_.p && y.cols() == factor_.q, where, "chunk has ", x.cols(),
                " and ", y.cols(), " columns, expected ", factor_.p, " and ", factor_.q);
        require(x.rows() == y.rows(), where, "X chunk has ", x.rows(), " rows and Y chunk has ",
                y.rows(), ", expected the same number");
        if (x.rows() == 0) return;
        const ConstRowRef<typename DX::Scalar> xr(x.derived());
        const ConstRowRef<typename DY::Scalar> yr(y.derived());
        factor_ = detail::merge_factors(factor_, detail::factor_rows(where, xr, yr));
    }

    /// Adds everything another accumulator of the same widths has seen (parallel streams).
    void merge(const CovarianceAccumulator& other) {
        require(other.factor_.p == factor_.p && other.factor_.q == factor_.q,
                "cca::CovarianceAccumulator::merge", "widths ", other.factor_.p, "+",
                other.factor_.q, " differ from ", factor_.p, "+", factor_.q);
        factor_ = detail::merge_factors(factor_, other.factor_);
    }

    Index count() const { return factor_.count; }
    Vector<double> mean_x() const { return factor_.mean.head(factor_.p); }
    Vector<double> mean_y() const { return factor_.mean.tail(factor_.q); }
    /// Unbiased joint covariance of [X Y], (p + q, p + q).
    Matrix<double> covariance() const { return factor_.covariance(); }
    /// The factor every measure accepts: canonical_correlations, svcca, pwcca, linear_cka,
    /// angular_procrustes.
    const ScatterFactor& factor() const { return factor_; }

  private:
    ScatterFactor factor_;
};

}  // namespace jepasnn::cca
