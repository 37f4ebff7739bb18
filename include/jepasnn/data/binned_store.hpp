// A binned store: one session's spike counts binned once into an HDF5 file (the format users
// already read with h5py), so that training reads windows of bins instead of holding the session.
// Layout (format 1):
//   /counts     (bins, units) uint8 | uint16 | int32, time-major, stored unfiltered in chunks of
//               store_chunk_rows(...) rows × store_group_columns(...) columns (all units unless
//               the session is long): a window of W bins reads the chunks it overlaps,
//               O((W + chunk rows) · units) bytes, whatever the session length; a streamed
//               write (bin_file_to_store) fills one column group at a time
//   /unit_ids   (units,) int64   NWB ids of the columns
//   /unit_rows  (units,) int64   the columns' rows in the NWB units table (the QC selection)
//   /state      (bins,) int8     each bin's data::BinState (-1 other, 0 passive replay, 1 active)
//   attributes of "/": jepasnn_store (format version), t_start and bin_width (s), qc,
//     source_path, source_identifier, source_size, source_mtime_ns, source_crc32
// The source's size, time and CRC-32 tie the store to its NWB file: a store whose file has
// changed since is refused (BinnedStore::check_source). Stores are written atomically.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../core/atomic_file.hpp"
#include "../core/error.hpp"
#include "../core/file_checksum.hpp"
#include "../core/npy.hpp"
#include "../core/settings.hpp"
#include "../core/tensor.hpp"
#include "bin_states.hpp"
#include "binning.hpp"
#include "hdf5_reader.hpp"
#include "hdf5_writer.hpp"
#include "session.hpp"
#include "streaming_binning.hpp"

namespace jepasnn::data {

inline constexpr std::int64_t store_format_version = 1;

/// Chunks of about this many bytes: large enough that a chunk read is one sequential read, small
/// enough that a training window (tens to hundreds of bins) does not read far past itself.
inline constexpr std::size_t store_chunk_bytes = std::size_t{256} << 10;

/// Columns per group (and per chunk) for `bins` rows of `count_bytes` bytes each: all of them
/// when the session is small, else groups of about equal width, each within `group_bytes` (at
/// least one column), so the last column of chunks is not mostly empty.
inline std::size_t store_group_columns(std::size_t bins, std::size_t units, std::size_t count_bytes,
                                       std::size_t group_bytes = StreamingOptions{}.group_bytes) {
    const std::size_t column_bytes = std::max<std::size_t>(1, bins * count_bytes);
    const std::size_t widest =
        std::clamp<std::size_t>(group_bytes / column_bytes, 1, std::max<std::size_t>(1, units));
    const std::size_t groups = (units + widest - 1) / widest;
    return groups == 0 ? widest : (units + groups - 1) / groups;
}

/// Rows per chunk for `units` columns of `count_bytes` bytes each: a row of chunks across every
/// group is about store_chunk_bytes.
inline std::size_t store_chunk_rows(std::size_t units, std::size_t count_bytes) {
    return std::clamp<std::size_t>(
        store_chunk_bytes / std::max<std::size_t>(1, units * count_bytes), 16, 65536);
}

/// Everything in a store but the counts.
struct StoreHeader {
    BinGrid grid;
    std::vector<std::int64_t> unit_ids;   // (units,)
    std::vector<std::int64_t> unit_rows;  // (units,) rows in the NWB units table
    std::vector<std::int8_t> state;       // (bins,) BinState values
    std::string qc;                       // the QC filter's name
    std::filesystem::path source;         // the NWB file, as named when the store was written
    std::string source_identifier;        // its NWB identifier
    FileIdentity source_identity;

