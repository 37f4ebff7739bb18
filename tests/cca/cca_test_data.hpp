// Random views for the cca tests: Gaussian data from counter-based streams (rapidcheck draws the
// seeds, so a failing case prints them), shared-latent pairs with a known answer, and random
// orthogonal and well-conditioned invertible maps.
#pragma once

#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/tensor.hpp>

#include <cstdint>

namespace jepasnn::test {

/// (rows × cols) standard normal entries from stream (seed, stream).
inline RowMatrix<double> gaussian(Index rows, Index cols, std::uint64_t seed,
                                  std::uint64_t stream = 0) {
    RowMatrix<double> m(rows, cols);
    for (Index i = 0; i < m.size(); ++i)
        m.data()[i] = normal_at(seed, stream, static_cast<std::uint64_t>(i));
    return m;
}

/// A random orthogonal (d × d) matrix: Q of the QR of a Gaussian matrix, signs fixed by R's
/// diagonal so that Q is Haar-distributed.
inline Matrix<double> random_orthogonal(Index d, std::uint64_t seed) {
    const Matrix<double> g = gaussian(d, d, seed, 101);
    const Eigen::HouseholderQR<Matrix<double>> qr(g);
    Matrix<double> q = qr.householderQ();
    const Matrix<double> r = qr.matrixQR().triangularView<Eigen::Upper>();
    for (Index j = 0; j < d; ++j)
        if (r(j, j) < 0) q.col(j) *= -1.0;
    return q;
}

/// A well-conditioned invertible (d × d) matrix: Q1·diag(s)·Q2 with s in [0.5, 2] (condition <= 4).
inline Matrix<double> random_invertible(Index d, std::uint64_t seed) {
    Vector<double> s(d);
    for (Index i = 0; i < d; ++i)
        s(i) = 0.5 + 1.5 * uniform_at(seed, 102, static_cast<std::uint64_t>(i));
    return random_orthogonal(d, seed + 1) * s.asDiagonal() * random_orthogonal(d, seed + 2);
}

/// A random row vector of offsets in [-scale, scale].
inline RowVector<double> random_offset(Index d, std::uint64_t seed, double scale) {
    RowVector<double> b(d);
    for (Index i = 0; i < d; ++i)
        b(i) = scale * (2.0 * uniform_at(seed, 103, static_cast<std::uint64_t>(i)) - 1.0);
    return b;
}

/// Views that share a d-dimensional latent z through random loadings, with independent noise:
/// x = z·Lx + noise·e, y = z·Ly + noise·η.
struct ViewPair {
    RowMatrix<double> x, y;
};
inline ViewPair shared_latent_views(Index n, Index p, Index q, Index d, double noise,
                                    std::uint64_t seed) {
    const RowMatrix<double> z = gaussian(n, d, seed, 1);
    ViewPair v;
    v.x = z * gaussian(d, p, seed, 2) + noise * gaussian(n, p, seed, 3);
    v.y = z * gaussian(d, q, seed, 4) + noise * gaussian(n, q, seed, 5);
    return v;
}

}  // namespace jepasnn::test
