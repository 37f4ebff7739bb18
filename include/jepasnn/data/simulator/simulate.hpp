// The VBN-like simulator (DESIGN.md "Simulator"): a cohort of sessions from one seed, each with a
// VBN stimulus schedule, running speed, latents from the shared dynamics, a unit population with
// a state-dependent code and recording artefacts, and quality metrics computed from the simulated
// spikes. Sessions are written as NWB (the layout NwbFile reads) plus ground truth
// (ground_truth.hpp documents the files), a group of units at a time, so memory holds one
// group's spikes (a VBN-size session: 0.44 GB peak instead of 7.1 GB). Same seed and config →
// the same cohort, whatever the thread count and the grouping.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "../../core/atomic_file.hpp"
#include "../../core/error.hpp"
#include "../../core/json.hpp"
#include "../../core/progress.hpp"
#include "../../core/run_info.hpp"
#include "../../core/streams.hpp"
#include "../../core/threads.hpp"
#include "../blocks.hpp"
#include "../nwb_writer.hpp"
#include "../quality_metrics.hpp"
#include "../table.hpp"
#include "../units.hpp"
#include "config.hpp"
#include "dynamics.hpp"
#include "ground_truth.hpp"
#include "population.hpp"
#include "schedule.hpp"
#include "spikes.hpp"
#include "state.hpp"

namespace jepasnn::data {

/// The image names of a cohort ("im000"-style, as in VBN), drawn from the seed.
inline std::vector<std::string> cohort_image_names(const SimulatorConfig& c, std::uint64_t seed) {
    RandomStream rng(seed, stream_id(streams::sim_dynamics, 1));
    const std::vector<std::size_t> order = rng.permutation(120);
    std::vector<std::size_t> picked(order.begin(),
                                    order.begin() + static_cast<std::ptrdiff_t>(c.images));
    std::sort(picked.begin(), picked.end());
    std::vector<std::string> names;
    for (std::size_t i : picked) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "im%03zu", i);
        names.emplace_back(buf);
    }
    return names;
}

/// The table name VBN uses for its image presentations.
inline constexpr const char* image_table_name =
    "Natural_Images_Lum_Matched_set_ophys_G_2019_presentations";

/// Everything about one simulated session but its spikes: schedule, behaviour, state, latents,
/// the unit population and the session's tables. Small (per-bin traces and per-unit
/// parameters); the spikes are simulated from it, a group of units at a time.
struct SessionModel {
    std::string name;  // "session_000"
    std::size_t index = 0;
    SessionInfo info;
    sim::Schedule schedule;
    sim::RunningTrace running;
    sim::StateTrace state;      // engagement and task mode per bin
    RowMatrix<double> latents;  // (n_bins, d)
    sim::Population population;
    Table electrodes;
    std::vector<Table> intervals;
    TimeSeries running_speed;

    std::size_t n_units() const { return population.id.size(); }

    GroundTruth truth() const {
        GroundTruth g;
        g.bin_width = schedule.bin_width;
        g.time.resize(schedule.n_bins);
        for (std::size_t k = 0; k < schedule.n_bins; ++k)
            g.time[k] = schedule.time(k);
        g.latents = latents;
        g.active = schedule.active;
        g.block = schedule.block;
        g.running_speed = running.per_bin;
        g.engagement = state.engagement;
        g.task_mode = state.task_mode;
        g.image = schedule.image_on;
        g.change = schedule.change_on;
        g.omitted = schedule.omission_on;
        g.loadings = population.loadings;
        g.units = population.to_json();
        return g;
    }
};

/// A simulated session with its whole units table in memory (tests and small sessions; the
/// cohort writes each session's units to its file a group at a time instead).
struct SimulatedSession : SessionModel {
    UnitTable units;  // spikes + every column written to the file
};

/// Units simulated and written to a session's file at a time (bounds the simulator's memory).
inline constexpr std::size_t simulated_unit_group = 64;

