// Reading NWB 2.x files (the layout of Allen Visual Behavior Neuropixels sessions, DESIGN.md
// "Data") with the HDF5 C API: the units table (ragged spike times through an index of any integer
// width, every other column typed, brain areas by the electrodes join), every /intervals table,
// running speed and the file's identity. Reads are bulk (or 1-D hyperslabs for streaming), never
// element by element, and every violation of the layout is an Error naming file, path and unit.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "column.hpp"
#include "hdf5_reader.hpp"
#include "ragged_index.hpp"
#include "table.hpp"
#include "time_series.hpp"
#include "units.hpp"

namespace jepasnn::data {

/// What to load besides the essentials.
struct ReadOptions {
    /// Load ragged columns other than spike_times (e.g. VBN's spike_amplitudes, as large as the
    /// spike times themselves). When false they are listed in Table::skipped().
    bool ragged_columns = true;
};

/// The file-level identity of a session.
struct SessionInfo {
    std::string identifier;
    std::string session_description;
    std::string session_start_time;
    std::string nwb_version;
};

/// The units table without its spike times: what a streaming reader needs to plan hyperslabs.
struct UnitIndex {
    std::vector<std::int64_t> ids;
    std::vector<std::uint64_t> ends;  // cumulative end offsets into /units/spike_times

