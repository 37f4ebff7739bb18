// The units table of a session: ids, ragged spike times (NWB layout: one flat array plus
// cumulative end offsets, unit i owning times[ends[i-1], ends[i])), every other column as a typed
// Table, and each unit's brain area. Construction validates what DESIGN.md requires of a units
// table; a violation is an Error naming the unit by position and id.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "../core/error.hpp"
#include "../core/threads.hpp"
#include "ragged_index.hpp"
#include "table.hpp"
#include "time_range.hpp"

namespace jepasnn::data {

namespace detail {
/// std::allocator that leaves trivially constructible elements uninitialised on resize, so that a
/// buffer about to be filled by an HDF5 read is not first zeroed (1 GB of spike times for a VBN
/// session: one pass over memory saved). Large buffers are 2 MiB aligned and offered to the
/// kernel for transparent huge pages (Linux): first touch then faults 512x fewer pages.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    using std::allocator<T>::allocator;
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    static constexpr std::size_t huge_page = std::size_t{2} << 20;

    T* allocate(std::size_t n) {
#if defined(__linux__)
        const std::size_t bytes = n * sizeof(T);
        if (bytes >= 16 * huge_page) {
            const std::size_t rounded = (bytes + huge_page - 1) / huge_page * huge_page;
            void* p = std::aligned_alloc(huge_page, rounded);
            if (p == nullptr) throw std::bad_alloc();
            ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
            return static_cast<T*>(p);
        }
#endif
        return std::allocator<T>::allocate(n);
    }
    void deallocate(T* p, std::size_t n) {
#if defined(__linux__)
        if (n * sizeof(T) >= 16 * huge_page) {
            std::free(p);
            return;
        }
#endif
        std::allocator<T>::deallocate(p, n);
    }
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};
}  // namespace detail

/// Spike times in seconds, in NWB's ragged layout.
using SpikeTimeBuffer = std::vector<double, detail::DefaultInitAllocator<double>>;

/// A non-owning view of ragged spike trains: unit i owns times[ends[i-1], ends[i]).
struct SpikeTrains {
    std::span<const std::uint64_t> ends;
    std::span<const double> times;

    std::size_t size() const { return ends.size(); }
    std::uint64_t begin_of(std::size_t unit) const { return unit == 0 ? 0 : ends[unit - 1]; }
    std::span<const double> unit(std::size_t i) const {
        const std::uint64_t first = begin_of(i);
        return times.subspan(first, ends[i] - first);
    }
};

namespace detail {

/// Spike times finite and sorted (non-decreasing) within each unit. Checked in parallel; the
/// reported violation is always the one of the lowest unit index, whatever the thread count.
inline void validate_spike_times(SpikeTrains trains, std::span<const std::int64_t> ids,
                                 std::string_view where) {
    const auto n = static_cast<std::int64_t>(trains.size());
    constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    std::vector<std::size_t> bad_at(trains.size(), none);  // first bad spike per unit
    parallel_for(0, n, [&](std::int64_t u) {
        const std::span<const double> t = trains.unit(static_cast<std::size_t>(u));
        for (std::size_t k = 0; k < t.size(); ++k) {
            if (!std::isfinite(t[k]) || (k > 0 && t[k] < t[k - 1])) {
                bad_at[static_cast<std::size_t>(u)] = k;
                return;
            }
        }
    });
    for (std::size_t u = 0; u < trains.size(); ++u) {
        const std::size_t k = bad_at[u];
        if (k == none) continue;
        const std::span<const double> t = trains.unit(u);
        if (!std::isfinite(t[k]))
            fail(where, row_label(u, ids), ": spike ", k, " of ", t.size(), " is ", t[k],
                 ", expected finite spike times");
        fail(where, row_label(u, ids), ": spike times are not sorted (spike ", k, " at ", t[k],
             " s comes after spike ", k - 1, " at ", t[k - 1], " s)");
    }
}

}  // namespace detail

class UnitTable {
  public:
    UnitTable() = default;

    /// Takes ownership and validates: one index entry per id, index monotone and ending at
    /// times.size(), spike times finite and sorted per unit, every column one row per id,
    /// locations empty or one per unit. `where` prefixes messages ("<file>: /units").
    UnitTable(std::vector<std::int64_t> ids, std::vector<std::uint64_t> spike_ends,
              SpikeTimeBuffer spike_times, Table columns = {},
              std::vector<std::string> locations = {}, std::string where = "units")
        : UnitTable(Metadata{}, std::move(ids), std::move(spike_ends), std::move(columns),
                    std::move(locations), std::move(where)) {
        times_ = std::move(spike_times);
        spikes_loaded_ = true;
        detail::validate_index(ends_, times_.size(), ids_, where_ + "/spike_times_index");
        detail::validate_spike_times(trains(), ids_, where_ + "/spike_times");
    }

    /// A table without its spike times (ids, index, columns, areas, and the extent of the
    /// spikes as the file states it: each unit's first and last spike): enough for QC, counts
    /// of spikes per unit, a session's extent and planning a streaming read. Spike-time
    /// accessors throw.
    static UnitTable without_spikes(std::vector<std::int64_t> ids,
                                    std::vector<std::uint64_t> spike_ends, Table columns = {},
                                    std::vector<std::string> locations = {},
                                    std::string where = "units",
                                    std::optional<TimeRange> spike_extent = std::nullopt) {
        UnitTable t(Metadata{}, std::move(ids), std::move(spike_ends), std::move(columns),
                    std::move(locations), std::move(where));
        t.metadata_extent_ = spike_extent;
        const std::uint64_t total = t.ends_.empty() ? 0 : t.ends_.back();
        detail::validate_index(t.ends_, total, t.ids_, t.where_ + "/spike_times_index");
        return t;
    }