namespace detail {

inline Table presentation_table(const std::string& name, const std::vector<sim::Presentation>& rows,
                                const sim::Schedule& s, const std::string& stimulus,
                                const std::vector<std::string>& images, bool image_columns,
                                bool gabor_columns, bool flash_columns) {
    std::vector<std::int64_t> ids(rows.size());
    std::vector<double> start, stop, duration, orientation, x, y, color, active_real;
    std::vector<std::int64_t> block, since;
    std::vector<std::string> stimulus_name, image_name;
    std::vector<std::int8_t> active, is_change, omitted;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const sim::Presentation& p = rows[i];
        ids[i] = static_cast<std::int64_t>(i);
        start.push_back(s.time(p.start_bin));
        stop.push_back(s.time(p.stop_bin));
        duration.push_back(stop.back() - start.back());
        block.push_back(p.block);
        stimulus_name.push_back(stimulus);
        active.push_back(p.block == 0);
        active_real.push_back(p.block == 0 ? 1.0 : 0.0);
        is_change.push_back(p.is_change);
        omitted.push_back(p.omitted);
        since.push_back(p.flashes_since_change);
        image_name.push_back(p.omitted      ? "omitted"
                             : p.image >= 0 ? images[static_cast<std::size_t>(p.image)]
                                            : "");
        constexpr double degrees[] = {0.0, 45.0, 90.0};
        orientation.push_back(p.orientation >= 0 ? degrees[p.orientation] : std::nan(""));
        x.push_back(p.position_x);
        y.push_back(p.position_y);
        color.push_back(p.color);
    }
    Table t("/intervals/" + name, ids);
    t.add(Column::reals("start_time", start).with_description("Start time of epoch, in seconds"));
    t.add(Column::reals("stop_time", stop).with_description("Stop time of epoch, in seconds"));
    t.add(Column::integers("stimulus_block", block).with_description("stimulus block index"));
    t.add(Column::texts("stimulus_name", stimulus_name));
    t.add(Column::reals("duration", duration));
    if (image_columns) {
        // VBN stores these as bools; the other tables carry `active` as float64 1/0, as
        // VBN's concatenated stimulus tables do: both encodings reach the reader.
        t.add(Column::booleans("active", active).with_description("task engaged"));
        t.add(Column::texts("image_name", image_name));
        t.add(Column::booleans("is_change", is_change));
        t.add(Column::booleans("omitted", omitted));
        t.add(Column::integers("flashes_since_change", since));
    } else {
        t.add(Column::reals("active", active_real).with_description("task engaged (1/0)"));
    }
    if (gabor_columns) {
        t.add(Column::reals("orientation", orientation));
        t.add(Column::reals("position_x", x));
        t.add(Column::reals("position_y", y));
    }
    if (flash_columns) t.add(Column::reals("color", color));
    return t;
}

inline std::vector<Table> interval_tables(const sim::Schedule& s,
                                          const std::vector<std::string>& images) {
    std::vector<Table> tables;
    tables.push_back(presentation_table(image_table_name, s.images, s,
                                        "Natural_Images_Lum_Matched_set_ophys_G_2019", images, true,
                                        false, false));
    std::vector<sim::Presentation> spontaneous;
    for (std::size_t b : {1, 3}) {
        sim::Presentation p;
        p.start_bin = s.block_start[b];
        p.stop_bin = s.block_stop[b];
        p.block = static_cast<std::int64_t>(b);
        spontaneous.push_back(p);
    }
    tables.push_back(presentation_table("spontaneous_presentations", spontaneous, s, "spontaneous",
                                        images, false, false, false));
    tables.push_back(presentation_table("gabor_20_deg_250ms_presentations", s.gabors, s,
                                        "gabor_20_deg_250ms", images, false, true, false));
    tables.push_back(presentation_table("flash_250ms_presentations", s.flashes, s, "flash_250ms",
                                        images, false, false, true));
    // Trials of the active task: one go trial per change.
    std::vector<std::int64_t> ids;
    std::vector<double> start, stop, change_time, latency;
    std::vector<std::string> initial, changed;
    std::vector<std::int8_t> go, hit;
    for (std::size_t i = 0; i < s.trials.size(); ++i) {
        const sim::Trial& t = s.trials[i];
        ids.push_back(static_cast<std::int64_t>(i));
        start.push_back(s.time(t.start_bin));
        stop.push_back(s.time(t.stop_bin));
        change_time.push_back(s.time(t.change_bin));
        initial.push_back(t.initial_image >= 0 ? images[static_cast<std::size_t>(t.initial_image)]
                                               : "");
        changed.push_back(images[static_cast<std::size_t>(t.change_image)]);
        go.push_back(1);
        hit.push_back(t.hit);
        latency.push_back(t.response_latency);
    }
    Table trials("/intervals/trials", ids);
    trials.add(Column::reals("start_time", start));
    trials.add(Column::reals("stop_time", stop));
    trials.add(Column::reals("change_time", change_time));
    trials.add(Column::texts("initial_image_name", initial));
    trials.add(Column::texts("change_image_name", changed));
    trials.add(Column::booleans("go", go));
    trials.add(Column::booleans("hit", hit));
    trials.add(Column::reals("response_latency", latency)
                   .with_description("lick latency after the change (s), NaN on a miss"));
    tables.push_back(std::move(trials));
    return tables;
}