    /// The header of `units` (rows of s.units) binned on `grid` from the NWB file `source`.
    static StoreHeader of(const Session& s, const std::filesystem::path& source,
                          const BinGrid& grid, std::span<const std::size_t> units,
                          std::string_view qc) {
        StoreHeader h;
        h.grid = grid;
        for (const std::size_t u : units) {
            h.unit_ids.push_back(s.units.id(u));
            h.unit_rows.push_back(static_cast<std::int64_t>(u));
        }
        h.state = bin_states(s, grid);
        h.qc = qc;
        h.source = source;
        h.source_identifier = s.info.identifier;
        h.source_identity = file_identity(source);
        return h;
    }
};

namespace detail {

/// A streamed write found a count its type cannot hold: the store is abandoned.
struct StoreOverflow {
    CountOverflow first;
};

/// Writes a store of count type C at `path` atomically (nothing at `path` unless complete):
/// write_counts(writer, dataset, group_columns) fills the created /counts, each column group
/// whole (a group is one column of chunks), then the header follows.
template <CountType C, class WriteCounts>
void write_store_with(const std::filesystem::path& path, const StoreHeader& h,
                      std::size_t group_bytes, WriteCounts&& write_counts) {
    const std::string where = path.string();
    const std::size_t bins = h.grid.n_bins, units = h.unit_ids.size();
    require(units >= 1, where, "a store needs at least one unit");
    require(h.unit_rows.size() == units && h.state.size() == bins, where,
            "header lengths disagree (", h.unit_rows.size(), " unit rows, ", h.state.size(),
            " state labels)");
    replace_atomically(path, [&](const std::filesystem::path& tmp) {
        hdf5::Writer w(tmp);
        const std::size_t group = store_group_columns(bins, units, sizeof(C), group_bytes);
        const hdf5::Handle counts =
            w.chunked_matrix<C>("/counts", bins, units, store_chunk_rows(units, sizeof(C)), group);
        write_counts(w, counts.get(), group);
        w.numbers<std::int64_t>("/unit_ids", h.unit_ids);
        w.numbers<std::int64_t>("/unit_rows", h.unit_rows);
        w.numbers<std::int8_t>("/state", h.state);
        w.attribute("/", "jepasnn_store", store_format_version);
        w.attribute("/", "t_start", h.grid.t_start);
        w.attribute("/", "bin_width", h.grid.bin_width);
        w.attribute("/", "qc", h.qc);
        w.attribute("/", "source_path", h.source.string());
        w.attribute("/", "source_identifier", h.source_identifier);
        w.attribute("/", "source_size", static_cast<std::int64_t>(h.source_identity.size));
        w.attribute("/", "source_mtime_ns", h.source_identity.mtime_ns);
        w.attribute("/", "source_crc32", static_cast<std::int64_t>(h.source_identity.crc32));
        w.close();
    });
}

}  // namespace detail

/// Writes `counts` with its header to `path` atomically (nothing at `path` unless complete).
inline void write_store(const std::filesystem::path& path, const StoreHeader& h,
                        const Counts& counts) {
    std::visit(
        [&]<class C>(const Tensor<C, 2>& c) {
            require(c.shape(0) == h.grid.n_bins && c.shape(1) == h.unit_ids.size(), path.string(),
                    "counts are ", c.shape(0), " x ", c.shape(1), ", the header describes ",
                    h.grid.n_bins, " bins x ", h.unit_ids.size(), " units");
            detail::write_store_with<C>(
                path, h, StreamingOptions{}.group_bytes,
                [&](hdf5::Writer& w, hid_t ds, std::size_t group) {
                    for (std::size_t first = 0; first < c.shape(1); first += group) {
                        const std::size_t n = std::min(group, c.shape(1) - first);
                        w.write_columns<C>(ds, "/counts", first, n,
                                           std::span<const C>(c.data(), c.size()), c.shape(1),
                                           first);
                    }
                });
        },
        counts);
}

/// Bins the header's units (its unit_rows) on its grid straight from `file` into a store at
/// `path`, one column group at a time: memory is one group (options.group_bytes) and a chunk
/// of spike times (options.chunk_spikes), not the session. The count type is the one asked for
/// (narrowest: the narrowest exact one, binned again wider when a count does not fit); the counts
/// are bin_file's exactly, and a count the type cannot hold is bin_file's error. Atomic, like
/// write_store. Returns the name of the count type written ("uint8", "uint16" or "int32").
inline std::string_view bin_file_to_store(const std::filesystem::path& path, const StoreHeader& h,
                                          const NwbFile& file, CountDType dtype,
                                          const StreamingOptions& options = {}) {
    detail::check_streaming(h.grid, options);
    std::vector<std::size_t> units;
    for (const std::int64_t row : h.unit_rows)
        units.push_back(static_cast<std::size_t>(row));
    const UnitIndex index = file.read_unit_index();
    detail::check_selection(units, index.size(), "bin_file");
    // One open dataset and one block for every group.
    const hdf5::Handle dataset = file.hdf5().open_dataset("/units/spike_times");
    std::string_view written;
    detail::first_exact_type(
        dtype,
        [&]<CountType C>() -> std::optional<CountOverflow> {
            try {
                detail::write_store_with<C>(
                    path, h, options.group_bytes,
                    [&](hdf5::Writer& w, hid_t ds, std::size_t group) {
                        std::optional<CountOverflow> first_overflow;
                        std::vector<C> block(h.grid.n_bins * std::min(group, units.size()));
                        for (std::size_t first = 0; first < units.size(); first += group) {
                            const std::size_t n = std::min(group, units.size() - first);
                            const std::span<C> counts(block.data(), h.grid.n_bins * n);
                            if (auto o = detail::bin_file_columns(
                                    counts, file, index, dataset.get(), h.grid,
                                    std::span<const std::size_t>(units).subspan(first, n),
                                    options)) {
                                o->column += first;
                                if (!first_overflow || *o < *first_overflow) first_overflow = o;
                                continue;
                            }
                            w.write_columns<C>(ds, "/counts", first, n, std::span<const C>(counts),
                                               n, 0);
                        }
                        if (first_overflow) throw detail::StoreOverflow{*first_overflow};
                    });
            } catch (const detail::StoreOverflow& o) {
                return o.first;
            }
            written = dtype_name(dtype_of<C>());
            return std::nullopt;
        },
        [&]<CountType C>(const CountOverflow& o) {
            detail::report_overflow<C>(o, units, h.grid, index.ids, file.path());
        });
    return written;
}

/// An open store: its header in memory, its counts read a window at a time.
class BinnedStore {
  public:
    /// Opens and validates `path` (format, datasets, shapes, count type), or an Error naming the
    /// file and what is wrong.
    explicit BinnedStore(const std::filesystem::path& path) : file_(path) {
        const std::string where = path.string();
        const auto version = file_.attribute_integer("/", "jepasnn_store");
        require(version.has_value(), where,
                "not a binned store (no 'jepasnn_store' attribute; create one with jepasnn bin "
                "--store)");
        require(*version == store_format_version, where, "store format ", *version,
                ", this build reads format ", store_format_version);
        for (const char* name : {"/counts", "/unit_ids", "/unit_rows", "/state"})
            require(file_.exists(name) && file_.is_dataset(name), where, "store lacks ", name);
        counts_ = file_.open_dataset("/counts");
        const hdf5::DatasetInfo info = file_.info("/counts");
        require(info.dims.size() == 2, where, "/counts has rank ", info.dims.size(),
                ", expected 2 (bins x units)");
        dtype_ = info.type_name;
        require(dtype_ == "uint8" || dtype_ == "uint16" || dtype_ == "int32", where,
                "/counts holds ", dtype_, ", expected uint8, uint16 or int32");
        header_.grid.t_start = number("t_start");
        header_.grid.bin_width = number("bin_width");
        header_.grid.n_bins = static_cast<std::size_t>(info.dims[0]);
        header_.grid.validate(where);
        require(header_.grid.n_bins >= 1 && info.dims[1] >= 1, where, "/counts is empty");
        header_.unit_ids = file_.read_all<std::int64_t>("/unit_ids");
        header_.unit_rows = file_.read_all<std::int64_t>("/unit_rows");
        header_.state = file_.read_all<std::int8_t>("/state");
        require(header_.unit_ids.size() == info.dims[1] && header_.unit_rows.size() == info.dims[1],
                where, "/unit_ids and /unit_rows have ", header_.unit_ids.size(), " and ",
                header_.unit_rows.size(), " entries for ", info.dims[1], " columns of /counts");
        require(header_.state.size() == header_.grid.n_bins, where, "/state has ",
                header_.state.size(), " entries for ", header_.grid.n_bins, " bins");
        header_.qc = text("qc");
        header_.source = text("source_path");
        header_.source_identifier = text("source_identifier");
        header_.source_identity.size = static_cast<std::uint64_t>(integer("source_size"));
        header_.source_identity.mtime_ns = integer("source_mtime_ns");
        header_.source_identity.crc32 = static_cast<std::uint32_t>(integer("source_crc32"));
    }

