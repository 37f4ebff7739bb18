// Angular Procrustes distance between two representations (Williams et al., "Generalized shape
// metrics on neural representations", NeurIPS 2021): the angle between the centred,
// unit-Frobenius-norm views after the best orthogonal alignment. A metric invariant only to
// orthogonal maps, translation and isotropic scaling: stricter than CCA, which forgives any
// invertible linear map.
#pragma once

#include <algorithm>
#include <cmath>
#include <string_view>

#include "scatter_factor.hpp"

namespace jepasnn::cca {

/// The distance in [0, π/2] and its cosine, the Procrustes similarity in [0, 1].
struct ProcrustesResult {
    double distance = 0.0;  // arccos(similarity), radians
    double similarity = 0.0;  // max_Q tr(X̂ᵀŶQ) = ‖X̂ᵀŶ‖_* with ‖X̂‖_F = ‖Ŷ‖_F = 1
};

/// From the joint factor: the best orthogonal Q (p × q, semi-orthogonal when p != q, i.e. zero
/// padding of the narrower view) gives max tr(XcᵀYcQ) = ‖XcᵀYc‖_* (nuclear norm, the sum of
/// singular values; Schönemann, Psychometrika 31, 1966), normalized by ‖Xc‖_F‖Yc‖_F.
inline ProcrustesResult angular_procrustes(const ScatterFactor& f) {
    constexpr std::string_view where = "cca::angular_procrustes";
    require(f.count >= 2 && f.p >= 1 && f.q >= 1, where, "needs at least 2 samples and a column ",
            "per view, found ", f.count, " samples, p = ", f.p, ", q = ", f.q);
    const Matrix<double> rx = f.r.leftCols(f.p);   // (m, p)
    const Matrix<double> ry = f.r.rightCols(f.q);  // (m, q)
    const double nx = rx.norm(), ny = ry.norm();
    require(nx > 0.0, where, "X is constant (zero variance in every column)");
    require(ny > 0.0, where, "Y is constant (zero variance in every column)");
    const Matrix<double> cross = rx.transpose() * ry;  // (p, q) = XcᵀYc
    const Eigen::BDCSVD<Matrix<double>> svd(cross);
    ProcrustesResult out;
    out.similarity = std::clamp(svd.singularValues().sum() / (nx * ny), 0.0, 1.0);
    out.distance = std::acos(out.similarity);
    return out;
}

/// Angular Procrustes distance of two views with the same rows (float or double, row-major).
template <class DX, class DY>
ProcrustesResult angular_procrustes(const Eigen::MatrixBase<DX>& x,
                                    const Eigen::MatrixBase<DY>& y) {
    return angular_procrustes(scatter_factor(x, y));
}

}  // namespace jepasnn::cca