    std::size_t size() const { return ids.size(); }
    std::uint64_t total_spikes() const { return ends.empty() ? 0 : ends.back(); }
    std::uint64_t begin_of(std::size_t unit) const { return unit == 0 ? 0 : ends[unit - 1]; }
};

namespace detail {

inline constexpr const char* electrodes_path = "/general/extracellular_ephys/electrodes";

inline std::string join_path(std::string_view group, std::string_view name) {
    std::string p(group);
    if (p.empty() || p.back() != '/') p += '/';
    return p + std::string(name);
}

/// An integer dataset of any width and signedness as int64 (uint64 values above INT64_MAX are
/// an error).
inline std::vector<std::int64_t> read_integers(const hdf5::Reader& r, std::string_view path) {
    const hdf5::DatasetInfo in = r.info(path);
    if (in.element == hdf5::ElementClass::integer && in.enumerated) return r.read_enum(path);
    if (in.element != hdf5::ElementClass::integer)
        fail(r.file(), path, ": holds ", in.type_name, ", expected integers");
    if (in.is_signed || in.element_size < 8) return r.read_all<std::int64_t>(path);
    const std::vector<std::uint64_t> raw = r.read_all<std::uint64_t>(path);
    std::vector<std::int64_t> out(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            fail(r.file(), path, ": element ", i, " (", raw[i], ") does not fit in int64");
        out[i] = static_cast<std::int64_t>(raw[i]);
    }
    return out;
}

/// A VectorIndex dataset, widened and validated against the length of its data.
inline std::vector<std::uint64_t> read_index(const hdf5::Reader& r, std::string_view path,
                                             std::uint64_t n_values,
                                             std::span<const std::int64_t> ids) {
    const hdf5::DatasetInfo in = r.info(path);
    const std::string where = r.file() + ": " + std::string(path);
    if (in.element != hdf5::ElementClass::integer || in.enumerated)
        fail(where, "index holds ", in.type_name, ", expected integers");
    if (in.dims.size() != 1) fail(where, "index has rank ", in.dims.size(), ", expected 1");
    std::vector<std::uint64_t> ends;
    if (in.is_signed)
        ends = non_negative_index(r.read_all<std::int64_t>(path), ids, where);
    else
        ends = r.read_all<std::uint64_t>(path);
    validate_index(ends, n_values, ids, where);
    return ends;
}

/// One column dataset as a Column of the matching kind; nullopt (with the reason) when its element
/// type has no column kind.
inline std::optional<Column> read_column_values(const hdf5::Reader& r, const std::string& path,
                                                const std::string& name, std::string& why_not) {
    const hdf5::DatasetInfo in = r.info(path);
    const std::string where = r.file() + ": " + path;
    std::optional<Column> c;
    switch (in.element) {
        case hdf5::ElementClass::floating:
            c = Column::reals(name, r.read_all<double>(path), where);
            break;
        case hdf5::ElementClass::integer:
            c = Column::integers(name, read_integers(r, path), where);
            break;
        case hdf5::ElementClass::boolean:
            c = Column::booleans(name, r.read_bool_enum(path), where);
            break;
        case hdf5::ElementClass::text:
            c = Column::texts(name, r.read_strings(path), where);
            break;
        case hdf5::ElementClass::reference:
            c = Column(name, ColumnKind::reference, r.read_references(path), where);
            break;
        default:
            why_not = "element type " + in.type_name + " is not supported";
            return std::nullopt;
    }
    if (in.dims.empty()) fail(where, "scalar dataset, expected a column (one row per id)");
    std::size_t width = 1;
    for (std::size_t d = 1; d < in.dims.size(); ++d)
        width *= static_cast<std::size_t>(in.dims[d]);
    if (width != 1) c->with_width(width);
    c->with_stored_as(in.type_name);
    if (auto d = r.attribute_string(path, "description")) c->with_description(*d);
    return c;
}

/// A DynamicTable group: ids, then the columns in `colnames` order (datasets missing from
/// colnames follow in name order). Columns named in `skip` are left out entirely.
inline Table read_table(const hdf5::Reader& r, std::string_view path, const ReadOptions& options,
                        std::span<const std::string> skip = {}) {
    const std::string where = r.file() + ": " + std::string(path);
    if (!r.exists(path) || !r.is_group(path)) fail(where, "table group not found");
    const std::string id_path = join_path(path, "id");
    if (!r.exists(id_path)) fail(r.file(), id_path, ": dataset not found (every table has ids)");
    Table table(std::string(path), read_integers(r, id_path), where);

    std::vector<std::string> names = r.attribute_strings(path, "colnames");
    std::vector<std::string> extra;
    for (const std::string& child : r.children(path)) {
        const std::string child_path = join_path(path, child);
        if (child == "id" || std::find(names.begin(), names.end(), child) != names.end()) continue;
        if (child.size() > 6 && child.ends_with("_index")) continue;  // a column's VectorIndex
        if (r.is_dataset(child_path)) extra.push_back(child);
    }
    names.insert(names.end(), extra.begin(), extra.end());

    for (const std::string& name : names) {
        if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
        const std::string col_path = join_path(path, name);
        if (!r.exists(col_path))
            fail(where, "colnames lists '", name, "' but the table has no such dataset");
        if (!r.is_dataset(col_path)) {
            table.add_skipped(name, "not a dataset");
            continue;
        }
        const std::string index_path = col_path + "_index";
        const bool ragged = r.exists(index_path);
        if (ragged && !options.ragged_columns) {
            table.add_skipped(name, "ragged column not loaded (ReadOptions::ragged_columns)");
            continue;
        }
        if (ragged && r.exists(index_path + "_index")) {
            table.add_skipped(name, "doubly ragged column is not supported");
            continue;
        }
        std::string why_not;
        std::optional<Column> column = read_column_values(r, col_path, name, why_not);
        if (!column) {
            table.add_skipped(name, why_not);
            continue;
        }
        if (ragged) {
            if (!column->is_scalar())
                fail(r.file(), col_path, ": ragged column with rows of several values");
            column->with_ragged_ends(read_index(r, index_path, column->value_count(), {}));
        }
        table.add(std::move(*column));
    }
    return table;
}

/// Areas per unit: /units/location when present, else the electrodes table's `location` joined
/// on peak_channel_id (electrode ids) or on units/electrodes (electrode rows, the first one when
/// a unit lists several). Returns the source's name, or "" when the file gives no areas.
inline std::string unit_locations(const hdf5::Reader& r, const Table& units,
                                  std::vector<std::string>& out) {
    out.clear();
    if (const Column* loc = units.find("location");
        loc != nullptr && loc->is_scalar() && loc->kind() == ColumnKind::text) {
        out = loc->texts();
        return "units/location";
    }
    const std::string loc_path = join_path(electrodes_path, "location");
    const bool have_electrodes = r.exists(loc_path) && r.exists(join_path(electrodes_path, "id"));
    if (!have_electrodes) return "";
    const std::vector<std::string> locations = r.read_strings(loc_path);
    const std::vector<std::int64_t> electrode_ids =
        read_integers(r, join_path(electrodes_path, "id"));
    if (locations.size() != electrode_ids.size())
        fail(r.file(), loc_path, ": column has ", locations.size(), " rows, expected ",
             electrode_ids.size(), " (the number of electrode ids)");

    if (const Column* peak = units.find("peak_channel_id"); peak != nullptr) {
        std::unordered_map<std::int64_t, std::size_t> row_of;
        for (std::size_t i = 0; i < electrode_ids.size(); ++i)
            row_of.emplace(electrode_ids[i], i);
        out.reserve(units.rows());
        for (std::size_t u = 0; u < units.rows(); ++u) {
            const std::int64_t channel = peak->integer(u);
            const auto it = row_of.find(channel);
            if (it == row_of.end())
                fail(r.file(), "/units/peak_channel_id: ", row_label(u, units.ids()),
                     ": peak channel ", channel, " is not an id of ", electrodes_path);
            out.push_back(locations[it->second]);
        }
        return "electrodes via peak_channel_id";
    }
    if (const Column* region = units.find("electrodes");
        region != nullptr && region->kind() == ColumnKind::integer) {
        const std::span<const std::int64_t> rows = region->values<std::int64_t>();
        out.reserve(units.rows());
        for (std::size_t u = 0; u < units.rows(); ++u) {
            const auto [first, last] = region->row_range(u);
            if (first == last) {
                out.emplace_back();
                continue;
            }
            const std::int64_t row = rows[first];
            if (row < 0 || static_cast<std::size_t>(row) >= locations.size())
                fail(r.file(), "/units/electrodes: ", row_label(u, units.ids()), ": electrode row ",
                     row, " is outside the electrodes table (", locations.size(), " rows)");
            out.push_back(locations[static_cast<std::size_t>(row)]);
        }
        return "electrodes via units/electrodes";
    }
    return "";
}

}  // namespace detail

/// An open NWB file. Each read goes to the file; nothing is cached, so a reader is cheap to keep.
class NwbFile {
  public:
    explicit NwbFile(const std::filesystem::path& path) : reader_(path) {}

