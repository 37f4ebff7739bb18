// Writing NWB 2.x session files in the VBN layout that NwbFile reads and pynwb opens: the file's
// required datasets, NWB's neurodata_type / namespace / object_id attributes on every typed
// object, the units table (ragged spike times and any other columns), electrodes with their
// groups, interval tables and running speed. The file is written beside its target and renamed
// into place by finish(), so an interrupted write leaves nothing behind.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/atomic_file.hpp"
#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "../core/streams.hpp"
#include "hdf5_writer.hpp"
#include "nwb_reader.hpp"
#include "table.hpp"
#include "time_series.hpp"
#include "units.hpp"

namespace jepasnn::data {

/// /general/subject (NWB Subject). Empty fields are not written.
struct SubjectInfo {
    std::string subject_id;
    std::string species = "Mus musculus";
    std::string sex = "U";  // M, F, U (unknown) or O (other)
    std::string age;        // ISO 8601 duration, e.g. "P120D"
    std::string genotype;
    std::string description;
};

/// Integer type of the units' spike_times_index (0 = the narrowest unsigned type that fits, as
/// pynwb does). Any width is valid NWB; tests write each one.
enum class IndexType { automatic, uint8, uint16, uint32, uint64, int32, int64 };

class NwbWriter {
  public:
    /// Starts a file at a temporary sibling of `path`. Object ids are UUIDs drawn from
    /// (id_seed, id_stream), so the same inputs give the same bytes.
    NwbWriter(const std::filesystem::path& path, const SessionInfo& info, std::uint64_t id_seed,
              std::uint32_t id_stream = 0)
        : target_(path),
          temporary_(jepasnn::detail::temporary_sibling(path)),
          writer_(temporary_),
          ids_(id_seed, stream_id(streams::nwb_ids, id_stream)) {
        try {
            write_root(info);
        } catch (...) {
            discard();
            throw;
        }
    }
    NwbWriter(const NwbWriter&) = delete;
    NwbWriter& operator=(const NwbWriter&) = delete;
    ~NwbWriter() { discard(); }

    /// A recording device (/general/devices/<name>).
    void add_device(const std::string& name, const std::string& description) {
        const std::string p = "/general/devices/" + name;
        writer_.group(p);
        typed(p, "Device", "core");
        writer_.attribute(p, "description", description);
    }

    /// An electrode group (a probe), linked to its device.
    void add_electrode_group(const std::string& name, const std::string& description,
                             const std::string& location, const std::string& device) {
        const std::string p = "/general/extracellular_ephys/" + name;
        writer_.group(p);
        typed(p, "ElectrodeGroup", "core");
        writer_.attribute(p, "description", description);
        writer_.attribute(p, "location", location);
        writer_.soft_link("/general/devices/" + device, p + "/device");
        groups_.push_back(name);
    }

    /// The electrodes table: `location` and `group_name` text columns are required (the group
    /// references NWB wants are written from group_name); other columns are copied.
    void write_electrodes(const Table& electrodes) {
        const std::string p = detail::electrodes_path;
        const Column& group_name = electrodes.column("group_name");
        electrodes.column("location");
        std::vector<std::string> refs;
        for (const std::string& g : group_name.texts()) {
            require(std::find(groups_.begin(), groups_.end(), g) != groups_.end(),
                    "NwbWriter::write_electrodes", "electrode group '", g, "' was not added");
            refs.push_back("/general/extracellular_ephys/" + g);
        }
        Table with_groups(
            p, std::vector<std::int64_t>(electrodes.ids().begin(), electrodes.ids().end()));
        for (const Column& c : electrodes.columns())
            with_groups.add(c);
        with_groups.add(Column("group", ColumnKind::reference, refs)
                            .with_description("the ElectrodeGroup of each electrode"));
        write_table(with_groups, "DynamicTable", "hdmf-common",
                    "metadata about extracellular electrodes");
    }

    /// The subject the session was recorded from.
    void write_subject(const SubjectInfo& subject) {
        const std::string p = "/general/subject";
        writer_.group(p);
        typed(p, "Subject", "core");
        const std::pair<const char*, const std::string*> fields[] = {
            {"subject_id", &subject.subject_id},
            {"species", &subject.species},
            {"sex", &subject.sex},
            {"age", &subject.age},
            {"genotype", &subject.genotype},
            {"description", &subject.description}};
        for (const auto& [name, value] : fields)
            if (!value->empty()) writer_.strings(p + "/" + name, {*value}, true);
    }