    const StoreHeader& header() const { return header_; }
    const std::string& path() const { return file_.file(); }
    std::size_t bins() const { return header_.grid.n_bins; }
    std::size_t units() const { return header_.unit_ids.size(); }
    /// The stored count type: "uint8", "uint16" or "int32".
    const std::string& dtype() const { return dtype_; }

    /// Bins [first, first + n) of every unit into `out` (n × units, row-major), converted to C;
    /// C must hold the stored type's range (an int32 window can read any store).
    template <CountType C>
    void read_window(std::size_t first, std::size_t n, std::span<C> out) const {
        require(sizeof(C) >= stored_bytes(), path(), "a ", dtype_, " store read as ",
                count_type_name<C>(), " would not be exact");
        check_window(first, n);
        file_.read_rows(counts_.get(), "/counts", first, n, out);
    }

    /// Every count in the stored type.
    Counts read_all() const { return read_stored(0, bins()); }

    /// Bins [first, first + n) of every unit (n × units) in the stored type.
    Counts read_stored(std::size_t first, std::size_t n) const {
        check_window(first, n);  // before allocating the window
        auto as = [&]<CountType C>() -> Counts {
            Tensor<C, 2> t = Tensor<C, 2>::from_shape({n, units()});
            read_window<C>(first, n, std::span<C>(t.data(), t.size()));
            return t;
        };
        if (dtype_ == "uint8") return as.template operator()<std::uint8_t>();
        if (dtype_ == "uint16") return as.template operator()<std::uint16_t>();
        return as.template operator()<std::int32_t>();
    }

