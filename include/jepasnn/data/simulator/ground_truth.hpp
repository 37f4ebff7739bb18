// Ground truth of a simulated cohort, on disk and in memory.
//
// Layout written by simulate_cohort(config, seed, DIR):
//   DIR/cohort.json               format, seed, config, run record, image names, the shared
//                                 dynamics (A, drives, noise) and one entry per session
//   DIR/session_KKK.nwb           the session, VBN layout (read it with NwbFile / load_session)
//   DIR/session_KKK/              its ground truth, on the simulator's bin grid from t = 0:
//     time.npy          (T,)   float64  bin start times (s); bin k covers [k·dt, (k+1)·dt)
//     latents.npy       (T, d) float64  true latents z_t
//     active.npy        (T,)   int8     1 in the active block (engaged state)
//     block.npy         (T,)   int32    stimulus block, −1 between blocks
//     running_speed.npy (T,)   float64  cm/s at the bin centre
//     engagement.npy    (T,)   float64  engagement e(t) (state.hpp; easy regime: = active)
//     task_mode.npy     (T,)   float64  task mode a(t) (realistic regime; 0 in the easy one)
//     image.npy         (T,)   int32    image shown (index into cohort.json "images"), −1 none
//     change.npy        (T,)   int8     1 inside an image-change flash
//     omitted.npy       (T,)   int8     1 inside an omitted flash's slot
//     loadings.npy      (U, d) float64  c_u, units in NWB file order
//     units.json                        per-unit parameters, column-oriented (id, area,
//                                       hierarchy, kind, baseline_hz, gain_/offset_active and
//                                       _passive, dropout_time, duplicate_probability,
//                                       contamination_hz, amplitude_mean_uv, amplitude_sd_uv, snr;
//                                       realistic regime: offset_shift, input_log_gain
//                                       (U, d) and task_loading)
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../../core/error.hpp"
#include "../../core/json.hpp"
#include "../../core/npy.hpp"
#include "../../core/tensor.hpp"
#include "../binning.hpp"
#include "config.hpp"

namespace jepasnn::data {

struct GroundTruth {
    double bin_width = 0.01;
    std::vector<double> time;           // (T,)
    RowMatrix<double> latents;          // (T, d)
    std::vector<std::int8_t> active;    // (T,)
    std::vector<std::int32_t> block;    // (T,)
    std::vector<double> running_speed;  // (T,)
    std::vector<double> engagement;     // (T,) e(t) of data/simulator/state.hpp
    std::vector<double> task_mode;      // (T,) a(t)
    std::vector<std::int32_t> image;    // (T,)
    std::vector<std::int8_t> change;    // (T,)
    std::vector<std::int8_t> omitted;   // (T,)
    RowMatrix<double> loadings;         // (U, d)
    Json units;                         // per-unit parameters, column-oriented

    std::size_t n_bins() const { return time.size(); }
    std::size_t dim() const { return static_cast<std::size_t>(latents.cols()); }
    BinGrid grid() const { return {0.0, bin_width, time.size()}; }

    /// The ground-truth row of each bin of `g`: g must use the same bin width and start on a
    /// ground-truth bin edge (as any block of a simulated session does).
    std::vector<std::size_t> rows_for(const BinGrid& g) const {
        constexpr std::string_view where = "GroundTruth::rows_for";
        require(std::fabs(g.bin_width - bin_width) <= 1e-12 * bin_width, where, "bin width ",
                g.bin_width, " s differs from the ground truth's ", bin_width, " s");
        const double offset = g.t_start / bin_width;
        const double first = std::round(offset);
        require(std::fabs(offset - first) < 1e-6, where, "grid start ", g.t_start,
                " s is not on the ground truth's ", bin_width, " s grid");
        require(
            first >= 0.0 && first + static_cast<double>(g.n_bins) <= static_cast<double>(n_bins()),
            where, "grid [", g.t_start, ", ", g.t_stop(), ") s leaves the ground truth's [0, ",
            grid().t_stop(), ") s");
        std::vector<std::size_t> rows(g.n_bins);
        for (std::size_t k = 0; k < g.n_bins; ++k)
            rows[k] = static_cast<std::size_t>(first) + k;
        return rows;
    }

    /// The latents on the bins of `g` (g.n_bins, d); see rows_for.
    RowMatrix<double> latents_for(const BinGrid& g) const {
        const std::vector<std::size_t> rows = rows_for(g);
        RowMatrix<double> out(static_cast<Index>(rows.size()), latents.cols());
        for (std::size_t k = 0; k < rows.size(); ++k)
            out.row(static_cast<Index>(k)) = latents.row(static_cast<Index>(rows[k]));
        return out;
    }