    /// The units table: spike_times + spike_times_index, then every column of units.columns().
    /// `resolution` (s, > 0 to write it): the smallest possible difference between two spike
    /// times, the attribute NWB keeps on spike_times.
    void write_units(const UnitTable& units, IndexType index_type = IndexType::automatic,
                     double resolution = 0.0) {
        begin_units(resolution);
        std::vector<std::uint64_t> counts(units.size());
        for (std::size_t u = 0; u < units.size(); ++u)
            counts[u] = units.n_spikes(u);
        append_units(counts, units.all_spike_times());
        finish_units(units.ids(), units.columns().columns(), index_type);
    }

    /// The units table in pieces, for tables too large to hold: begin_units, append_units for
    /// each group of units in order (spike_times, and the per-spike spike_amplitudes column when
    /// `amplitudes` describes one, grow chunk by chunk), then finish_units with the ids and the
    /// other columns. `resolution` as in write_units.
    void begin_units(double resolution = 0.0,
                     std::optional<std::string> amplitudes = std::nullopt) {
        require(!units_, "NwbWriter::begin_units", "a units table is already being written");
        const std::string p = "/units";
        writer_.group(p);
        UnitsInProgress u;
        u.times = writer_.growing_vector<double>(p + "/spike_times", spike_chunk_elements);
        vector_data(p + "/spike_times", "the spike times for each unit");
        if (resolution > 0.0) writer_.attribute(p + "/spike_times", "resolution", resolution);
        if (amplitudes) {
            u.amplitudes =
                writer_.growing_vector<double>(p + "/spike_amplitudes", spike_chunk_elements);
            vector_data(p + "/spike_amplitudes", *amplitudes);
        }
        units_ = std::move(u);
    }

    /// The next units' spikes: counts[i] spikes of each, `times` (and `amplitudes` when the
    /// table has them) concatenated in unit order.
    void append_units(std::span<const std::uint64_t> counts, std::span<const double> times,
                      std::span<const double> amplitudes = {}) {
        require(units_.has_value(), "NwbWriter::append_units", "begin_units was not called");
        UnitsInProgress& u = *units_;
        std::uint64_t total = u.ends.empty() ? 0 : u.ends.back();
        const std::uint64_t first = total;
        for (std::uint64_t c : counts)
            total += c;
        require(total - first == times.size(), "NwbWriter::append_units", "counts sum to ",
                total - first, " spikes but ", times.size(), " spike times were given");
        const std::size_t expected = u.amplitudes.valid() ? times.size() : 0;
        require(amplitudes.size() == expected, "NwbWriter::append_units", amplitudes.size(),
                " amplitudes given, expected ", expected);
        writer_.append(u.times.get(), "/units/spike_times", times);
        if (u.amplitudes.valid())
            writer_.append(u.amplitudes.get(), "/units/spike_amplitudes", amplitudes);
        for (std::uint64_t c : counts)
            u.ends.push_back(u.ends.empty() ? c : u.ends.back() + c);
    }

    /// The spike_times index of the units appended so far: where each unit's spikes end (valid
    /// until finish_units).
    std::span<const std::uint64_t> appended_spike_ends() const {
        require(units_.has_value(), "NwbWriter::appended_spike_ends",
                "no units table is being written");
        return units_->ends;
    }

    /// spike_times[first, first + out.size()) of the units appended so far, read back.
    void read_back_spike_times(std::uint64_t first, std::span<double> out) const {
        require(units_.has_value(), "NwbWriter::read_back_spike_times",
                "no units table is being written");
        writer_.read_back(units_->times.get(), "/units/spike_times", first, out);
    }

    /// Ends the units table: one id per appended unit, then `columns` (one row per unit).
    void finish_units(std::span<const std::int64_t> ids, const std::vector<Column>& columns,
                      IndexType index_type = IndexType::automatic) {
        require(units_.has_value(), "NwbWriter::finish_units", "begin_units was not called");
        const std::string p = "/units";
        require_size("NwbWriter::finish_units", "ids", ids.size(), units_->ends.size(),
                     "entries (one per unit appended)");
        std::vector<std::string> colnames = {"spike_times"};
        for (const Column& c : columns) {
            require_size("NwbWriter::finish_units", c.name(), c.rows(), ids.size(),
                         "rows (one per unit)");
            colnames.push_back(c.name());
        }
        if (units_->amplitudes.valid()) colnames.emplace_back("spike_amplitudes");
        table_attributes(p, "Units", "core", "units table", colnames);
        write_ids(p, ids);
        write_index(p + "/spike_times", units_->ends, index_type);
        for (const Column& c : columns)
            write_column(p, c);
        if (units_->amplitudes.valid())
            write_index(p + "/spike_amplitudes", units_->ends, IndexType::automatic);
        units_.reset();
    }