inline Table electrodes_table() {
    std::vector<std::int64_t> ids;
    std::vector<std::string> location, group;
    std::vector<std::int64_t> channel;
    for (std::size_t probe = 0; probe < sim::probe_names.size(); ++probe)
        for (std::size_t a = 0; a < sim::areas.size(); ++a) {
            if (sim::areas[a].probe != probe) continue;
            const sim::ChannelRange r = sim::channel_range(a);
            for (std::size_t ch = r.first; ch < r.last; ++ch) {
                ids.push_back(sim::channel_id(probe, ch));
                location.emplace_back(sim::areas[a].name);
                group.emplace_back(sim::probe_names[probe]);
                channel.push_back(static_cast<std::int64_t>(ch));
            }
        }
    Table t("/general/extracellular_ephys/electrodes", ids);
    t.add(Column::texts("location", location)
              .with_description("the location of channel within the subject e.g. brain region"));
    t.add(Column::texts("group_name", group)
              .with_description("the name of the ElectrodeGroup this electrode is a part of"));
    t.add(Column::integers("probe_channel_number", channel).with_description("channel on probe"));
    return t;
}

/// The session's name and NWB description.
inline void name_session(SessionModel& s, std::uint64_t seed, std::size_t index) {
    s.index = index;
    char name[32];
    std::snprintf(name, sizeof name, "session_%03zu", index);
    s.name = name;
    s.info.identifier = "jepasnn-sim-" + std::to_string(seed) + "-" + s.name;
    s.info.session_description = "VBN-like simulated session " + std::to_string(index) +
                                 " (jepasnn simulator, seed " + std::to_string(seed) + ")";
    s.info.session_start_time = "2019-01-01T12:00:00+00:00";
}

/// Units per session vary ±15% around the configured mean.
inline std::size_t session_unit_count(const SimulatorConfig& c, std::uint64_t seed,
                                      std::size_t index) {
    RandomStream size_rng(
        seed, stream_id(streams::sim_population, 0x10000u + static_cast<std::uint32_t>(index)));
    return static_cast<std::size_t>(
        std::llround(static_cast<double>(c.units) * (0.85 + 0.3 * size_rng.uniform())));
}

/// Units [first, last) of session s, simulated in parallel (each from its own random stream,
/// so the grouping does not change them).
inline std::vector<sim::UnitSpikes> simulate_units(const SessionModel& s, const SimulatorConfig& c,
                                                   std::uint64_t seed, std::size_t first,
                                                   std::size_t last) {
    std::vector<sim::UnitSpikes> spikes(last - first);
    parallel_for(0, static_cast<std::int64_t>(last - first), [&](std::int64_t i) {
        const std::size_t u = first + static_cast<std::size_t>(i);
        spikes[static_cast<std::size_t>(i)] =
            sim::simulate_unit(s.population, u, s.latents, s.schedule, s.state, c, seed, s.index);
    });
    return spikes;
}

/// Mean spike amplitude (NaN without spikes) and amplitude cutoff of each unit.
struct AmplitudeColumns {
    std::vector<double> cutoff, mean;

    explicit AmplitudeColumns(std::size_t n) : cutoff(n), mean(n) {}

    /// Sets units [first, first + spikes.size()) from their spikes.
    void set(const std::vector<sim::UnitSpikes>& spikes, std::size_t first) {
        parallel_for(0, static_cast<std::int64_t>(spikes.size()), [&](std::int64_t i) {
            const std::vector<double>& a = spikes[static_cast<std::size_t>(i)].amplitudes;
            const std::size_t u = first + static_cast<std::size_t>(i);
            cutoff[u] = amplitude_cutoff(a);
            double sum = 0.0;
            for (double v : a)
                sum += v;
            mean[u] = a.empty() ? std::nan("") : sum / static_cast<double>(a.size());
        });
    }
};