    const std::string& path() const { return reader_.file(); }
    /// The file's HDF5 reader, for what the NWB accessors leave out: chunked reads of large
    /// datasets (streaming_binning.hpp) and checks of the raw layout.
    const hdf5::Reader& hdf5() const { return reader_; }

    SessionInfo info() const {
        SessionInfo s;
        s.identifier = reader_.scalar_string("/identifier").value_or("");
        s.session_description = reader_.scalar_string("/session_description").value_or("");
        s.session_start_time = reader_.scalar_string("/session_start_time").value_or("");
        s.nwb_version = reader_.attribute_string("/", "nwb_version").value_or("");
        return s;
    }

    bool has_units() const { return reader_.exists("/units") && reader_.is_group("/units"); }

    /// ids and spike_times_index only (validated against the length of spike_times).
    UnitIndex read_unit_index() const {
        require_units();
        UnitIndex index;
        index.ids = detail::read_integers(reader_, "/units/id");
        const hdf5::DatasetInfo times = spike_times_info();
        require_size(path() + ": /units/spike_times_index", "index", index_length(),
                     index.ids.size(), "entries (one per unit id)");
        index.ends =
            detail::read_index(reader_, "/units/spike_times_index", times.count(), index.ids);
        return index;
    }

    /// spike_times[first, first + out.size()) in one hyperslab read.
    void read_spike_times(std::uint64_t first, std::span<double> out) const {
        reader_.read("/units/spike_times", out, first);
    }

    /// The whole units table, validated (DESIGN.md "Reader rules").
    UnitTable read_units(const ReadOptions& options = {}) const {
        UnitIndex index = read_unit_index();
        // One bulk read straight into an uninitialised buffer.
        SpikeTimeBuffer times(index.total_spikes());
        reader_.read("/units/spike_times", std::span<double>(times));
        auto [columns, locations, source] = unit_columns(options);
        UnitTable units(std::move(index.ids), std::move(index.ends), std::move(times),
                        std::move(columns), std::move(locations), path() + ": /units");
        units.set_location_source(source);
        return units;
    }

    /// [earliest, latest] spike from each unit's first and last spike (one read of two points
    /// per unit; unchecked: the spikes are validated when they are read).
    std::optional<TimeRange> spike_extent_of(const UnitIndex& index) const {
        std::vector<hsize_t> points;  // each unit's first and last spike
        for (std::size_t u = 0; u < index.size(); ++u)
            if (index.begin_of(u) < index.ends[u]) {
                points.push_back(index.begin_of(u));
                points.push_back(index.ends[u] - 1);
            }
        std::vector<double> t(points.size());
        const hdf5::Handle ds = reader_.open_dataset("/units/spike_times");
        reader_.read_points(ds.get(), "/units/spike_times", points, std::span<double>(t));
        double first = std::numeric_limits<double>::infinity(), last = -first;
        for (std::size_t i = 0; i < t.size(); i += 2) {
            first = std::min(first, t[i]);
            last = std::max(last, t[i + 1]);
        }
        if (!(first <= last)) return std::nullopt;
        return TimeRange{first, last};
    }