    /// An interval table (/intervals/<name>), e.g. stimulus presentations or trials.
    void write_intervals(const Table& table, const std::string& description) {
        Table copy(std::string("/intervals/") + table.name(),
                   std::vector<std::int64_t>(table.ids().begin(), table.ids().end()));
        for (const Column& c : table.columns())
            copy.add(c);
        write_table(copy, "TimeIntervals", "core", description);
    }

    /// /processing/running/speed as an NWB TimeSeries: starting_time + rate when the speed is
    /// sampled regularly (speed.rate), else timestamps.
    void write_running_speed(const TimeSeries& speed) {
        speed.validate("NwbWriter::write_running_speed");
        if (!running_module_) {
            writer_.group("/processing/running");
            typed("/processing/running", "ProcessingModule", "core");
            writer_.attribute("/processing/running", "description", "running speed");
            running_module_ = true;
        }
        const std::string p = "/processing/running/speed";
        writer_.group(p);
        typed(p, "TimeSeries", "core");
        writer_.attribute(p, "description", "running speed of the mouse");
        writer_.attribute(p, "comments", "no comments");
        writer_.numbers(p + "/data", std::span<const double>(speed.values));
        writer_.attribute(p + "/data", "conversion", 1.0);
        writer_.attribute(p + "/data", "offset", 0.0);
        writer_.attribute(p + "/data", "resolution", -1.0);
        writer_.attribute(p + "/data", "unit", speed.unit.empty() ? "cm/s" : speed.unit);
        if (speed.rate) {
            const double start = speed.timestamps.empty() ? 0.0 : speed.timestamps.front();
            writer_.scalar(p + "/starting_time", start);
            writer_.attribute(p + "/starting_time", "rate", *speed.rate);
            writer_.attribute(p + "/starting_time", "unit", "seconds");
            return;
        }
        writer_.numbers(p + "/timestamps", std::span<const double>(speed.timestamps));
        writer_.attribute(p + "/timestamps", "interval", std::int64_t{1});
        writer_.attribute(p + "/timestamps", "unit", "seconds");
    }

    /// Closes the file and moves it into place.
    void finish() {
        require(!units_, "NwbWriter::finish", "the units table was not finished");
        writer_.close();
        std::error_code ec;
        std::filesystem::rename(temporary_, target_, ec);
        if (ec) {
            discard();
            fail(target_.string(), "cannot move the finished file into place (", ec.message(), ")");
        }
        finished_ = true;
    }

    /// Direct HDF5 access for additions the NWB helpers do not cover (tests use it).
    hdf5::Writer& hdf5() { return writer_; }

  private:
    void discard() {
        if (finished_) return;
        units_.reset();  // its datasets close before the file
        try {
            writer_.close();
        } catch (...) {  // the file is being thrown away anyway
        }
        std::error_code ignored;
        std::filesystem::remove(temporary_, ignored);
    }

    /// A version-4 UUID from the id stream (RFC 4122 layout).
    std::string object_id() {
        std::uint32_t w[4];
        for (auto& x : w)
            x = ids_.next_u32();
        w[1] = (w[1] & 0xffff0fffu) | 0x00004000u;  // version 4
        w[2] = (w[2] & 0x3fffffffu) | 0x80000000u;  // variant 10
        char buf[40];
        std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%04x%08x", w[0], w[1] >> 16,
                      w[1] & 0xffffu, w[2] >> 16, w[2] & 0xffffu, w[3]);
        return buf;
    }

    void typed(const std::string& path, const char* type, const char* ns) {
        writer_.attribute(path, "namespace", ns);
        writer_.attribute(path, "neurodata_type", type);
        writer_.attribute(path, "object_id", object_id());
    }

    void write_root(const SessionInfo& info) {
        typed("/", "NWBFile", "core");
        writer_.attribute("/", "nwb_version", "2.6.0");
        const std::string start =
            info.session_start_time.empty() ? "2019-01-01T00:00:00+00:00" : info.session_start_time;
        writer_.strings("/identifier", {info.identifier.empty() ? "jepasnn" : info.identifier},
                        true);
        writer_.strings("/session_description",
                        {info.session_description.empty() ? "session" : info.session_description},
                        true);
        writer_.strings("/session_start_time", {start}, true);
        writer_.strings("/timestamps_reference_time", {start}, true);
        writer_.strings("/file_create_date", {start});
        for (const char* g : {"/acquisition", "/analysis", "/general", "/general/devices",
                              "/general/extracellular_ephys", "/intervals", "/processing",
                              "/stimulus", "/stimulus/presentation", "/stimulus/templates"})
            writer_.group(g);
    }