/// The units table's columns after the spike times, as VBN has them (the per-spike amplitudes
/// aside): metrics computed from the simulated spikes.
inline std::vector<Column> unit_columns(const sim::Population& population, const UnitMetrics& m,
                                        const AmplitudeColumns& amplitude) {
    std::vector<std::string> quality;
    for (sim::UnitKind k : population.kind)
        quality.emplace_back(k == sim::UnitKind::noise ? "noise" : "good");
    std::vector<Column> columns;
    columns.push_back(Column::texts("quality", quality).with_description("good or noise"));
    columns.push_back(Column::reals("isi_violations", m.isi_violations)
                          .with_description("ISI violation ratio (Hill et al. 2011, 1.5 ms)"));
    columns.push_back(Column::reals("amplitude_cutoff", amplitude.cutoff)
                          .with_description("estimated fraction of missed spikes"));
    columns.push_back(Column::reals("presence_ratio", m.presence_ratio)
                          .with_description("fraction of 100 blocks with spikes"));
    columns.push_back(Column::reals("snr", population.snr).with_description("signal to noise"));
    columns.push_back(
        Column::reals("firing_rate", m.firing_rate).with_description("mean rate (Hz)"));
    columns.push_back(
        Column::reals("amplitude", amplitude.mean).with_description("mean spike amplitude (uV)"));
    columns.push_back(Column::integers("peak_channel_id", population.peak_channel_id)
                          .with_description("id of the peak channel in the electrodes table"));
    return columns;
}

inline constexpr const char* spike_amplitude_description = "amplitude of each spike (uV)";

/// The whole units table in memory: spikes, then the columns VBN has.
inline UnitTable units_table(const SessionModel& s, const SimulatorConfig& c, std::uint64_t seed) {
    const std::vector<sim::UnitSpikes> spikes = simulate_units(s, c, seed, 0, s.n_units());
    const std::size_t n_units = spikes.size();
    std::vector<std::uint64_t> ends(n_units);
    std::uint64_t total = 0;
    for (std::size_t u = 0; u < n_units; ++u)
        ends[u] = total += spikes[u].times.size();
    SpikeTimeBuffer times(total);
    std::vector<double> amplitudes(total);
    std::vector<std::string> locations;
    for (std::size_t u = 0, at = 0; u < n_units; ++u) {
        std::copy(spikes[u].times.begin(), spikes[u].times.end(),
                  times.begin() + static_cast<std::ptrdiff_t>(at));
        std::copy(spikes[u].amplitudes.begin(), spikes[u].amplitudes.end(),
                  amplitudes.begin() + static_cast<std::ptrdiff_t>(at));
        at += spikes[u].times.size();
        locations.emplace_back(sim::areas[s.population.area[u]].name);
    }
    UnitTable units(s.population.id, ends, std::move(times), Table{}, std::move(locations),
                    s.name + ": /units");
    units.set_location_source("electrodes via peak_channel_id");
    AmplitudeColumns amplitude(n_units);
    amplitude.set(spikes, 0);
    for (Column& column : unit_columns(s.population, compute_quality_metrics(units), amplitude))
        units.add_column(std::move(column));
    if (c.write_amplitudes)
        units.add_column(Column::reals("spike_amplitudes", std::move(amplitudes))
                             .with_ragged_ends(ends)
                             .with_description(spike_amplitude_description));
    return units;
}

