// Spike trains of simulated units. Within each bin the rate λ_u(t) (population.hpp) is constant,
// so a Poisson process with an absolute refractory period (dead time τ_ref) is simulated exactly
// in continuous time by time rescaling (Brown et al., "The time-rescaling theorem", Neural Comput
// 14:325, 2002): a unit-rate exponential variate is spent against ∫λ dt bin by bin; each spike
// silences the unit for τ_ref. One random draw per spike plus one exp() per bin, instead of a
// Bernoulli draw per millisecond. Then the recording artefacts: merged contamination spikes,
// duplicated detections, drift out of the probe, and spikes lost below the detection threshold.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../../core/rng.hpp"
#include "../../core/streams.hpp"
#include "../../core/tensor.hpp"
#include "config.hpp"
#include "population.hpp"
#include "schedule.hpp"
#include "state.hpp"

namespace jepasnn::data::sim {

struct UnitSpikes {
    std::vector<double> times;       // s, sorted
    std::vector<double> amplitudes;  // µV, one per spike
};

/// The rate of unit u in bin k (Hz) under the session's state (population.hpp has the model).
inline double unit_rate(const Population& p, std::size_t u, const RowMatrix<double>& latents,
                        const Schedule& s, const StateTrace& state, std::size_t k,
                        double max_rate_hz) {
    const auto row = static_cast<Index>(k), unit = static_cast<Index>(u);
    if (!p.realistic()) {
        const bool active = s.active[k] != 0;
        const double drive = latents.row(row).dot(p.loadings.row(unit));
        const double log_rate = std::log(p.baseline_hz[u]) +
                                (active ? p.gain_active[u] : p.gain_passive[u]) * drive +
                                (active ? p.offset_active[u] : p.offset_passive[u]);
        return std::min(max_rate_hz, std::exp(log_rate));
    }
    const double centred = state.engagement[k] - 0.5;
    double drive = 0.0;
    for (Index i = 0; i < latents.cols(); ++i)
        drive +=
            p.loadings(unit, i) * latents(row, i) * std::exp(p.input_log_gain(unit, i) * centred);
    const double log_rate = std::log(p.baseline_hz[u]) + drive + p.offset_shift[u] * centred +
                            p.task_loading[u] * state.task_mode[k];
    return std::min(max_rate_hz, std::exp(log_rate));
}

/// Unit u's detected spikes and their amplitudes. Stream (seed, streams::sim_spikes, session·2²⁰ +
/// u): the result does not depend on which thread simulates which unit.
inline UnitSpikes simulate_unit(const Population& p, std::size_t u,
                                const RowMatrix<double>& latents, const Schedule& s,
                                const StateTrace& state, const SimulatorConfig& c,
                                std::uint64_t seed, std::size_t session) {
    RandomStream rng(
        seed, stream_id(streams::sim_spikes, static_cast<std::uint32_t>((session << 20) | u)));
    const double dt = s.bin_width;
    const double duration = s.duration();
    const std::size_t drop_bin = std::isfinite(p.dropout_time[u])
                                     ? static_cast<std::size_t>(p.dropout_time[u] / dt)
                                     : s.n_bins;

    // Time rescaling with dead time.
    std::vector<double> times;
    times.reserve(static_cast<std::size_t>(1.5 * p.baseline_hz[u] * duration) + 16);
    double now = 0.0;
    double budget = -std::log(rng.uniform());  // unit-rate exponential still to spend
    std::size_t k = 0;
    while (k < std::min(drop_bin, s.n_bins)) {
        const double rate = unit_rate(p, u, latents, s, state, k, c.max_rate_hz);
        const double bin_end = static_cast<double>(k + 1) * dt;
        const double available = rate * std::max(0.0, bin_end - now);
        if (budget < available) {
            now += budget / rate;
            times.push_back(now);
            now += c.refractory_s;
            budget = -std::log(rng.uniform());
            k = std::max(k, static_cast<std::size_t>(now / dt));
        } else {
            budget -= available;
            now = bin_end;
            ++k;
        }
    }

    // Artefacts: duplicated detections 0.1–1 ms after a spike, and merged spikes of another
    // neuron that ignore this one's refractory period.
    const std::size_t n_true = times.size();
    if (p.duplicate_probability[u] > 0.0)
        for (std::size_t i = 0; i < n_true; ++i)
            if (rng.bernoulli(p.duplicate_probability[u]))
                times.push_back(times[i] + rng.uniform(0.0001, 0.001));
    if (p.contamination_hz[u] > 0.0)
        for (double t = rng.exponential(p.contamination_hz[u]); t < duration;
             t += rng.exponential(p.contamination_hz[u]))
            times.push_back(t);
    std::sort(times.begin(), times.end());

    // Detection: a spike is recorded when its amplitude clears the threshold.
    UnitSpikes out;
    out.times.reserve(times.size());
    out.amplitudes.reserve(times.size());
    for (double t : times) {
        if (t >= duration) continue;
        const double amplitude = rng.normal(p.amplitude_mean_uv[u], p.amplitude_sd_uv[u]);
        if (amplitude < detection_threshold_uv) continue;
        out.times.push_back(t);
        out.amplitudes.push_back(amplitude);
    }
    return out;
}

}  // namespace jepasnn::data::sim