    void table_attributes(const std::string& path, const char* type, const char* ns,
                          const std::string& description, const std::vector<std::string>& names) {
        typed(path, type, ns);
        writer_.attribute(path, "description", description);
        writer_.attribute(path, "colnames", names);
    }

    void write_ids(const std::string& table, std::span<const std::int64_t> ids) {
        writer_.numbers(table + "/id", ids);
        typed(table + "/id", "ElementIdentifiers", "hdmf-common");
    }

    void vector_data(const std::string& path, const std::string& description) {
        typed(path, "VectorData", "hdmf-common");
        writer_.attribute(path, "description", description);
    }

    void write_index(const std::string& data_path, std::span<const std::uint64_t> ends,
                     IndexType type) {
        const std::uint64_t last = ends.empty() ? 0 : ends.back();
        if (type == IndexType::automatic)
            type = last <= 0xffu           ? IndexType::uint8
                   : last <= 0xffffu       ? IndexType::uint16
                   : last <= 0xffffffffull ? IndexType::uint32
                                           : IndexType::uint64;
        const std::string p = data_path + "_index";
        hid_t file_type = H5T_STD_U64LE;
        std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
        switch (type) {
            case IndexType::uint8:
                file_type = H5T_STD_U8LE, max = 0xffu;
                break;
            case IndexType::uint16:
                file_type = H5T_STD_U16LE, max = 0xffffu;
                break;
            case IndexType::uint32:
                file_type = H5T_STD_U32LE, max = 0xffffffffu;
                break;
            case IndexType::int32:
                file_type = H5T_STD_I32LE, max = 0x7fffffffu;
                break;
            case IndexType::int64:
                file_type = H5T_STD_I64LE, max = 0x7fffffffffffffffull;
                break;
            default:
                break;
        }
        require(last <= max, "NwbWriter", data_path, ": ", last,
                " values do not fit the requested index type");
        writer_.numbers_as(p, ends, file_type);
        typed(p, "VectorIndex", "hdmf-common");
        writer_.attribute(
            p, "description",
            "Index for VectorData '" + data_path.substr(data_path.rfind('/') + 1) + "'");
        writer_.reference_attribute(p, "target", data_path);
    }

    void write_column(const std::string& table, const Column& c) {
        const std::string p = table + "/" + c.name();
        std::vector<hsize_t> dims;
        if (!c.is_ragged() && c.width() > 1) dims = {c.rows(), c.width()};
        switch (c.kind()) {
            case ColumnKind::real:
                writer_.numbers(p, c.values<double>(), dims);
                break;
            case ColumnKind::integer:
                writer_.numbers(p, c.values<std::int64_t>(), dims);
                break;
            case ColumnKind::boolean:
                writer_.booleans(p, c.values<std::int8_t>());
                break;
            case ColumnKind::text: {
                const std::span<const std::string> v = c.values<std::string>();
                writer_.strings(p, std::vector<std::string>(v.begin(), v.end()));
                break;
            }
            case ColumnKind::reference: {
                const std::span<const std::string> v = c.values<std::string>();
                writer_.references(p, std::vector<std::string>(v.begin(), v.end()));
                break;
            }
        }
        vector_data(p, c.description().empty() ? c.name() : c.description());
        if (c.is_ragged()) write_index(p, c.ragged_ends(), IndexType::automatic);
    }

    void write_table(const Table& table, const char* type, const char* ns,
                     const std::string& description) {
        const std::string& p = table.path();
        writer_.group(p);
        table_attributes(p, type, ns, description, table.column_names());
        write_ids(p, table.ids());
        for (const Column& c : table.columns())
            write_column(p, c);
    }

    /// A units table between begin_units and finish_units.
    struct UnitsInProgress {
        hdf5::Handle times, amplitudes;
        std::vector<std::uint64_t> ends;
    };
    /// Spike times and amplitudes grow in chunks of 512 KiB.
    static constexpr hsize_t spike_chunk_elements = hsize_t{1} << 16;

    std::filesystem::path target_;
    std::filesystem::path temporary_;
    hdf5::Writer writer_;
    std::optional<UnitsInProgress> units_;
    RandomStream ids_;
    std::vector<std::string> groups_;
    bool running_module_ = false;
    bool finished_ = false;
};

}  // namespace jepasnn::data
