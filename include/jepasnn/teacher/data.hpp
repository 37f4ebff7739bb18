// The teacher's input data: NWB sessions (a simulated cohort directory or a list of files) read
// with the data module, unit QC applied, spikes binned on one grid from t = 0 (the ground truth's
// grid for simulated sessions), with per-bin brain-state labels and, when a ground-truth
// directory sits beside a file (<dir>/<stem>/latents.npy, the cohort layout), where its true
// latents are (read when the session is evaluated).
// The counts are held in memory in the narrowest exact type, or (data.stores) binned once into a
// binned store per session and read from there a window at a time.
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
#include "../core/npy.hpp"
#include "../core/settings.hpp"
#include "../core/tensor.hpp"
#include "../data/bin_states.hpp"
#include "../data/binned_store.hpp"
#include "../data/binning.hpp"
#include "../data/count_source.hpp"
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
    std::filesystem::path stores;      // directory of binned stores (empty: counts in memory)

    static void fields(auto& s, auto&& field) {
        field("qc", s.qc);
        field("bin_ms", s.bin_ms);
        field("heldout", s.heldout);
        field("cohort", s.cohort);
        field("nwb", s.nwb);
        field("stores", s.stores);
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
        if (!stores.empty() && stores.is_relative()) stores = base / stores;
    }
};

/// A simulated session's true latents (bins × d on `grid`), read from `file` only when the
/// session is evaluated, so a cohort's ground truth is never held all at once.
struct TrueLatents {
    std::filesystem::path file;  // <parent>/<stem>/latents.npy
    data::BinGrid grid;          // from t = 0

    RowMatrix<double> load() const {
        RowMatrix<double> z = load_npy_matrix<double>(file);
        require(z.rows() == static_cast<Index>(grid.n_bins), file.string(), "has ", z.rows(),
                " rows, expected ", grid.n_bins, " (the ground truth changed after loading)");
        return z;
    }
};

/// One session binned for the teacher.
struct BinnedSession {
    std::string name;  // file stem (session_000 for a cohort)
    std::filesystem::path nwb;
    std::string identifier;              // the NWB file's identifier
    std::vector<std::int64_t> unit_ids;  // selected units, file order
    data::BinGrid grid;                  // from t = 0
    data::CountSource counts;            // (bins, units), the narrowest exact count type
    std::vector<std::int8_t> state;      // (bins) data::BinState values
    std::optional<TrueLatents> truth;    // simulated sessions only

