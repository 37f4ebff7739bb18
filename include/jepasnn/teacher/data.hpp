// The teacher's input data: NWB sessions (a simulated cohort directory or a list of files) read
// with the data module, unit QC applied, spikes binned on one grid from t = 0 (the ground truth's
// grid for simulated sessions), with per-bin brain-state labels and, when a ground-truth
// directory sits beside a file (<dir>/<stem>/latents.npy, the cohort layout), the true latents.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../core/tensor.hpp"
#include "../data/bin_states.hpp"
#include "../data/binning.hpp"
#include "../data/session.hpp"
#include "../data/simulator/ground_truth.hpp"
#include "../data/unit_qc.hpp"
#include "../jepa/config.hpp"
#include "../jepa/preprocess.hpp"

namespace jepasnn::teacher {

/// Where the sessions come from and how they are binned.
struct TeacherDataConfig {
    std::filesystem::path cohort;            // simulated cohort directory (cohort.json); or
    std::vector<std::filesystem::path> nwb;  // NWB files (exactly one of the two is given)
    std::string qc = "default";              // unit filter: "default" (VBN notebook) or "none"
    double bin_ms = 10.0;
    std::vector<std::string> heldout;  // session names trained only through their read-in

    static void fields(auto& s, auto&& field) {
        field("qc", s.qc);
        field("bin_ms", s.bin_ms);
        field("heldout", s.heldout);
        field("cohort", s.cohort);
        field("nwb", s.nwb);
    }
    void validate(std::string_view where) const {
        require(cohort.empty() != nwb.empty(), where,
                "data needs exactly one of 'cohort' (a simulated cohort directory) and 'nwb' "
                "(a list of files), found ",
                cohort.empty() ? "neither" : "both");
        require(qc == "default" || qc == "none", where, "data.qc is '", qc,
                "', expected 'default' or 'none'");
        require(std::isfinite(bin_ms) && bin_ms > 0.0, where, "data.bin_ms is ", bin_ms,
                ", expected a finite value > 0");
    }

    /// Relative paths are taken relative to `base` (the config file's directory).
    void resolve_paths(const std::filesystem::path& base) {
        if (!cohort.empty() && cohort.is_relative()) cohort = base / cohort;
        for (auto& p : nwb)
            if (p.is_relative()) p = base / p;
    }
};

/// One session binned for the teacher.
struct BinnedSession {
    std::string name;  // file stem (session_000 for a cohort)
    std::filesystem::path nwb;
    std::string identifier;              // the NWB file's identifier
    std::vector<std::int64_t> unit_ids;  // selected units, file order
    data::BinGrid grid;                  // from t = 0
    Tensor<std::int32_t, 2> counts;      // (bins, units)
    std::vector<std::int8_t> state;      // (bins) data::BinState values
    std::optional<data::GroundTruth> truth;

