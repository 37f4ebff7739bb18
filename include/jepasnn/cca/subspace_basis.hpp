// Orthonormal bases of a view's column space, taken from its block of the joint factor (internal
// to jepasnn/cca). Column-pivoted QR of the small block (Businger & Golub, "Linear least squares
// solutions by Householder transformations", Numer. Math. 7, 1965) gives the numerical rank with a
// stated tolerance; a truncated SVD gives the principal subspace SVCCA keeps.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "scatter_factor.hpp"

namespace jepasnn::cca::detail {

/// A view's column space in the coordinates of the joint factor: with [Xc Yc] = Q·r and the view's
/// block B of r (Xc = Q·B), `basis` has orthonormal columns spanning B's columns, and
/// B·solve = basis, so Xc·solve = Q·basis: weights on the features that produce the orthonormal
/// directions.
struct SubspaceBasis {
    Index rank = 0;
    Matrix<double> basis;  // (rows of B, rank)
    Matrix<double> solve;  // (cols of B, rank)
};

/// The default relative rank tolerance: max(n, m)·ε, the convention of LAPACK's and numpy's
/// numerical rank.
inline double default_rank_tolerance(Index n, Index m) {
    return static_cast<double>(std::max(n, m)) * std::numeric_limits<double>::epsilon();
}

/// Column-pivoted QR B·P = U·T; the rank is the number of leading |T_ii| > τ·|T_00|. With the
/// first `rank` columns of P and T: B·P_r·T_r⁻¹ = U_r.
inline SubspaceBasis pivoted_basis(const Matrix<double>& block, double tolerance) {
    const Index cols = block.cols();
    Eigen::ColPivHouseholderQR<Matrix<double>> qr(block);
    const Matrix<double>& t = qr.matrixQR();  // (rows, cols), T in the upper triangle
    const Index diagonal = std::min(block.rows(), cols);
    const double largest = diagonal > 0 ? std::abs(t(0, 0)) : 0.0;
    SubspaceBasis b;
    while (b.rank < diagonal && largest > 0.0 && std::abs(t(b.rank, b.rank)) > tolerance * largest)
        ++b.rank;
    const Index r = b.rank;
    b.basis = qr.householderQ() * Matrix<double>::Identity(block.rows(), r);
    Matrix<double> padded = Matrix<double>::Zero(cols, r);  // (cols, r): [T_r⁻¹; 0]
    padded.topRows(r) =
        t.topLeftCorner(r, r).triangularView<Eigen::Upper>().solve(Matrix<double>::Identity(r, r));
    b.solve = qr.colsPermutation() * padded;
    return b;
}

/// The principal subspace that keeps `variance_kept` of the view's variance: left singular
/// vectors of B in order of s², as many as the cumulative share Σs²/Σ_all s² first reaches the
/// threshold (SVCCA, Raghu et al., NeurIPS 2017). `solve` maps to the principal-component
/// directions B·V_k·S_k⁻¹ = U_k.
inline SubspaceBasis principal_basis(const Matrix<double>& block, double variance_kept,
                                     double tolerance) {
    Eigen::BDCSVD<Matrix<double>> svd(block, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Vector<double>& s = svd.singularValues();  // (min(rows, cols)) descending
    const double total = s.squaredNorm();
    SubspaceBasis b;
    double kept = 0.0;
    while (b.rank < s.size() && s(b.rank) > tolerance * s(0) &&
           (b.rank == 0 || kept < variance_kept * total)) {
        kept += s(b.rank) * s(b.rank);
        ++b.rank;
    }
    b.basis = svd.matrixU().leftCols(b.rank);
    b.solve = svd.matrixV().leftCols(b.rank) *
              s.head(b.rank).cwiseInverse().asDiagonal();  // (cols, rank)
    return b;
}

/// Fails when a view has rank 0 (every column constant): no direction to correlate.
inline void require_nonconstant(std::string_view where, std::string_view view,
                                const SubspaceBasis& b) {
    require(b.rank > 0, where, view,
            " is constant (every column has zero variance), expected at least one varying "
            "column");
}

}  // namespace jepasnn::cca::detail