    Index bins() const { return static_cast<Index>(grid.n_bins); }
    Index units() const { return static_cast<Index>(unit_ids.size()); }
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

/// The store of an NWB file's session in a store directory: <dir>/<stem>.h5.
inline std::filesystem::path session_store_path(const std::filesystem::path& dir,
                                                const std::filesystem::path& nwb) {
    return dir / (nwb.stem().string() + ".h5");
}

namespace detail {

/// The ground truth beside `path` (<parent>/<stem>/latents.npy), checked to be whole and on
/// `dt` bins.
inline std::optional<TrueLatents> ground_truth_of(const std::filesystem::path& path, double dt) {
    const std::filesystem::path truth_dir = path.parent_path() / path.stem();
    if (!std::filesystem::exists(truth_dir / "latents.npy")) return std::nullopt;
    data::GroundTruth truth = data::GroundTruth::load(truth_dir);
    require(std::fabs(truth.bin_width - dt) <= 1e-9 * dt, path.string(), "bin width is ",
            1000.0 * dt, " ms, but the ground truth in ", truth_dir.string(), " is on a ",
            1000.0 * truth.bin_width, " ms grid");
    return TrueLatents{truth_dir / "latents.npy", truth.grid()};
}

/// Reads `path` and bins the units passing `qc` from t = 0 (on the ground truth's grid, else up
/// to the session's extent) in the narrowest exact count type, streaming the spike times from
/// the file. Without a store file the session is filled in here; with one, the counts and the
/// session's description go there (atomically, a column group at a time: bounded memory) and
/// open_session_store takes them from it.
inline void bin_session(BinnedSession& b, std::string_view qc, double dt,
                        const std::filesystem::path& store) {
    const std::string where = b.nwb.string();
    data::ReadOptions read;
    read.ragged_columns = false;  // spike amplitudes are not needed for counts
    const data::NwbFile file(b.nwb);
    const data::Session s = data::load_session_metadata(file, read);
    const data::UnitFilter filter = data::qc_filter_named(qc);
    const std::vector<std::size_t> units =
        filter.empty() ? data::all_units(s.units.size()) : filter.select(s.units);
    require(!units.empty(), where, "no unit passes the '", qc, "' QC filter");
    const data::BinGrid grid =
        b.truth ? b.truth->grid : data::BinGrid::covering({0.0, s.extent().stop}, dt);
    if (!store.empty()) {
        data::bin_file_to_store(store, data::StoreHeader::of(s, b.nwb, grid, units, qc), file,
                                data::CountDType::narrowest);
        return;
    }
    b.identifier = s.info.identifier;
    for (const std::size_t u : units)
        b.unit_ids.push_back(s.units.id(u));
    b.grid = grid;
    b.state = data::bin_states(s, grid);
    b.counts = data::CountSource(data::bin_file_as(data::CountDType::narrowest, file, grid, units));
}

/// Takes the session from its store, after checking that the store was binned from this very
/// file with this QC filter, on this grid.
inline void open_session_store(BinnedSession& b, std::string_view qc, double dt,
                               const std::filesystem::path& store) {
    b.counts = data::CountSource::open_store(store);
    const data::StoreHeader& h = b.counts.store()->header();
    const std::string where = store.string();
    const auto rebuild = "; delete it to bin the session again";
    require(h.qc == qc, where, "was binned with the '", h.qc, "' QC filter, the teacher uses '", qc,
            "'", rebuild);
    require(std::fabs(h.grid.bin_width - dt) <= 1e-9 * dt && h.grid.t_start == 0.0, where, "holds ",
            1000.0 * h.grid.bin_width, " ms bins from t = ", h.grid.t_start,
            " s, the teacher bins ", 1000.0 * dt, " ms from t = 0", rebuild);
    if (b.truth)
        require(h.grid.n_bins == b.truth->grid.n_bins, where, "holds ", h.grid.n_bins,
                " bins, the ground truth beside ", b.nwb.string(), " has ", b.truth->grid.n_bins,
                rebuild);
    b.counts.store()->check_source(b.nwb);
    b.identifier = h.source_identifier;
    b.unit_ids = h.unit_ids;
    b.grid = h.grid;
    b.state = h.state;
}

}  // namespace detail

/// Reads `path`, applies the QC filter `qc` and bins every selected unit from t = 0: on the
/// ground truth's grid when `<parent>/<stem>/latents.npy` exists (its bin width must be bin_ms),
/// else up to the session's extent. With a store directory the counts come from the session's
/// store there (session_store_path), binned into it first when it does not exist yet, and only
/// the windows being read are ever in memory.
inline BinnedSession load_binned_session(const std::filesystem::path& path, std::string_view qc,
                                         double bin_ms, const std::filesystem::path& stores = {}) {
    require(std::isfinite(bin_ms) && bin_ms > 0.0, path.string(), "bin width is ", bin_ms,
            " ms, expected a finite value > 0");
    const double dt = bin_ms / 1000.0;
    BinnedSession b;
    b.name = path.stem().string();
    b.nwb = path;
    b.truth = detail::ground_truth_of(path, dt);
    if (stores.empty()) {
        detail::bin_session(b, qc, dt, {});
        return b;
    }
    const std::filesystem::path store = session_store_path(stores, path);
    if (!std::filesystem::exists(store)) {
        std::filesystem::create_directories(stores);
        detail::bin_session(b, qc, dt, store);
    }
    detail::open_session_store(b, qc, dt, store);
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
        out.push_back(load_binned_session(f, c.qc, c.bin_ms, c.stores));
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