    Index bins() const { return static_cast<Index>(grid.n_bins); }
    Index units() const { return static_cast<Index>(unit_ids.size()); }
    Eigen::Map<const RowMatrix<std::int32_t>> count_matrix() const { return as_matrix(counts); }
    /// Labels for per-state scaling (jepa::StateLabels): the task-free blocks (passive replay and
    /// the other blocks: spontaneous, gabors, flashes) are state 0, the active task state 1; only
    /// the replay and the task, which show the same images, define their state's moments. With
    /// the other blocks as a third state of their own, their stimuli's latent means went into its
    /// offset (simulated cohort: residual block means of 0.65–1.45 on one true latent).
    /// Per-state SIGReg groups latents by `state` (two groups): with the replay and the other
    /// blocks tested apart as well (three groups), ground-truth R² fell in both regimes (full
    /// profile: easy 0.896 -> 0.874, realistic 0.877 -> 0.833) for no gain in transfer.
    jepa::StateLabels state_labels() const {
        jepa::StateLabels out;
        out.state.resize(state.size());
        out.moments.resize(state.size());
        for (std::size_t k = 0; k < state.size(); ++k) {
            const bool active = state[k] == static_cast<std::int8_t>(data::BinState::active);
            out.state[k] = active ? 1 : 0;
            out.moments[k] = active ? 1
                             : state[k] == static_cast<std::int8_t>(data::BinState::passive)
                                 ? 0
                                 : jepa::UnitScaler::no_state;
        }
        return out;
    }
};

/// Reads `path`, applies the QC filter `qc` and bins every selected unit from t = 0: on the
/// ground truth's grid when `<parent>/<stem>/latents.npy` exists (its bin width must be bin_ms),
/// else up to the session's extent.
inline BinnedSession load_binned_session(const std::filesystem::path& path, std::string_view qc,
                                         double bin_ms) {
    const std::string where = path.string();
    require(std::isfinite(bin_ms) && bin_ms > 0.0, where, "bin width is ", bin_ms,
            " ms, expected a finite value > 0");
    const double dt = bin_ms / 1000.0;
    data::ReadOptions read;
    read.ragged_columns = false;  // spike amplitudes are not needed for counts
    const data::Session s = data::load_session(path, read);
    BinnedSession b;
    b.name = path.stem().string();
    b.nwb = path;
    b.identifier = s.info.identifier;
    const data::UnitFilter filter = data::qc_filter_named(qc);
    const std::vector<std::size_t> units =
        filter.empty() ? data::all_units(s.units.size()) : filter.select(s.units);
    require(!units.empty(), where, "no unit passes the '", qc, "' QC filter");
    for (const std::size_t u : units)
        b.unit_ids.push_back(s.units.id(u));

    const std::filesystem::path truth_dir = path.parent_path() / path.stem();
    if (std::filesystem::exists(truth_dir / "latents.npy")) {
        b.truth = data::GroundTruth::load(truth_dir);
        require(std::fabs(b.truth->bin_width - dt) <= 1e-9 * dt, where, "bin width is ", bin_ms,
                " ms, but the ground truth in ", truth_dir.string(), " is on a ",
                1000.0 * b.truth->bin_width, " ms grid");
        b.grid = b.truth->grid();
    } else {
        const data::TimeRange extent = s.extent();
        b.grid = data::BinGrid::covering({0.0, extent.stop}, dt);
    }
    b.counts = data::bin_spikes(s.units, b.grid, units);
    b.state = data::bin_states(s, b.grid);
    return b;
}

/// Every session of the config's cohort or file list, in order.
inline std::vector<BinnedSession> load_teacher_sessions(const TeacherDataConfig& c) {
    c.validate("teacher::load_teacher_sessions");
    std::vector<std::filesystem::path> files = c.nwb;
    if (!c.cohort.empty())
        for (const auto& s : data::Cohort::read(c.cohort).sessions)
            files.push_back(s.nwb);
    require(!files.empty(), "teacher::load_teacher_sessions", "no sessions to load");
    std::vector<BinnedSession> out;
    for (const auto& f : files) {
        out.push_back(load_binned_session(f, c.qc, c.bin_ms));
        for (std::size_t i = 0; i + 1 < out.size(); ++i)
            require(out[i].name != out.back().name, f.string(), "two sessions are named '",
                    out.back().name, "'");
    }
    for (const auto& h : c.heldout)
        require(std::any_of(out.begin(), out.end(), [&](const auto& s) { return s.name == h; }),
                "teacher::load_teacher_sessions", "held-out session '", h,
                "' is not among the loaded sessions");
    require(static_cast<std::size_t>(std::count_if(
                out.begin(), out.end(),
                [&](const auto& s) {
                    return std::find(c.heldout.begin(), c.heldout.end(), s.name) == c.heldout.end();
                })) >= 1,
            "teacher::load_teacher_sessions", "every session is held out; at least one must train");
    return out;
}

}  // namespace jepasnn::teacher