/// Simulates the units of s a group at a time into w's units table, then computes their
/// metrics over the whole table's spike extent from the spike times read back. Returns the
/// number of spikes.
inline std::uint64_t write_units_in_groups(NwbWriter& w, const SessionModel& s,
                                           const SimulatorConfig& c, std::uint64_t seed,
                                           std::size_t group_units) {
    require(group_units > 0, "write_session_nwb", "units per group must be > 0");
    const std::size_t n = s.n_units();
    const double duration = s.schedule.duration();
    // The simulated spike times are continuous: two can differ by one step of a double at the
    // session's end.
    w.begin_units(std::nextafter(duration, 2.0 * duration) - duration,
                  c.write_amplitudes ? std::optional<std::string>(spike_amplitude_description)
                                     : std::nullopt);
    AmplitudeColumns amplitude(n);
    double first_spike = std::numeric_limits<double>::infinity(), last_spike = -first_spike;
    for (std::size_t first = 0; first < n; first += group_units) {
        const std::vector<sim::UnitSpikes> spikes =
            simulate_units(s, c, seed, first, std::min(n, first + group_units));
        amplitude.set(spikes, first);
        std::vector<std::uint64_t> counts;
        std::vector<double> times, amplitudes;
        for (const sim::UnitSpikes& unit : spikes) {
            counts.push_back(unit.times.size());
            times.insert(times.end(), unit.times.begin(), unit.times.end());
            if (c.write_amplitudes)
                amplitudes.insert(amplitudes.end(), unit.amplitudes.begin(), unit.amplitudes.end());
            if (unit.times.empty()) continue;
            first_spike = std::min(first_spike, unit.times.front());
            last_spike = std::max(last_spike, unit.times.back());
        }
        w.append_units(counts, times, amplitudes);
    }
    const std::span<const std::uint64_t> ends = w.appended_spike_ends();
    const std::uint64_t spikes = ends.empty() ? 0 : ends.back();
    // As compute_quality_metrics over the whole table: the range is the spikes' extent.
    UnitMetrics m = UnitMetrics::unknown(
        n, first_spike <= last_spike ? TimeRange{first_spike, last_spike} : TimeRange{});
    if (m.range.duration() > 0.0)
        for (std::size_t first = 0; first < n; first += group_units) {
            const std::size_t last = std::min(n, first + group_units);
            const std::uint64_t start = first == 0 ? 0 : ends[first - 1];
            std::vector<double> times(ends[last - 1] - start);
            w.read_back_spike_times(start, times);
            parallel_for(0, static_cast<std::int64_t>(last - first), [&](std::int64_t i) {
                const std::size_t u = first + static_cast<std::size_t>(i);
                const std::uint64_t begin = (u == 0 ? 0 : ends[u - 1]) - start;
                m.set_spike_time_metrics(
                    u, std::span<const double>(times).subspan(begin, ends[u] - start - begin),
                    MetricOptions{});
            });
        }
    w.finish_units(s.population.id, unit_columns(s.population, m, amplitude));
    return spikes;
}

}  // namespace detail

/// Simulates session `index` of the cohort defined by (config, seed) but its spikes.
inline SessionModel simulate_session_model(const SimulatorConfig& c, const sim::LatentDynamics& d,
                                           std::uint64_t seed, std::size_t index) {
    c.validate();
    SessionModel s;
    detail::name_session(s, seed, index);
    s.schedule = sim::make_schedule(c, seed, index);
    s.running = sim::simulate_running(s.schedule, seed, index);
    s.latents = d.simulate(s.schedule, s.running.per_bin, seed, index);
    s.state = sim::simulate_state(c, s.schedule, s.running.per_bin, seed, index);
    const std::size_t n_units = detail::session_unit_count(c, seed, index);
    s.population = sim::make_population(c, n_units, s.schedule.duration(), seed, index);
    s.electrodes = detail::electrodes_table();
    s.intervals = detail::interval_tables(s.schedule, cohort_image_names(c, seed));
    s.running_speed.path = "/processing/running/speed";
    s.running_speed.unit = "cm/s";
    s.running_speed.timestamps = s.running.timestamps;
    s.running_speed.values = s.running.speed;
    s.running_speed.rate = sim::running_rate_hz;
    return s;
}

/// Simulates session `index` with its whole units table in memory.
inline SimulatedSession simulate_session(const SimulatorConfig& c, const sim::LatentDynamics& d,
                                         std::uint64_t seed, std::size_t index) {
    SimulatedSession s{simulate_session_model(c, d, seed, index), {}};
    s.units = detail::units_table(s, c, seed);
    return s;
}