    /// Whether `nwb` is still the file the store was binned from.
    enum class SourceStatus { unchanged, changed, missing };
    friend constexpr std::array<std::pair<SourceStatus, std::string_view>, 3> enum_names(
        SourceStatus) {
        return {{{SourceStatus::unchanged, "unchanged"},
                 {SourceStatus::changed, "changed"},
                 {SourceStatus::missing, "missing"}}};
    }
    SourceStatus source_status(const std::filesystem::path& nwb) const {
        if (!std::filesystem::exists(nwb)) return SourceStatus::missing;
        return same_file_content(nwb, header_.source_identity) ? SourceStatus::unchanged
                                                               : SourceStatus::changed;
    }

    /// Refuses a store whose NWB file is not the one it was binned from any more.
    void check_source(const std::filesystem::path& nwb) const {
        const SourceStatus status = source_status(nwb);
        require(status != SourceStatus::missing, path(), "its source ", nwb.string(),
                " does not exist");
        require(status == SourceStatus::unchanged, path(), "is stale: ", nwb.string(),
                " has changed since the store was binned from it (size ",
                header_.source_identity.size, " bytes, CRC-32 ", header_.source_identity.crc32,
                "); bin it again with jepasnn bin --store");
    }

  private:
    void check_window(std::size_t first, std::size_t n) const {
        require(first <= bins() && n <= bins() - first, path(), "window of bins ", first, "..",
                first + n, " runs past the store's ", bins(), " bins");
    }
    double number(const char* name) const {
        const auto v = file_.attribute_number("/", name);
        require(v.has_value(), path(), "store lacks the numeric attribute '", name, "'");
        return *v;
    }
    std::int64_t integer(const char* name) const {
        const auto v = file_.attribute_integer("/", name);
        require(v.has_value(), path(), "store lacks the integer attribute '", name, "'");
        return *v;
    }
    std::string text(const char* name) const {
        const auto v = file_.attribute_string("/", name);
        require(v.has_value(), path(), "store lacks the text attribute '", name, "'");
        return *v;
    }
    std::size_t stored_bytes() const { return dtype_ == "uint8" ? 1 : dtype_ == "uint16" ? 2 : 4; }

    hdf5::Reader file_;
    hdf5::Handle counts_;
    StoreHeader header_;
    std::string dtype_;
};

}  // namespace jepasnn::data
