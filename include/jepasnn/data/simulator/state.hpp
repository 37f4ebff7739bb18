// Brain state over a simulated session: engagement e(t) and the task mode a(t) per bin of the
// simulator's grid (config.hpp documents both regimes and cites what they rest on).
//   easy:      e = 1 in the active block and 0 elsewhere; a = 0.
//   realistic: e = μ(t) + x(t) + κ·v(t)/30 cm/s, μ falling linearly from engagement_start to
//              engagement_end over the active block and 0 elsewhere, x an Ornstein–Uhlenbeck
//              fluctuation over the whole session, v the running speed; a(t) is the licking
//              indicator (a bout after each hit, spontaneous bouts) through a first-order
//              low-pass, in the active block only (0 elsewhere).
// Stream (seed, streams::sim_state, 2·session): the OU noise and the false-alarm times.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "../../core/error.hpp"
#include "../../core/rng.hpp"
#include "../../core/streams.hpp"
#include "config.hpp"
#include "schedule.hpp"

namespace jepasnn::data::sim {

struct StateTrace {
    std::vector<double> engagement;    // (n_bins,) e(t)
    std::vector<double> task_mode;     // (n_bins,) a(t), 0 outside the active block
    std::vector<std::int8_t> licking;  // (n_bins,) lick bouts (realistic regime)
};

namespace detail {
/// Marks bins [start, start + length) of the active block as licking.
inline void mark_bout(std::vector<std::int8_t>& licking, std::size_t start, std::size_t length,
                      std::size_t block_stop) {
    for (std::size_t k = start; k < std::min(start + length, block_stop); ++k)
        licking[k] = 1;
}

/// Lick bouts of the active block: one after each hit (at its response latency), and
/// spontaneous ones at false_alarm_hz (a Poisson process).
inline std::vector<std::int8_t> lick_bouts(const RealisticStateConfig& r, const Schedule& s,
                                           RandomStream& rng) {
    std::vector<std::int8_t> licking(s.n_bins, 0);
    const double dt = s.bin_width;
    const std::size_t begin = s.block_start[0], end = s.block_stop[0];
    const auto bins = [dt](double seconds) {
        return static_cast<std::size_t>(std::llround(seconds / dt));
    };
    for (const Trial& t : s.trials)
        if (t.hit)
            mark_bout(licking, t.change_bin + bins(t.response_latency), bins(r.lick_bout_s), end);
    if (r.false_alarm_hz > 0.0)
        for (double t = rng.exponential(r.false_alarm_hz);
             t < static_cast<double>(end - begin) * dt; t += rng.exponential(r.false_alarm_hz))
            mark_bout(licking, begin + bins(t), bins(r.false_alarm_bout_s), end);
    return licking;
}

/// The mean engagement μ(t): a linear decline over the active block, 0 elsewhere.
inline double engagement_mean(const RealisticStateConfig& r, const Schedule& s, std::size_t k) {
    const std::size_t begin = s.block_start[0], end = s.block_stop[0];
    if (k < begin || k >= end) return 0.0;
    const double progress = static_cast<double>(k - begin) / static_cast<double>(end - begin);
    return r.engagement_start + (r.engagement_end - r.engagement_start) * progress;
}
}  // namespace detail

/// The state of every bin of a session; `running_cm_s` per bin (RunningTrace::per_bin).
inline StateTrace simulate_state(const SimulatorConfig& c, const Schedule& s,
                                 std::span<const double> running_cm_s, std::uint64_t seed,
                                 std::size_t session) {
    require_size("simulate_state", "running speed", running_cm_s.size(), s.n_bins, "bins");
    StateTrace st;
    st.engagement.resize(s.n_bins);
    st.task_mode.assign(s.n_bins, 0.0);
    st.licking.assign(s.n_bins, 0);
    if (c.state_regime == StateRegime::easy) {
        for (std::size_t k = 0; k < s.n_bins; ++k)
            st.engagement[k] = s.active[k] != 0 ? 1.0 : 0.0;
        return st;
    }
    const RealisticStateConfig& r = c.realistic;
    RandomStream rng(seed, stream_id(streams::sim_state, static_cast<std::uint32_t>(2 * session)));
    const double keep = std::exp(-s.bin_width / r.engagement_tau_s);
    const double step_sd = r.engagement_sd * std::sqrt(1.0 - keep * keep);
    double x = r.engagement_sd * rng.normal();
    for (std::size_t k = 0; k < s.n_bins; ++k) {
        st.engagement[k] =
            detail::engagement_mean(r, s, k) + x + r.arousal_per_running * running_cm_s[k] / 30.0;
        x = keep * x + step_sd * rng.normal();
    }
    st.licking = detail::lick_bouts(r, s, rng);
    const double follow = std::exp(-s.bin_width / r.task_mode_tau_s);
    double a = 0.0;
    for (std::size_t k = s.block_start[0]; k < s.block_stop[0]; ++k) {
        a = follow * a + (1.0 - follow) * static_cast<double>(st.licking[k]);
        st.task_mode[k] = a;
    }
    return st;
}

}  // namespace jepasnn::data::sim
