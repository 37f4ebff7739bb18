// The units of one simulated session: brain area and hierarchy level, probe and peak channel,
// log-normal baseline rate, latent loadings, the state-dependent code, and the recording
// artefacts that quality control must catch. Log-rate of unit u at bin t, easy regime (s the
// state, active or not):
//   log λ_u(t) = log r_u + g_{u,s} · (c_u · z_t) + o_{u,s},
// with engagement (s = active) scaling the gain by exp(±h_u σ_g ξ_u / 2) and shifting the
// baseline by ±h_u σ_o η_u / 2, h_u the area's hierarchy level (DESIGN.md: one latent dynamics,
// a different neural code per state, more so higher in the hierarchy). Realistic regime, with
// engagement e(t) and task mode a(t) from state.hpp:
//   log λ_u(t) = log r_u + Σ_i c_ui z_ti exp(L_ui (e(t) − ½)) + h_u σ_o η_u (e(t) − ½) + m_u a(t).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../../core/json.hpp"
#include "../../core/rng.hpp"
#include "../../core/streams.hpp"
#include "../../core/tensor.hpp"
#include "config.hpp"
#include "schedule.hpp"

namespace jepasnn::data::sim {

enum class UnitKind { good, noise, contaminated, dropout, low_amplitude };

inline const char* unit_kind_name(UnitKind k) {
    constexpr const char* names[] = {"good", "noise", "contaminated", "dropout", "low_amplitude"};
    return names[static_cast<int>(k)];
}

/// A recorded area: hierarchy level (0 = thalamic input, 1 = top), how strongly it follows the
/// visual latents, its share of units, and the probe that records it.
struct Area {
    const char* name;
    double hierarchy;
    double visual_weight;
    double share;
    std::size_t probe;
};

inline constexpr std::array<Area, 9> areas = {{
    {"LGd", 0.0, 1.0, 0.08, 2},
    {"VISp", 0.2, 1.0, 0.16, 2},
    {"VISl", 0.4, 1.0, 0.12, 3},
    {"VISrl", 0.5, 0.9, 0.09, 1},
    {"VISal", 0.55, 0.9, 0.10, 4},
    {"LP", 0.6, 0.8, 0.10, 5},
    {"VISpm", 0.75, 0.85, 0.10, 0},
    {"VISam", 0.85, 0.8, 0.09, 0},
    {"CA1", 1.0, 0.5, 0.16, 5},
}};
inline constexpr std::array<const char*, 6> probe_names = {"probeA", "probeB", "probeC",
                                                           "probeD", "probeE", "probeF"};
inline constexpr std::size_t channels_per_probe = 384;
/// Spikes whose amplitude falls below this are not detected (µV).
inline constexpr double detection_threshold_uv = 50.0;
inline constexpr double channel_noise_uv = 10.0;

/// The channels of a probe are split evenly between the areas it records (by depth), so each
/// channel has exactly one area. Channel ids are 1000·(probe + 1) + channel.
struct ChannelRange {
    std::size_t first = 0, last = 0;  // [first, last) local channels
};
inline ChannelRange channel_range(std::size_t area) {
    const std::size_t probe = areas[area].probe;
    std::size_t count = 0, rank = 0;
    for (std::size_t a = 0; a < areas.size(); ++a) {
        if (areas[a].probe != probe) continue;
        if (a < area) ++rank;
        ++count;
    }
    const std::size_t width = channels_per_probe / count;
    return {rank * width, (rank + 1) * width};
}
inline std::int64_t channel_id(std::size_t probe, std::size_t channel) {
    return static_cast<std::int64_t>(1000 * (probe + 1) + channel);
}

/// Per-unit parameters (column-oriented: entry u of each vector is unit u).
struct Population {
    std::vector<std::int64_t> id;
    std::vector<std::size_t> area;  // index into `areas`
    std::vector<UnitKind> kind;
    std::vector<std::int64_t> peak_channel_id;
    std::vector<double> baseline_hz;
    RowMatrix<double> loadings;  // c_u (units, dim)
    std::vector<double> gain_active, gain_passive, offset_active, offset_passive;
    std::vector<double> offset_shift;  // h_u σ_o η_u
    // Realistic regime only (empty in the easy one): L (units, dim) and m_u.
    RowMatrix<double> input_log_gain;
    std::vector<double> task_loading;
    std::vector<double> dropout_time;           // s; NaN when the unit stays
    std::vector<double> duplicate_probability;  // per spike
    std::vector<double> contamination_hz;       // extra Poisson spikes without refractoriness
    std::vector<double> amplitude_mean_uv, amplitude_sd_uv, snr;

    std::size_t size() const { return id.size(); }
    bool realistic() const { return !task_loading.empty(); }