    /// The units table without spike times (ids, index, columns, areas): for QC and for
    /// planning streaming reads of files larger than memory.
    UnitTable read_unit_metadata(const ReadOptions& options = {}) const {
        UnitIndex index = read_unit_index();
        auto [columns, locations, source] = unit_columns(options);
        const std::optional<TimeRange> extent = spike_extent_of(index);
        UnitTable units = UnitTable::without_spikes(std::move(index.ids), std::move(index.ends),
                                                    std::move(columns), std::move(locations),
                                                    path() + ": /units", extent);
        units.set_location_source(source);
        return units;
    }

    /// Any DynamicTable by path (e.g. the electrodes table).
    Table read_table(std::string_view table_path, const ReadOptions& options = {}) const {
        return detail::read_table(reader_, table_path, options);
    }

    /// Names of the tables under /intervals (presentations, trials, epochs...).
    std::vector<std::string> interval_names() const {
        std::vector<std::string> names;
        if (!reader_.exists("/intervals")) return names;
        for (const std::string& child : reader_.children("/intervals"))
            if (reader_.is_group("/intervals/" + child)) names.push_back(child);
        return names;
    }

    Table read_interval_table(std::string_view name, const ReadOptions& options = {}) const {
        return detail::read_table(reader_, "/intervals/" + std::string(name), options);
    }

    std::vector<Table> read_intervals(const ReadOptions& options = {}) const {
        std::vector<Table> tables;
        for (const std::string& name : interval_names())
            tables.push_back(read_interval_table(name, options));
        return tables;
    }

    /// /processing/running/speed (cm/s), or nullopt when the file has no running speed.
    std::optional<TimeSeries> read_running_speed() const {
        return read_time_series("/processing/running/speed");
    }

    /// A TimeSeries group: data plus timestamps, or starting_time and rate.
    std::optional<TimeSeries> read_time_series(std::string_view group) const {
        if (!reader_.exists(group)) return std::nullopt;
        const std::string data_path = detail::join_path(group, "data");
        TimeSeries ts;
        ts.path = std::string(group);
        ts.values = reader_.read_all<double>(data_path);
        ts.unit = reader_.attribute_string(data_path, "unit").value_or("");
        const std::string stamps = detail::join_path(group, "timestamps");
        const std::string start = detail::join_path(group, "starting_time");
        if (reader_.exists(stamps)) {
            ts.timestamps = reader_.read_all<double>(stamps);
        } else if (reader_.exists(start)) {
            double t0 = 0.0;
            reader_.read(start, std::span<double>(&t0, 1));
            const std::optional<double> rate = reader_.attribute_number(start, "rate");
            if (!rate || !(*rate > 0.0))
                fail(path(), start, ": missing or non-positive 'rate' attribute");
            ts.timestamps.resize(ts.values.size());
            for (std::size_t i = 0; i < ts.timestamps.size(); ++i)
                ts.timestamps[i] = t0 + static_cast<double>(i) / *rate;
            ts.rate = *rate;
        } else {
            fail(path(), group, ": TimeSeries has neither timestamps nor starting_time");
        }
        ts.validate(path() + ": " + std::string(group));
        return ts;
    }

  private:
    struct UnitColumns {
        Table columns;
        std::vector<std::string> locations;
        std::string location_source;
    };
    UnitColumns unit_columns(const ReadOptions& options) const {
        const std::vector<std::string> skip = {"spike_times"};
        UnitColumns out;
        out.columns = detail::read_table(reader_, "/units", options, skip);
        out.location_source = detail::unit_locations(reader_, out.columns, out.locations);
        return out;
    }

    void require_units() const {
        if (!has_units()) fail(path(), "/units: group not found (the file has no units table)");
    }
    hdf5::DatasetInfo spike_times_info() const {
        const hdf5::DatasetInfo times = reader_.info("/units/spike_times");
        if (times.element != hdf5::ElementClass::floating &&
            times.element != hdf5::ElementClass::integer)
            fail(path(), "/units/spike_times: holds ", times.type_name, ", expected float64 times");
        if (times.dims.size() != 1)
            fail(path(), "/units/spike_times: has rank ", times.dims.size(), ", expected 1");
        return times;
    }
    std::size_t index_length() const {
        const hdf5::DatasetInfo in = reader_.info("/units/spike_times_index");
        return in.dims.empty() ? 1 : static_cast<std::size_t>(in.rows());
    }

    hdf5::Reader reader_;
};

}  // namespace jepasnn::data
