// SIGReg (Sketched Isotropic Gaussian Regularisation; Balestriero & LeCun, "LeJEPA", 2025):
// for embeddings z (N × D) and M unit-norm directions a_m, y = z a_m and the Epps–Pulley
// statistic of each 1-D projection against N(0, 1),
//   C_k = mean_n cos(t_k y_n),  S_k = mean_n sin(t_k y_n),
//   T_m = N Σ_k w_k [(C_k − φ_k)² + S_k²],   SIGReg = mean_m T_m,
// with its analytic backward ∂T_m/∂y_n = 2 Σ_k w_k t_k [S_k cos(t_k y_n) − (C_k − φ_k) sin(t_k
// y_n)] (DESIGN.md, "Teacher"). Directions are drawn every step from the counter-based stream keyed
// by the step number, or given explicitly (parity with the official code).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "../core/streams.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "../nn/common.hpp"
#include "sigreg_knots.hpp"

namespace jepasnn::jepa {

struct SigRegConfig {
    Index directions = 256;  // M
    Index knots = 17;        // K
    double t_max = 3.0;
    KnotPrecision precision = KnotPrecision::official_float32;
    /// The teacher's regulariser only: each brain state's latents tested against N(0, I) on
    /// their own (SigRegRegularizer), so nothing rewards latents for separating the states.
    bool per_state = false;

