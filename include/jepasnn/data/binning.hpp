// Spike counts in time bins, exactly by DESIGN.md's rule: bin k covers [t0 + k·dt, t0 + (k+1)·dt);
// a spike at t belongs to bin floor((t − t0 + 1e-9)/dt), so one within 1 ns below an edge counts
// in the bin that starts there; only whole bins, n = floor((t1 − t0)/dt + 1e-9). The output is
// (time × units) int32, units in the order given.
//
// The kernel walks the output in tiles of consecutive bins that fit in cache: for each tile it
// zeroes the tile's rows, then advances every unit's cursor through the spikes falling in it.
// Each spike is read once, each output row is written once and sequentially, and the scattered
// increments stay in cache. Threads take contiguous ranges of tiles (static, so deterministic).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "time_range.hpp"
#include "units.hpp"

namespace jepasnn::data {

/// The 1 ns tolerance of the binning rule (DESIGN.md).
inline constexpr double bin_edge_tolerance = 1e-9;

/// Where bins start, how wide they are and how many there are.
struct BinGrid {
    double t_start = 0.0;
    double bin_width = 0.0;
    std::size_t n_bins = 0;

    /// The whole bins of width `bin_width` that fit in `range` from range.start:
    /// n = floor((stop − start)/dt + 1e-9). At least one bin must fit.
    static BinGrid covering(TimeRange range, double bin_width) {
        range.validate("BinGrid::covering");
        require(std::isfinite(bin_width) && bin_width > 0.0, "BinGrid::covering", "bin width is ",
                bin_width, " s, expected a finite value > 0");
        const double n = std::floor((range.stop - range.start) / bin_width + bin_edge_tolerance);
        require(n >= 1.0, "BinGrid::covering", "range [", range.start, ", ", range.stop,
                ") is shorter than one ", bin_width, " s bin");
        require(n < 4.0e9, "BinGrid::covering", "range needs ", n, " bins, expected < 4e9");
        return {range.start, bin_width, static_cast<std::size_t>(n)};
    }

    void validate(std::string_view where) const {
        require(std::isfinite(t_start), where, "grid start is ", t_start, ", expected finite");
        require(std::isfinite(bin_width) && bin_width > 0.0, where, "bin width is ", bin_width,
                " s, expected a finite value > 0");
    }

    double edge(std::size_t k) const { return t_start + static_cast<double>(k) * bin_width; }
    double t_stop() const { return edge(n_bins); }
    TimeRange range() const { return {t_start, t_stop()}; }

    /// The bin a time belongs to (negative or >= n_bins when outside the grid).
    std::int64_t bin_of(double t) const {
        return static_cast<std::int64_t>(
            std::floor((t - t_start + bin_edge_tolerance) / bin_width));
    }