    /// Builds a table from one vector of spike times per unit (tests, simulations).
    static UnitTable from_trains(std::vector<std::int64_t> ids,
                                 const std::vector<std::vector<double>>& trains,
                                 std::vector<std::string> locations = {},
                                 std::string where = "units") {
        std::vector<std::uint64_t> ends(trains.size());
        std::uint64_t total = 0;
        for (std::size_t u = 0; u < trains.size(); ++u)
            ends[u] = total += trains[u].size();
        SpikeTimeBuffer times(total);
        std::uint64_t at = 0;
        for (const auto& t : trains) {
            std::copy(t.begin(), t.end(), times.begin() + static_cast<std::ptrdiff_t>(at));
            at += t.size();
        }
        return UnitTable(std::move(ids), std::move(ends), std::move(times), Table{},
                         std::move(locations), std::move(where));
    }

    std::size_t size() const { return ids_.size(); }
    const std::string& where() const { return where_; }
    std::span<const std::int64_t> ids() const { return ids_; }
    std::int64_t id(std::size_t unit) const { return ids_.at(unit); }
    std::span<const std::uint64_t> spike_ends() const { return ends_; }
    /// False for a table read without its spike times (NwbFile::read_unit_metadata).
    bool spikes_loaded() const { return spikes_loaded_; }
    std::span<const double> all_spike_times() const {
        require_spikes();
        return times_;
    }
    SpikeTrains trains() const {
        require_spikes();
        return {ends_, times_};
    }
    std::span<const double> spike_times(std::size_t unit) const {
        require(unit < size(), where_, "unit ", unit, " out of range for ", size(), " units");
        return trains().unit(unit);
    }
    std::uint64_t n_spikes(std::size_t unit) const {
        require(unit < size(), where_, "unit ", unit, " out of range for ", size(), " units");
        return ends_[unit] - (unit == 0 ? 0 : ends_[unit - 1]);
    }
    std::uint64_t total_spikes() const { return ends_.empty() ? 0 : ends_.back(); }

    /// Adds a column (one row per unit), e.g. metrics computed after loading.
    void add_column(Column c) { columns_.add(std::move(c)); }

    /// Every column of the units table except spike_times (metrics, quality, peak_channel_id...).
    const Table& columns() const { return columns_; }
    /// Brain area per unit ("" when unknown); empty when the file gives no areas at all.
    const std::vector<std::string>& locations() const { return locations_; }
    bool has_locations() const { return !locations_.empty(); }
    /// Where the areas came from: "units/location", "electrodes via peak_channel_id",
    /// "electrodes via units/electrodes" or "" (none).
    const std::string& location_source() const { return location_source_; }
    void set_location_source(std::string s) { location_source_ = std::move(s); }

    /// The position of a unit id, if present.
    std::optional<std::size_t> index_of(std::int64_t id) const {
        const auto it = std::find(ids_.begin(), ids_.end(), id);
        if (it == ids_.end()) return std::nullopt;
        return static_cast<std::size_t>(it - ids_.begin());
    }

    /// [earliest spike, latest spike] over all units, from each unit's first and last spike
    /// (nullopt without spikes; a metadata-only table gives the file's).
    std::optional<TimeRange> spike_extent() const {
        if (!spikes_loaded_) return metadata_extent_;
        double first = std::numeric_limits<double>::infinity();
        double last = -first;
        for (std::size_t u = 0; u < size(); ++u) {
            const auto t = trains().unit(u);
            if (t.empty()) continue;
            first = std::min(first, t.front());
            last = std::max(last, t.back());
        }
        if (!(first <= last)) return std::nullopt;
        return TimeRange{first, last};
    }

    std::string unit_label(std::size_t unit) const { return detail::row_label(unit, ids_); }

  private:
    struct Metadata {};
    // Everything but the spike times, checked; spikes_loaded_ stays false.
    UnitTable(Metadata, std::vector<std::int64_t> ids, std::vector<std::uint64_t> spike_ends,
              Table columns, std::vector<std::string> locations, std::string where)
        : spikes_loaded_(false),
          where_(std::move(where)),
          ids_(std::move(ids)),
          ends_(std::move(spike_ends)),
          locations_(std::move(locations)) {
        require_size(where_, "spike_times_index", ends_.size(), ids_.size(),
                     "entries (one per unit id)");
        if (columns.columns().empty() && columns.skipped().empty())
            columns = Table(columns.path().empty() ? "/units" : columns.path(), ids_, where_);
        require_size(where_, "columns table", columns.rows(), ids_.size(), "rows");
        columns_ = std::move(columns);
        if (!locations_.empty())
            require_size(where_, "locations", locations_.size(), ids_.size(), "entries");
    }

    void require_spikes() const {
        require(spikes_loaded_, where_, "spike times were not loaded (a metadata-only table)");
    }

    bool spikes_loaded_ = true;
    std::string where_ = "units";
    std::vector<std::int64_t> ids_;
    std::vector<std::uint64_t> ends_;
    SpikeTimeBuffer times_;
    std::optional<TimeRange> metadata_extent_;  // a metadata-only table's spike extent
    Table columns_;
    std::vector<std::string> locations_;
    std::string location_source_;
};

}  // namespace jepasnn::data
