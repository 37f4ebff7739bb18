// jepasnn bin FILE.nwb --bin-ms MS [--t-start S --t-stop S | --block N | --state S]
//             [--qc none|default] [--dtype narrowest|uint8|uint16|int32]
//             (--out COUNTS.npy | --store STORE.h5 | both) [--units-out UNITS.csv] [--stream]
// Integer spike counts (time × units .npy, by default in the narrowest type that holds every
// count exactly) by DESIGN.md's binning rule, units in file order after QC, and optionally a CSV
// describing each output column, and/or a binned store. Every file is complete or absent:
// nothing is written until everything is computed, and a failed later write removes the earlier
// ones. A store alone is binned from the file a column group at a time, in bounded memory.
#include <jepasnn/core/atomic_file.hpp>
#include <jepasnn/core/npy.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/data/bin_plan.hpp>
#include <jepasnn/data/binned_store.hpp>
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/session.hpp>
#include <jepasnn/data/streaming_binning.hpp>

#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <sstream>
#include <variant>

#include "command.hpp"

namespace {

struct BinOptions {
    std::string file;
    double bin_ms = 0.0;
    std::optional<double> t_start, t_stop;
    std::optional<std::int64_t> block;
    std::optional<std::string> state;
    std::string qc = "none";
    std::string dtype = "narrowest";
    std::string out;
    std::string store;
    std::string units_out;
    bool stream = false;
    int threads = 0;
};

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string json_cell(const jepasnn::Json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return csv_cell(v.get<std::string>());
    return v.dump();
}

/// One row per output column: its position, the unit's id, area, spikes in the range and the
/// unit's scalar columns.
template <class C>
std::string units_csv(const jepasnn::data::UnitTable& u, const std::vector<std::size_t>& units,
                      const jepasnn::Tensor<C, 2>& counts) {
    std::vector<const jepasnn::data::Column*> cols;
    for (const auto& c : u.columns().columns())
        if (c.is_scalar() && c.kind() != jepasnn::data::ColumnKind::reference) cols.push_back(&c);
    std::ostringstream os;
    os << "column,unit_index,id,location,n_spikes_in_range";
    for (const auto* c : cols)
        os << ',' << csv_cell(c->name());
    os << '\n';
    std::vector<std::int64_t> sums(units.size(), 0);
    for (std::size_t i = 0; i < counts.size(); ++i)
        sums[i % units.size()] += counts.data()[i];
    for (std::size_t j = 0; j < units.size(); ++j) {
        const std::size_t i = units[j];
        os << j << ',' << i << ',' << u.id(i) << ','
           << csv_cell(u.has_locations() ? u.locations()[i] : std::string()) << ',' << sums[j];
        for (const auto* c : cols)
            os << ',' << json_cell(c->json(i));
        os << '\n';
    }
    return os.str();
}

void run_bin(const BinOptions& o) {
    namespace data = jepasnn::data;
    if (o.threads > 0) jepasnn::set_thread_count(o.threads);
    data::BinSpec spec{o.bin_ms, {}, o.qc};
    if (o.t_start) spec.range.range = data::TimeRange{*o.t_start, *o.t_stop};
    spec.range.block = o.block;
    if (o.state) spec.range.state = data::parse_state(*o.state, "--state");

    data::ReadOptions read;
    read.ragged_columns = false;  // spike amplitudes are not needed for counts
    const data::NwbFile file(o.file);
    // A store alone is binned straight from the file a column group at a time (bounded memory);
    // --out and --units-out need the counts in memory. Streaming reads everything but the spike
    // times here (the extent from each unit's first and last spike); bin_file reads those.
    const bool store_only = o.out.empty() && o.units_out.empty();
    const data::Session s = o.stream || store_only ? data::load_session_metadata(file, read)
                                                   : data::load_session(o.file, read);

    const data::BinPlan plan = data::plan_binning(s, spec, "--bin-ms");
    const data::BinGrid& grid = plan.grid;
    const std::vector<std::size_t>& units = plan.units;
    const data::CountDType dtype = data::parse_count_dtype(o.dtype, "--dtype");
    if (store_only) {
        const std::string type(data::bin_file_to_store(
            o.store, data::StoreHeader::of(s, o.file, grid, units, o.qc), file, dtype));
        std::printf("wrote %s: %zu bins x %zu units (%g ms from %g s, %s)\n", o.store.c_str(),
                    grid.n_bins, units.size(), o.bin_ms, grid.t_start, type.c_str());
        return;
    }
    const data::Counts binned = o.stream ? data::bin_file_as(dtype, file, grid, units)
                                         : data::bin_spikes_as(dtype, s.units, grid, units);
    const std::string csv =
        o.units_out.empty()
            ? std::string()
            : std::visit([&](const auto& c) { return units_csv(s.units, units, c); }, binned);
    const std::optional<data::StoreHeader> header =
        o.store.empty() ? std::nullopt
                        : std::optional(data::StoreHeader::of(s, o.file, grid, units, o.qc));

    std::vector<std::string> written;  // removed again when a later write fails
    try {
        if (!o.out.empty()) {
            std::visit([&](const auto& c) { jepasnn::save_npy(o.out, c); }, binned);
            written.push_back(o.out);
        }
        if (header) {
            data::write_store(o.store, *header, binned);
            written.push_back(o.store);
        }
        if (!o.units_out.empty())
            jepasnn::write_atomically(o.units_out, [&](std::ostream& out) { out << csv; });
    } catch (...) {
        for (const std::string& f : written) {
            std::error_code ignored;
            std::filesystem::remove(f, ignored);
        }
        throw;
    }
    std::visit(
        [&]<class C>(const jepasnn::Tensor<C, 2>& c) {
            const std::int64_t total = std::accumulate(c.begin(), c.end(), std::int64_t{0});
            std::printf("wrote %s: %zu bins x %zu units (%g ms from %g s, %s), %lld spikes\n",
                        (o.out.empty() ? o.store : o.out).c_str(), c.shape(0), c.shape(1), o.bin_ms,
                        grid.t_start, std::string(data::count_type_name<C>()).c_str(),
                        static_cast<long long>(total));
        },
        binned);
}

void setup_bin(CLI::App& app) {
    auto o = std::make_shared<BinOptions>();
    app.add_option("FILE.nwb", o->file, "NWB session file")->required();
    app.add_option("--bin-ms", o->bin_ms, "bin width in milliseconds")->required();
    auto* start = app.add_option("--t-start", o->t_start, "range start (s)");
    auto* stop = app.add_option("--t-stop", o->t_stop, "range stop (s), exclusive");
    start->needs(stop);
    stop->needs(start);
    auto* block = app.add_option("--block", o->block, "bin one stimulus block");
    auto* state = app.add_option("--state", o->state, "bin the active block or its passive replay")
                      ->check(CLI::IsMember({"active", "passive"}));
    block->excludes(start)->excludes(stop)->excludes(state);
    state->excludes(start)->excludes(stop);
    app.add_option("--qc", o->qc, "unit filter: none or default (VBN notebook filter)")
        ->check(CLI::IsMember({"none", "default"}));
    app.add_option("--dtype", o->dtype,
                   "count type: narrowest (default: uint8, else uint16, else int32), uint8, "
                   "uint16 or int32; a count the type cannot hold is an error")
        ->check(CLI::IsMember({"narrowest", "uint8", "uint16", "int32"}));
    app.add_option("--out", o->out, "counts .npy (time x units)");
    app.add_option("--store", o->store,
                   "binned store (HDF5: counts chunked along time, grid, units, per-bin states, "
                   "the NWB file's identity)");
    app.add_option("--units-out", o->units_out, "CSV describing each output column");
    app.add_flag("--stream", o->stream,
                 "read spike_times in chunks from the file (same counts; a --store alone is "
                 "always binned this way, in bounded memory)");
    app.add_option("--threads", o->threads, "threads (default: all)")->check(CLI::PositiveNumber);
    app.callback([o] {
        if (o->out.empty() && o->store.empty())
            throw CLI::RequiredError("--out or --store (where to write the counts)");
        run_bin(*o);
    });
}

const jepasnn::cli::CommandRegistration bin_registration{
    "bin", "Bin spikes into integer counts (time x units) by the 10 ms rule of DESIGN.md",
    setup_bin};

}  // namespace
