// Helpers of the distill tests: a synthetic session whose spike counts are driven by known smooth
// latents (the stand-in for teacher latents), and a small, fast student configuration.
#pragma once

#include <jepasnn/core/rng.hpp>
#include <jepasnn/distill/distill.hpp>

#include <cmath>
#include <numbers>

namespace jepasnn::test {

/// Latents (K, 3): a damped rotation with a 1 s period and a slow (2 s) decay mode, driven by
/// Gaussian noise, scaled to unit variance; counts (K, F): Poisson with rate
/// rate_hz · exp(0.8 · loadingsᵀ z − 0.32), per 10 ms bin.
inline std::pair<RowMatrix<double>, RowMatrix<double>> synthetic_session(Index bins, Index units,
                                                                         std::uint64_t seed,
                                                                         double rate_hz = 15.0) {
    const Index d = 3;
    RowMatrix<double> z(bins, d);  // (K, 3)
    const double dt = 0.01, c = std::cos(2 * std::numbers::pi * dt),
                 s = std::sin(2 * std::numbers::pi * dt);
    const double a = std::exp(-dt / 1.0), b = std::exp(-dt / 2.0);
    Vector<double> state = Vector<double>::Zero(d);
    for (Index t = 0; t < bins; ++t) {
        const double n0 = normal_at(seed, 1, std::uint64_t(3 * t)),
                     n1 = normal_at(seed, 1, std::uint64_t(3 * t + 1)),
                     n2 = normal_at(seed, 1, std::uint64_t(3 * t + 2));
        const double x0 = a * (c * state(0) - s * state(1)) + 0.1 * n0;
        const double x1 = a * (s * state(0) + c * state(1)) + 0.1 * n1;
        state << x0, x1, b * state(2) + 0.1 * n2;
        z.row(t) = state.transpose();
    }
    z.rowwise() -= z.colwise().mean();
    for (Index j = 0; j < d; ++j)
        z.col(j) /= std::sqrt(z.col(j).squaredNorm() / double(bins));
    RowMatrix<double> counts(bins, units);  // (K, F)
    for (Index j = 0; j < units; ++j) {
        Vector<double> w(d);
        for (Index i = 0; i < d; ++i)
            w(i) = normal_at(seed, 2, std::uint64_t(j * d + i)) / std::sqrt(double(d));
        for (Index t = 0; t < bins; ++t) {
            const double lambda = rate_hz * dt * std::exp(0.8 * z.row(t).dot(w) - 0.32);
            // Poisson by inversion from one uniform per (unit, bin).
            const double u = uniform_at(seed, 3, std::uint64_t(t * units + j));
            double p = std::exp(-lambda), cdf = p;
            int k = 0;
            while (u > cdf && k < 50) {
                ++k;
                p *= lambda / k;
                cdf += p;
            }
            counts(t, j) = k;
        }
    }
    return {std::move(counts), std::move(z)};
}

/// A small student that trains in seconds.
inline distill::DistillConfig small_config() {
    distill::DistillConfig c;
    c.neurons = 40;
    c.steps = 6;
    c.batch = 4;
    c.window_bins = 30;
    c.burn_in_bins = 5;
    c.warmup_steps = 2;
    c.block_bins = 200;
    c.eval_every = 3;
    c.monitor_windows = 4;
    c.eval_segments = 2;
    c.eval_chunk_bins = 100;
    c.null_samples = 20;
    c.checkpoint_every = 3;
    c.seed = 7;
    return c;
}

}  // namespace jepasnn::test