/// Writes session s as NWB (atomically), simulating its units `group_units` at a time: memory
/// holds one group's spikes, not the session's. The file's units table is the one
/// simulate_session holds. Returns the number of spikes written.
inline std::uint64_t write_session_nwb(const SessionModel& s, const SimulatorConfig& c,
                                       const std::filesystem::path& path, std::uint64_t seed,
                                       std::size_t group_units = simulated_unit_group) {
    NwbWriter w(path, s.info, seed, static_cast<std::uint32_t>(s.index));
    for (std::size_t probe = 0; probe < sim::probe_names.size(); ++probe) {
        const std::string name = sim::probe_names[probe];
        w.add_device(name + "_device", "Neuropixels 1.0 (simulated)");
        w.add_electrode_group(name, "simulated Neuropixels probe", "brain", name + "_device");
    }
    SubjectInfo subject;
    subject.subject_id = s.name;
    subject.age = "P90D/P200D";  // the range of ages in VBN's cohort; the subject is simulated
    subject.description = "simulated mouse (jepasnn simulator, seed " + std::to_string(seed) + ")";
    w.write_subject(subject);
    w.write_electrodes(s.electrodes);
    const std::uint64_t spikes = detail::write_units_in_groups(w, s, c, seed, group_units);
    for (const Table& t : s.intervals)
        w.write_intervals(
            t, t.name() == "trials" ? "go trials of the active task" : "stimulus presentations");
    w.write_running_speed(s.running_speed);
    w.finish();
    return spikes;
}

struct CohortOptions {
    ProgressStyle progress = ProgressStyle::quiet;
    std::string git_revision = "unknown";
};

/// Simulates a cohort into `out_dir` (created; it must not exist or be empty). Everything is
/// written into a temporary sibling directory that is renamed into place at the end, so an
/// interrupted run leaves no half-written cohort. Returns the manifest (cohort.json).
inline Json simulate_cohort(const SimulatorConfig& c, std::uint64_t seed,
                            const std::filesystem::path& out_dir,
                            const CohortOptions& options = {}) {
    namespace fs = std::filesystem;
    c.validate();
    const std::string where = out_dir.string();
    std::error_code ec;
    if (fs::exists(out_dir, ec)) {
        if (!fs::is_directory(out_dir) || !fs::is_empty(out_dir))
            fail(where, "already exists and is not an empty directory (refusing to overwrite)");
    }
    const fs::path parent = out_dir.has_parent_path() ? out_dir.parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) fail(where, "parent directory does not exist");
    const fs::path tmp = jepasnn::detail::temporary_sibling(out_dir);
    try {
        if (!fs::create_directory(tmp, ec) || ec)
            fail(where, "cannot create a temporary directory beside it (", ec.message(), ")");
        const sim::LatentDynamics dynamics = sim::LatentDynamics::from_seed(c, seed);
        Json manifest;
        manifest["format"] = "jepasnn-vbn-sim-cohort";
        manifest["version"] = 1;
        manifest["seed"] = seed;
        manifest["config"] = settings_json(c);
        manifest["run"] = run_record(seed, options.git_revision);
        manifest["images"] = cohort_image_names(c, seed);
        manifest["dynamics"] = dynamics.to_json();
        manifest["sessions"] = Json::array();
        ProgressBar bar("simulate", c.sessions, options.progress);
        for (std::size_t k = 0; k < c.sessions; ++k) {
            const SessionModel s = simulate_session_model(c, dynamics, seed, k);
            const std::uint64_t spikes = write_session_nwb(s, c, tmp / (s.name + ".nwb"), seed);
            s.truth().write(tmp / s.name);
            Json entry;
            entry["name"] = s.name;
            entry["nwb"] = s.name + ".nwb";
            entry["ground_truth"] = s.name;
            entry["units"] = s.n_units();
            entry["spikes"] = spikes;
            entry["duration_s"] = s.schedule.duration();
            Json blocks = Json::array();
            for (const SessionBlock& b : derive_blocks(s.intervals))
                blocks.push_back({{"block", b.block},
                                  {"active", b.active},
                                  {"start", b.start},
                                  {"stop", b.stop}});
            entry["blocks"] = blocks;
            manifest["sessions"].push_back(entry);
            bar.update(k + 1, s.name);
        }
        bar.finish();
        write_json(tmp / "cohort.json", manifest);
        if (fs::exists(out_dir, ec)) fs::remove(out_dir, ec);  // empty (checked above)
        fs::rename(tmp, out_dir, ec);
        if (ec) fail(where, "cannot move the finished cohort into place (", ec.message(), ")");
        return manifest;
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
}

}  // namespace jepasnn::data