    /// Bin start times (the time base of binned data).
    std::vector<double> starts() const {
        std::vector<double> s(n_bins);
        for (std::size_t k = 0; k < n_bins; ++k)
            s[k] = edge(k);
        return s;
    }
    std::vector<double> centers() const {
        std::vector<double> c(n_bins);
        for (std::size_t k = 0; k < n_bins; ++k)
            c[k] = edge(k) + 0.5 * bin_width;
        return c;
    }
};

namespace detail {

/// Output tiles of about this many bytes stay in a core's L2 cache.
inline constexpr std::size_t bin_tile_bytes = 256 * 1024;

/// The first spike of `t` whose bin is >= `bin` (the rule is monotone in t, so a binary search
/// with the rule itself finds it exactly).
inline std::size_t first_spike_in_or_after(std::span<const double> t, const BinGrid& grid,
                                           std::int64_t bin) {
    const auto it =
        std::partition_point(t.begin(), t.end(), [&](double s) { return grid.bin_of(s) < bin; });
    return static_cast<std::size_t>(it - t.begin());
}

inline void check_selection(std::span<const std::size_t> units, std::size_t n_units,
                            std::string_view where) {
    for (std::size_t i = 0; i < units.size(); ++i)
        if (units[i] >= n_units)
            fail(where, "selected unit ", units[i], " (entry ", i, ") out of range for ", n_units,
                 " units");
}

}  // namespace detail

/// Counts of the selected units' spikes on `grid` into `out` (n_bins × units.size()), reusing
/// out's storage when it already has that shape (repeated binning allocates nothing).
inline void bin_spikes_into(Tensor<std::int32_t, 2>& out, SpikeTrains trains, const BinGrid& grid,
                            std::span<const std::size_t> units) {
    constexpr std::string_view where = "bin_spikes";
    grid.validate(where);
    detail::check_selection(units, trains.size(), where);
    const std::size_t n_units = units.size();
    const std::size_t n_bins = grid.n_bins;
    if (out.shape(0) != n_bins || out.shape(1) != n_units)
        out = Tensor<std::int32_t, 2>::from_shape({n_bins, n_units});
    if (n_units == 0 || n_bins == 0) return;

    const std::size_t row_bytes = n_units * sizeof(std::int32_t);
    const std::size_t tile_rows =
        std::clamp<std::size_t>(detail::bin_tile_bytes / row_bytes, 1, n_bins);
    const std::size_t n_tiles = (n_bins + tile_rows - 1) / tile_rows;
    const auto n_groups =
        static_cast<std::int64_t>(std::min<std::size_t>(n_tiles, std::max(1, thread_count())));
    std::int32_t* const counts = out.data();  // (n_bins, n_units)
    const double* const times = trains.times.data();

    parallel_for(0, n_groups, [&](std::int64_t g) {
        const std::size_t tile_begin =
            n_tiles * static_cast<std::size_t>(g) / static_cast<std::size_t>(n_groups);
        const std::size_t tile_end =
            n_tiles * static_cast<std::size_t>(g + 1) / static_cast<std::size_t>(n_groups);
        const std::size_t row_begin = tile_begin * tile_rows;
        // Per unit: where its next spike is, and where its spikes end (absolute offsets).
        std::vector<std::uint64_t> cursor(n_units), stop(n_units);  // (n_units,)
        for (std::size_t j = 0; j < n_units; ++j) {
            const std::uint64_t first = trains.begin_of(units[j]);
            const std::span<const double> t = trains.unit(units[j]);
            cursor[j] = first + detail::first_spike_in_or_after(
                                    t, grid, static_cast<std::int64_t>(row_begin));
            stop[j] = trains.ends[units[j]];
        }
        for (std::size_t tile = tile_begin; tile < tile_end; ++tile) {
            const std::size_t k0 = tile * tile_rows;
            const std::size_t k1 = std::min(n_bins, k0 + tile_rows);
            const auto bin_end = static_cast<std::int64_t>(k1);
            std::int32_t* const rows = counts + k0 * n_units;  // (k1 - k0, n_units)
            std::memset(rows, 0, (k1 - k0) * row_bytes);
            for (std::size_t j = 0; j < n_units; ++j) {
                std::uint64_t s = cursor[j];
                const std::uint64_t s_end = stop[j];
                for (; s < s_end; ++s) {
                    const std::int64_t b = grid.bin_of(times[s]);
                    if (b >= bin_end) break;
                    rows[(static_cast<std::size_t>(b) - k0) * n_units + j] += 1;
                }
                cursor[j] = s;
            }
        }
    });
}

/// (n_bins × units.size()) counts of the selected units, in the order given.
inline Tensor<std::int32_t, 2> bin_spikes(SpikeTrains trains, const BinGrid& grid,
                                          std::span<const std::size_t> units) {
    Tensor<std::int32_t, 2> out;
    bin_spikes_into(out, trains, grid, units);
    return out;
}

/// All units of the table, in file order.
inline std::vector<std::size_t> all_units(std::size_t n) {
    std::vector<std::size_t> u(n);
    for (std::size_t i = 0; i < n; ++i)
        u[i] = i;
    return u;
}

inline Tensor<std::int32_t, 2> bin_spikes(const UnitTable& table, const BinGrid& grid,
                                          std::span<const std::size_t> units) {
    return bin_spikes(table.trains(), grid, units);
}
inline Tensor<std::int32_t, 2> bin_spikes(const UnitTable& table, const BinGrid& grid) {
    const std::vector<std::size_t> every = all_units(table.size());
    return bin_spikes(table.trains(), grid, every);
}

/// Counts of one spike train on `grid` (a column of bin_spikes, as a vector).
inline std::vector<std::int32_t> bin_train(std::span<const double> t, const BinGrid& grid) {
    grid.validate("bin_train");
    std::vector<std::int32_t> counts(grid.n_bins, 0);
    for (std::size_t s = detail::first_spike_in_or_after(t, grid, 0); s < t.size(); ++s) {
        const std::int64_t b = grid.bin_of(t[s]);
        if (b >= static_cast<std::int64_t>(grid.n_bins)) break;
        ++counts[static_cast<std::size_t>(b)];
    }
    return counts;
}

}  // namespace jepasnn::data