    Json to_json() const {
        Json j;
        j["id"] = id;
        std::vector<std::string> area_names, kinds;
        std::vector<double> hierarchy;
        for (std::size_t u = 0; u < size(); ++u) {
            area_names.emplace_back(areas[area[u]].name);
            hierarchy.push_back(areas[area[u]].hierarchy);
            kinds.emplace_back(unit_kind_name(kind[u]));
        }
        auto finite_or_null = [](const std::vector<double>& v) {
            Json a = Json::array();
            for (double x : v)
                a.push_back(std::isfinite(x) ? Json(x) : Json(nullptr));
            return a;
        };
        j["area"] = area_names;
        j["hierarchy"] = hierarchy;
        j["kind"] = kinds;
        j["peak_channel_id"] = peak_channel_id;
        j["baseline_hz"] = baseline_hz;
        j["gain_active"] = gain_active;
        j["gain_passive"] = gain_passive;
        j["offset_active"] = offset_active;
        j["offset_passive"] = offset_passive;
        if (realistic()) {
            j["offset_shift"] = offset_shift;
            j["input_log_gain"] = jepasnn::to_json(input_log_gain);
            j["task_loading"] = task_loading;
        }
        j["dropout_time"] = finite_or_null(dropout_time);
        j["duplicate_probability"] = duplicate_probability;
        j["contamination_hz"] = contamination_hz;
        j["amplitude_mean_uv"] = amplitude_mean_uv;
        j["amplitude_sd_uv"] = amplitude_sd_uv;
        j["snr"] = snr;
        return j;
    }
};

namespace detail {
/// Unit kinds: a fixed count per artefact (its fraction of the units), at random positions.
inline std::vector<UnitKind> shuffled_kinds(const SimulatorConfig& c, std::size_t n_units,
                                            RandomStream& rng) {
    std::vector<UnitKind> kinds(n_units, UnitKind::good);
    std::size_t at = 0;
    auto place = [&](double fraction, UnitKind k) {
        const auto count =
            static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n_units)));
        for (std::size_t i = 0; i < count && at < n_units; ++i)
            kinds[at++] = k;
    };
    place(c.noise_fraction, UnitKind::noise);
    place(c.contaminated_fraction, UnitKind::contaminated);
    place(c.dropout_fraction, UnitKind::dropout);
    place(c.low_amplitude_fraction, UnitKind::low_amplitude);
    rng.shuffle(kinds.begin(), kinds.end());
    return kinds;
}

/// An area, drawn by its share of units.
inline std::size_t draw_area(RandomStream& rng) {
    const double pick = rng.uniform();
    double cumulative = 0.0;
    for (std::size_t i = 0; i < areas.size(); ++i) {
        cumulative += areas[i].share;
        if (pick < cumulative) return i;
    }
    return areas.size() - 1;
}

/// One unit's rate, state code and waveform, before they go into the Population's columns.
struct UnitParameters {
    double rate = 0.0, log_gain_ratio = 0.0, offset_shift = 0.0;
    double dropout = std::nan(""), duplicates = 0.0, contamination = 0.0;
    double amplitude = 0.0, amplitude_sd = 15.0, snr = 0.0;
};

/// The parameters of a unit of `kind` in area `a`, and its latent loadings into row u of
/// `loadings` (the draws in a fixed order: the simulator's output depends on it).
inline UnitParameters draw_unit(const SimulatorConfig& c, UnitKind kind, std::size_t a,
                                double duration_s, RandomStream& rng, RowMatrix<double>& loadings,
                                Index u) {
    UnitParameters q;
    const double baseline =
        std::clamp(c.median_rate_hz * std::exp(c.rate_log_sd * rng.normal()), 0.2, 60.0);
    const double h = areas[a].hierarchy;
    const double xi = rng.normal(), eta = rng.normal();
    q.log_gain_ratio = h * c.state_gain_sd * xi;
    q.offset_shift = h * c.state_offset_sd * eta;
    const double magnitude = c.loading_scale * areas[a].visual_weight * rng.uniform(0.7, 1.3);
    // c_u = magnitude · w, w ~ N(0, I/d): |w| ≈ 1 so the modulation SD is ≈ magnitude.
    const Index dim = loadings.cols();
    for (Index i = 0; i < dim; ++i)
        loadings(u, i) = magnitude * rng.normal() / std::sqrt(static_cast<double>(dim));
    q.amplitude = std::max(110.0, 150.0 * std::exp(0.3 * rng.normal()));
    q.snr = q.amplitude / channel_noise_uv;
    q.rate = baseline;
    switch (kind) {
        case UnitKind::noise:  // no latent drive, no state code, low SNR, an arbitrary rate
            loadings.row(u).setZero();
            q.log_gain_ratio = q.offset_shift = 0.0;
            q.rate = rng.uniform(0.5, 20.0);
            q.snr = rng.uniform(0.5, 2.0);
            break;
        case UnitKind::contaminated:
            q.duplicates = rng.uniform(0.02, 0.12);
            q.contamination = 0.3 * baseline;
            break;
        case UnitKind::dropout:
            q.dropout = rng.uniform(0.1, 0.7) * duration_s;
            break;
        case UnitKind::low_amplitude:  // the amplitude distribution straddles the threshold
            q.amplitude = detection_threshold_uv + rng.uniform(-0.5, 1.0) * q.amplitude_sd;
            q.snr = q.amplitude / channel_noise_uv;
            break;
        case UnitKind::good:
            break;
    }
    return q;
}

