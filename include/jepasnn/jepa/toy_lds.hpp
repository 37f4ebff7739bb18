// A toy data source with known latents, for tests and examples: a linear dynamical system of
// damped rotations x_{t+1} = A x_t + σ ε_t (one 2-D rotation per latent pair, stationary unit
// variance) observed through Poisson spike counts with log-linear rates
// λ_{t,u} = dt·r_u·exp(c_u · x_t − |c_u|²/2). Sessions share A and differ in their units
// (count, baselines, loadings) and in their noise. Everything comes from our counter-based RNG.
// (The VBN-like simulator of the data module is the realistic source; this one is small and fast.)
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "../core/streams.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::jepa {

struct ToyLdsConfig {
    Index latent = 4;  // d (even: rotation pairs)
    Index bins = 6000;
    double dt = 0.01;            // s per bin
    double decay = 0.99;         // per-bin radius of each rotation
    double slowest_hz = 0.5;     // rotation frequencies spread from here
    double fastest_hz = 2.0;     //   to here
    double mean_rate_hz = 20.0;  // typical unit rate (log-normal across units)
    double loading_scale = 0.7;  // |c_u| ≈ loading_scale
};

struct ToyLds {
    RowMatrix<double> latents;   // (bins, d) true x_t
    RowMatrix<double> counts;    // (bins, units) spike counts
    RowMatrix<double> loadings;  // (d, units) c_u in columns
    Matrix<double> dynamics;     // (d, d) A
};

/// The shared dynamics matrix A (d × d, block-diagonal damped rotations).
inline Matrix<double> toy_lds_dynamics(const ToyLdsConfig& c) {
    require(c.latent >= 2 && c.latent % 2 == 0, "jepa::toy_lds", "latent is ", c.latent,
            ", expected an even number >= 2");
    require(c.decay > 0.0 && c.decay < 1.0, "jepa::toy_lds", "decay is ", c.decay,
            ", expected (0, 1)");
    Matrix<double> a = Matrix<double>::Zero(c.latent, c.latent);
    const Index pairs = c.latent / 2;
    for (Index j = 0; j < pairs; ++j) {
        const double hz = pairs == 1 ? c.slowest_hz
                                     : c.slowest_hz + (c.fastest_hz - c.slowest_hz) *
                                                          static_cast<double>(j) /
                                                          static_cast<double>(pairs - 1);
        const double w = 2.0 * std::numbers::pi * hz * c.dt;
        a(2 * j, 2 * j) = a(2 * j + 1, 2 * j + 1) = c.decay * std::cos(w);
        a(2 * j, 2 * j + 1) = -c.decay * std::sin(w);
        a(2 * j + 1, 2 * j) = c.decay * std::sin(w);
    }
    return a;
}

/// Session `session` with `units` units, from (seed, session).
inline ToyLds make_toy_lds(const ToyLdsConfig& c, Index units, std::uint64_t seed,
                           std::uint32_t session = 0) {
    require(units >= 1 && c.bins >= 2, "jepa::make_toy_lds", "units = ", units, ", bins = ", c.bins,
            ", expected >= 1 and >= 2");
    ToyLds out;
    out.dynamics = toy_lds_dynamics(c);
    const Index d = c.latent;
    // Stationary unit variance: each rotation block scales by `decay`, so σ² = 1 − decay².
    const double sigma = std::sqrt(1.0 - c.decay * c.decay);
    RandomStream noise(seed, stream_id(streams::jepa_toy_data, 3 * session));
    RandomStream units_rng(seed, stream_id(streams::jepa_toy_data, 3 * session + 1));
    RandomStream spikes(seed, stream_id(streams::jepa_toy_data, 3 * session + 2));

    out.latents.resize(c.bins, d);
    Vector<double> x(d);
    for (Index i = 0; i < d; ++i)
        x(i) = noise.normal();
    for (Index t = 0; t < c.bins; ++t) {
        out.latents.row(t) = x.transpose();
        Vector<double> next = out.dynamics * x;
        for (Index i = 0; i < d; ++i)
            next(i) += sigma * noise.normal();
        x = next;
    }

    out.loadings.resize(d, units);
    Vector<double> log_rate(units);
    for (Index u = 0; u < units; ++u) {
        double norm2 = 0.0;
        for (Index i = 0; i < d; ++i) {
            out.loadings(i, u) =
                c.loading_scale * units_rng.normal() / std::sqrt(static_cast<double>(d));
            norm2 += out.loadings(i, u) * out.loadings(i, u);
        }
        // exp(c·x − |c|²/2) has mean 1 under x ~ N(0, I): r_u is the unit's mean rate.
        log_rate(u) = std::log(c.mean_rate_hz * c.dt) + 0.5 * units_rng.normal() - 0.5 * norm2;
    }
    out.counts.resize(c.bins, units);
    for (Index t = 0; t < c.bins; ++t)
        for (Index u = 0; u < units; ++u) {
            const double eta = log_rate(u) + out.latents.row(t).dot(out.loadings.col(u));
            out.counts(t, u) = static_cast<double>(spikes.poisson(std::exp(eta)));
        }
    return out;
}

}  // namespace jepasnn::jepa