    static void fields(auto& s, auto&& field) {
        field("directions", s.directions);
        field("knots", s.knots);
        field("t_max", s.t_max);
        field("knot_precision", s.precision);
        field("per_state", s.per_state);
    }
    void validate(std::string_view where) const {
        require(directions >= 1, where, "sigreg.directions is ", directions, ", expected >= 1");
        require(knots >= 2, where, "sigreg.knots is ", knots, ", expected >= 2");
        require(t_max > 0.0 && t_max <= 13.0, where, "sigreg.t_max is ", t_max,
                ", expected (0, 13]");
    }
};

/// M unit-norm directions (D × M, one per column) for training step `step`: Gaussian entries
/// normal_at(seed, stream_id(sigreg_directions, step), d·M + m), each column normalised. Fresh
/// every step, never reused.
template <class T>
RowMatrix<T> sigreg_directions(Index dim, Index count, std::uint64_t seed, std::uint64_t step) {
    require(dim >= 1 && count >= 1, "jepa::sigreg_directions", "shape is ", dim, "x", count,
            ", expected positive sizes");
    require(step < (std::uint64_t{1} << 32), "jepa::sigreg_directions", "step ", step,
            " exceeds the 2^32 steps a stream index holds");
    const std::uint64_t stream =
        stream_id(streams::jepa_sigreg_directions, static_cast<std::uint32_t>(step));
    Matrix<double> g(dim, count);  // (D, M)
    for (Index d = 0; d < dim; ++d)
        for (Index m = 0; m < count; ++m)
            g(d, m) = normal_at(seed, stream, static_cast<std::uint64_t>(d * count + m));
    for (Index m = 0; m < count; ++m)
        g.col(m) /= g.col(m).norm();
    return g.cast<T>();
}

/// What the backward needs from the forward.
template <class T>
struct SigRegCache {
    Index n = 0;
    Matrix<T> y;            // (N, M) projections z·A, column-major: one direction per column
    Matrix<T> cos1, sin1;   // (N, M) cos/sin(t_1 y) when the knots are uniform
    Matrix<double> c_mean;  // (K, M) C_k per direction
    Matrix<double> s_mean;  // (K, M) S_k per direction
    std::vector<double> per_direction;  // (M) T_m
};

namespace detail {
template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

/// Σ x in double, summing blocks of 256 in T with Eigen's vectorised reduction (a float
/// rounding error grows only within a block).
template <class T>
double blocked_sum(const Eigen::Array<T, Eigen::Dynamic, 1>& x) {
    constexpr Index block = 256;
    double total = 0.0;
    for (Index i = 0; i < x.size(); i += block)
        total += static_cast<double>(x.segment(i, std::min(block, x.size() - i)).sum());
    return total;
}

/// For one direction: fills c, s (length N) with cos/sin(t_k y_n) for k = 0..K−1 in turn — by
/// the rotation e^{i t_{k+1} y} = e^{i t_k y}·e^{i t_1 y} when the knots are uniform (one sincos
/// per sample instead of K; rounding grows only linearly in k) — and calls visit(k, c, s).
template <class T, class Visit>
void for_each_knot(const SigRegKnots& q, const T* y, const T* cos1, const T* sin1, Index n,
                   Eigen::Array<T, Eigen::Dynamic, 1>& c, Eigen::Array<T, Eigen::Dynamic, 1>& s,
                   Visit&& visit) {
    c.setOnes(n);
    s.setZero(n);
    Eigen::Array<T, Eigen::Dynamic, 1> tmp(n);
    for (Index k = 0; k < q.size(); ++k) {
        if (k > 0) {
            if (q.uniform) {
                const ConstArrayMap<T> c1(cos1, n), s1(sin1, n);
                tmp = c * c1 - s * s1;
                s = s * c1 + c * s1;
                c.swap(tmp);
            } else {
                const T tk = static_cast<T>(q.t[static_cast<std::size_t>(k)]);
                const ConstArrayMap<T> yy(y, n);
                c = (tk * yy).cos();
                s = (tk * yy).sin();
            }
        }
        visit(k, c, s);
    }
}
}  // namespace detail

/// The first half of sigreg_forward: cache.y = z·A (N × M) and, when the knots are uniform,
/// cos/sin(t_1 y).
template <class T>
void sigreg_project(SigRegCache<T>& cache, nn::ConstMatRef<T> z, nn::ConstMatRef<T> directions,
                    const SigRegKnots& q) {
    require_shape("jepa::sigreg_project", "directions", directions, z.cols(), -1);
    const Index n = z.rows(), m = directions.cols();
    cache.n = n;
    cache.y.resize(n, m);
    cache.y.noalias() = z * directions;
    if (!q.uniform) return;
    cache.cos1.resize(n, m);
    cache.sin1.resize(n, m);
    const T t1 = static_cast<T>(q.t[1]);
    parallel_for_if_large(n * m, 0, m, [&](Index col) {
        const detail::ConstArrayMap<T> yy(cache.y.col(col).data(), n);
        detail::ArrayMap<T>(cache.cos1.col(col).data(), n) = (t1 * yy).cos();
        detail::ArrayMap<T>(cache.sin1.col(col).data(), n) = (t1 * yy).sin();
    });
}

/// The characteristic-function sums of the projected samples, in double: sums[k + K·m] =
/// Σ_n cos(t_k y_nm) and sums[K·M + k + K·m] = Σ_n sin(t_k y_nm) (2·K·M values). Sums of
/// disjoint samples add up to the sums of their union: data-parallel steps reduce them across
/// shards before the statistic (LeJEPA's SIGReg under DDP).
template <class T>
void sigreg_sums(const SigRegCache<T>& cache, const SigRegKnots& q, std::span<double> sums) {
    const Index n = cache.n, m = cache.y.cols(), k = q.size();
    require(std::ssize(sums) == 2 * k * m, "jepa::sigreg_sums", "given ", sums.size(),
            " sums, expected 2·K·M = ", 2 * k * m);
    parallel_for_if_large(n * m * k, 0, m, [&](Index col) {
        Eigen::Array<T, Eigen::Dynamic, 1> c, s;  // (N) cos/sin(t_k y) for the current knot
        detail::for_each_knot<T>(
            q, cache.y.col(col).data(), q.uniform ? cache.cos1.col(col).data() : nullptr,
            q.uniform ? cache.sin1.col(col).data() : nullptr, n, c, s,
            [&](Index kk, const auto& ck, const auto& sk) {
                const auto i = static_cast<std::size_t>(kk + k * col);
                sums[i] = detail::blocked_sum<T>(ck);
                sums[static_cast<std::size_t>(k * m) + i] = detail::blocked_sum<T>(sk);
            });
    });
}

/// The second half of sigreg_forward: the statistic of `count` samples from their sums
/// (sigreg_sums, possibly added over disjoint parts). Fills cache.c_mean, s_mean and
/// per_direction; returns mean_m T_m.
template <class T>
double sigreg_statistic(SigRegCache<T>& cache, std::span<const double> sums, Index count,
                        const SigRegKnots& q) {
    const Index k = q.size(), m = std::ssize(sums) / (2 * k);
    require(count >= 1, "jepa::sigreg_statistic", "embeddings have no rows");
    require(std::ssize(sums) == 2 * k * m && m >= 1, "jepa::sigreg_statistic", "given ",
            sums.size(), " sums, expected 2·K·M with K = ", k);
    cache.c_mean.resize(k, m);
    cache.s_mean.resize(k, m);
    cache.per_direction.assign(static_cast<std::size_t>(m), 0.0);
    const auto n = static_cast<double>(count);
    for (Index col = 0; col < m; ++col) {
        double statistic = 0.0;
        for (Index kk = 0; kk < k; ++kk) {
            const auto i = static_cast<std::size_t>(kk + k * col);
            const double cm = sums[i] / n;
            const double sm = sums[static_cast<std::size_t>(k * m) + i] / n;
            cache.c_mean(kk, col) = cm;
            cache.s_mean(kk, col) = sm;
            const double e = cm - q.phi[static_cast<std::size_t>(kk)];
            statistic += q.weight[static_cast<std::size_t>(kk)] * (e * e + sm * sm);
        }
        cache.per_direction[static_cast<std::size_t>(col)] = statistic * n;
    }
    double total = 0.0;
    for (const double t : cache.per_direction)
        total += t;
    return total / static_cast<double>(m);
}

/// SIGReg of z (N × D) along the given directions (D × M, unit-norm columns). Fills `cache` for
/// sigreg_backward; cache.per_direction holds T_m. Sums over samples are accumulated in double.
template <class T>
double sigreg_forward(SigRegCache<T>& cache, nn::ConstMatRef<T> z, nn::ConstMatRef<T> directions,
                      const SigRegKnots& q) {
    require(z.rows() >= 1, "jepa::sigreg_forward", "embeddings have no rows");
    sigreg_project<T>(cache, z, directions, q);
    std::vector<double> sums(static_cast<std::size_t>(2 * q.size() * directions.cols()));
    sigreg_sums<T>(cache, q, sums);
    return sigreg_statistic<T>(cache, sums, z.rows(), q);
}

/// dz (N × D) += scale · ∂SIGReg/∂z, from the cache of the last sigreg_forward with the same
/// directions: dY_nm = (scale/M)·2 Σ_k w_k t_k [S_k cos(t_k y_nm) − (C_k − φ_k) sin(t_k y_nm)],
/// then dz += dY·Aᵀ.
template <class T>
void sigreg_backward(nn::MatRef<T> dz, const SigRegCache<T>& cache, nn::ConstMatRef<T> directions,
                     const SigRegKnots& q, double scale) {
    const Index n = cache.n, m = directions.cols(), k = q.size();
    require_shape("jepa::sigreg_backward", "gradient", dz, n, directions.rows());
    Matrix<T> dy(n, m);  // (N, M)
    const double per_direction_scale = scale / static_cast<double>(m);
    parallel_for_if_large(n * m * k, 0, m, [&](Index col) {
        std::vector<T> alpha(static_cast<std::size_t>(k)), beta(static_cast<std::size_t>(k));
        for (Index kk = 0; kk < k; ++kk) {
            const auto i = static_cast<std::size_t>(kk);
            const double a = 2.0 * per_direction_scale * q.weight[i] * q.t[i];
            alpha[i] = static_cast<T>(a * cache.s_mean(kk, col));
            beta[i] = static_cast<T>(a * (cache.c_mean(kk, col) - q.phi[i]));
        }
        detail::ArrayMap<T> out(dy.col(col).data(), n);
        out.setZero();
        Eigen::Array<T, Eigen::Dynamic, 1> c, s;
        detail::for_each_knot<T>(q, cache.y.col(col).data(),
                                 q.uniform ? cache.cos1.col(col).data() : nullptr,
                                 q.uniform ? cache.sin1.col(col).data() : nullptr, n, c, s,
                                 [&](Index kk, const auto& ck, const auto& sk) {
                                     out += alpha[static_cast<std::size_t>(kk)] * ck -
                                            beta[static_cast<std::size_t>(kk)] * sk;
                                 });
    });
    dz.noalias() += dy * directions.transpose();
}

/// SIGReg of z along the directions drawn for `step` (value only; training uses the
/// forward/backward pair with the directions it drew).
template <class T>
double sigreg(nn::ConstMatRef<T> z, const SigRegConfig& config, std::uint64_t seed,
              std::uint64_t step) {
    config.validate("jepa::sigreg");
    const SigRegKnots q = SigRegKnots::make(config.knots, config.t_max, config.precision);
    const RowMatrix<T> a = sigreg_directions<T>(z.cols(), config.directions, seed, step);
    SigRegCache<T> cache;
    return sigreg_forward<T>(cache, z, a, q);
}

}  // namespace jepasnn::jepa