inline void append_unit(Population& p, std::int64_t id, std::size_t area, UnitKind kind,
                        std::int64_t peak_channel_id, const UnitParameters& q) {
    p.id.push_back(id);
    p.area.push_back(area);
    p.kind.push_back(kind);
    p.peak_channel_id.push_back(peak_channel_id);
    p.baseline_hz.push_back(q.rate);
    p.gain_active.push_back(std::exp(0.5 * q.log_gain_ratio));
    p.gain_passive.push_back(std::exp(-0.5 * q.log_gain_ratio));
    p.offset_active.push_back(0.5 * q.offset_shift);
    p.offset_passive.push_back(-0.5 * q.offset_shift);
    p.offset_shift.push_back(q.offset_shift);
    p.dropout_time.push_back(q.dropout);
    p.duplicate_probability.push_back(q.duplicates);
    p.contamination_hz.push_back(q.contamination);
    p.amplitude_mean_uv.push_back(q.amplitude);
    p.amplitude_sd_uv.push_back(q.amplitude_sd);
    p.snr.push_back(q.snr);
}

/// The realistic regime's per-input log gains L_ui = h_u σ_in ξ_ui and task-mode weights
/// m_u ~ N(0, σ_t²); noise units get neither. Stream (seed, streams::sim_state, 2·session + 1),
/// drawn after the easy parameters, so those do not depend on the regime.
inline void draw_realistic_code(Population& p, const SimulatorConfig& c, std::uint64_t seed,
                                std::size_t session) {
    RandomStream rng(seed,
                     stream_id(streams::sim_state, static_cast<std::uint32_t>(2 * session + 1)));
    p.input_log_gain = RowMatrix<double>::Zero(p.loadings.rows(), p.loadings.cols());
    p.task_loading.assign(p.size(), 0.0);
    for (std::size_t u = 0; u < p.size(); ++u) {
        const double scale = areas[p.area[u]].hierarchy * c.realistic.input_gain_sd;
        const auto row = static_cast<Index>(u);
        for (Index i = 0; i < p.input_log_gain.cols(); ++i)
            p.input_log_gain(row, i) = scale * rng.normal();
        p.task_loading[u] = c.realistic.task_mode_sd * rng.normal();
        if (p.kind[u] == UnitKind::noise) {
            p.input_log_gain.row(row).setZero();
            p.task_loading[u] = 0.0;
        }
    }
}
}  // namespace detail

/// Units for one session: unit count, areas, kinds and parameters from (seed, session).
inline Population make_population(const SimulatorConfig& c, std::size_t n_units, double duration_s,
                                  std::uint64_t seed, std::size_t session) {
    RandomStream rng(seed, stream_id(streams::sim_population, static_cast<std::uint32_t>(session)));
    Population p;
    p.loadings =
        RowMatrix<double>::Zero(static_cast<Index>(n_units), static_cast<Index>(c.latent_dim));
    const std::vector<UnitKind> kinds = detail::shuffled_kinds(c, n_units, rng);
    std::int64_t next_id = 950'000'000 + static_cast<std::int64_t>(session) * 1'000'000;
    for (std::size_t u = 0; u < n_units; ++u) {
        const std::size_t a = detail::draw_area(rng);
        const ChannelRange range = channel_range(a);
        const std::size_t channel = range.first + rng.uniform_index(range.last - range.first);
        next_id += 1 + static_cast<std::int64_t>(rng.uniform_index(200));
        const detail::UnitParameters q =
            detail::draw_unit(c, kinds[u], a, duration_s, rng, p.loadings, static_cast<Index>(u));
        detail::append_unit(p, next_id, a, kinds[u], channel_id(areas[a].probe, channel), q);
    }
    if (c.state_regime == StateRegime::realistic) detail::draw_realistic_code(p, c, seed, session);
    return p;
}

}  // namespace jepasnn::data::sim