    void write(const std::filesystem::path& dir) const {
        std::filesystem::create_directories(dir);
        save_npy(dir / "time.npy", time);
        save_npy(dir / "latents.npy", latents);
        save_npy(dir / "active.npy", active);
        save_npy(dir / "block.npy", block);
        save_npy(dir / "running_speed.npy", running_speed);
        save_npy(dir / "engagement.npy", engagement);
        save_npy(dir / "task_mode.npy", task_mode);
        save_npy(dir / "image.npy", image);
        save_npy(dir / "change.npy", change);
        save_npy(dir / "omitted.npy", omitted);
        save_npy(dir / "loadings.npy", loadings);
        write_json(dir / "units.json", units);
    }

    /// Reads a session's ground-truth directory, checking that every array has T rows.
    static GroundTruth load(const std::filesystem::path& dir) {
        const std::string where = dir.string();
        if (!std::filesystem::is_directory(dir)) fail(where, "ground-truth directory not found");
        GroundTruth g;
        auto vector_of = [&](const char* name, auto tag) {
            using T = decltype(tag);
            NpyArray<T> a = load_npy<T>(dir / name);
            if (a.shape.size() != 1)
                fail((dir / name).string(), "expected a 1-D array, found rank ", a.shape.size());
            return std::vector<T>(a.data.begin(), a.data.end());
        };
        g.time = vector_of("time.npy", double{});
        g.latents = load_npy_matrix<double>(dir / "latents.npy");
        g.active = vector_of("active.npy", std::int8_t{});
        g.block = vector_of("block.npy", std::int32_t{});
        g.running_speed = vector_of("running_speed.npy", double{});
        g.engagement = vector_of("engagement.npy", double{});
        g.task_mode = vector_of("task_mode.npy", double{});
        g.image = vector_of("image.npy", std::int32_t{});
        g.change = vector_of("change.npy", std::int8_t{});
        g.omitted = vector_of("omitted.npy", std::int8_t{});
        g.loadings = load_npy_matrix<double>(dir / "loadings.npy");
        g.units = read_json(dir / "units.json");
        const std::size_t t = g.time.size();
        require(t >= 2, where, "time.npy has ", t, " bins, expected >= 2");
        g.bin_width = g.time[1] - g.time[0];
        require_size(where, "latents.npy", static_cast<std::size_t>(g.latents.rows()), t, "rows");
        require_size(where, "active.npy", g.active.size(), t);
        require_size(where, "block.npy", g.block.size(), t);
        require_size(where, "running_speed.npy", g.running_speed.size(), t);
        require_size(where, "engagement.npy", g.engagement.size(), t);
        require_size(where, "task_mode.npy", g.task_mode.size(), t);
        require_size(where, "image.npy", g.image.size(), t);
        require_size(where, "change.npy", g.change.size(), t);
        require_size(where, "omitted.npy", g.omitted.size(), t);
        require(g.loadings.cols() == g.latents.cols(), where, "loadings.npy has ",
                g.loadings.cols(), " columns, latents.npy ", g.latents.cols());
        return g;
    }
};

/// One session of a cohort as listed in cohort.json.
struct CohortSession {
    std::string name;
    std::filesystem::path nwb;           // absolute
    std::filesystem::path ground_truth;  // absolute
    std::size_t units = 0;
    std::uint64_t spikes = 0;
    double duration_s = 0.0;
};

/// A simulated cohort on disk: its manifest and where each session lives.
struct Cohort {
    std::filesystem::path dir;
    Json manifest;
    std::uint64_t seed = 0;
    SimulatorConfig config;
    std::vector<std::string> images;
    std::vector<CohortSession> sessions;

    static Cohort read(const std::filesystem::path& dir) {
        Cohort c;
        c.dir = dir;
        const std::filesystem::path file = dir / "cohort.json";
        const std::string where = file.string();
        c.manifest = read_json(file);
        if (json_get<std::string>(c.manifest, "format", where) != "jepasnn-vbn-sim-cohort")
            fail(where, "not a jepasnn simulated cohort (format field)");
        c.seed = json_get<std::uint64_t>(c.manifest, "seed", where);
        c.config =
            read_settings<SimulatorConfig>(json_get<Json>(c.manifest, "config", where), where);
        c.images = json_get<std::vector<std::string>>(c.manifest, "images", where);
        for (const Json& s : json_get<Json>(c.manifest, "sessions", where)) {
            CohortSession cs;
            cs.name = json_get<std::string>(s, "name", where);
            cs.nwb = dir / json_get<std::string>(s, "nwb", where);
            cs.ground_truth = dir / json_get<std::string>(s, "ground_truth", where);
            cs.units = json_get<std::size_t>(s, "units", where);
            cs.spikes = json_get<std::uint64_t>(s, "spikes", where);
            cs.duration_s = json_get<double>(s, "duration_s", where);
            c.sessions.push_back(std::move(cs));
        }
        return c;
    }

    GroundTruth ground_truth(std::size_t session) const {
        require(session < sessions.size(), dir.string(), "session ", session, " out of range for ",
                sessions.size(), " sessions");
        return GroundTruth::load(sessions[session].ground_truth);
    }
};

}  // namespace jepasnn::data
