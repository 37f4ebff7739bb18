// Binning straight from the file for sessions larger than memory: spike_times is read in bounded
// 1-D hyperslab chunks (only the ranges of the selected units), validated as it streams (finite,
// sorted within each unit, across chunk boundaries too) and scattered into the counts. Memory is
// the output plus one chunk buffer; the counts equal bin_spikes() on the loaded table exactly.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "binning.hpp"
#include "nwb_reader.hpp"
#include "ragged_index.hpp"

namespace jepasnn::data {

namespace detail {
/// Chunks smaller than this are binned on the calling thread.
inline constexpr std::uint64_t parallel_chunk_spikes = 1 << 16;
}  // namespace detail

struct StreamingOptions {
    /// Spike times read per hyperslab (8 bytes each): the bound on the input buffer.
    std::size_t chunk_spikes = std::size_t{1} << 22;
};

/// (n_bins × units.size()) counts of the selected units, read from `file` chunk by chunk.
inline Tensor<std::int32_t, 2> bin_file(const NwbFile& file, const BinGrid& grid,
                                        std::span<const std::size_t> units,
                                        const StreamingOptions& options = {}) {
    const std::string where = file.path() + ": /units/spike_times";
    grid.validate("bin_file");
    require(options.chunk_spikes >= 1, "bin_file", "chunk size must be >= 1 spike");
    const UnitIndex index = file.read_unit_index();
    detail::check_selection(units, index.size(), "bin_file");
    const std::size_t n_out = units.size();
    Tensor<std::int32_t, 2> out = Tensor<std::int32_t, 2>::from_shape({grid.n_bins, n_out});
    std::fill(out.begin(), out.end(), 0);
    if (n_out == 0 || grid.n_bins == 0) return out;

    // Output columns of each unit (a unit may be selected more than once), in file order.
    std::vector<std::vector<std::size_t>> columns_of(index.size());
    for (std::size_t j = 0; j < n_out; ++j)
        columns_of[units[j]].push_back(j);
    std::vector<std::size_t> wanted;  // selected units in file order
    for (std::size_t u = 0; u < index.size(); ++u)
        if (!columns_of[u].empty()) wanted.push_back(u);

    std::uint64_t selected_spikes = 0;
    for (std::size_t u : wanted)
        selected_spikes += index.ends[u] - index.begin_of(u);
    std::vector<double> buffer(std::min<std::uint64_t>(options.chunk_spikes, selected_spikes));
    // One open dataset for every chunk: a hyperslab read is then one H5Dread.
    const detail::Handle dataset = file.hdf5().open_dataset("/units/spike_times");
    std::vector<double> last_time(index.size(), -std::numeric_limits<double>::infinity());
    const auto n_bins = static_cast<std::int64_t>(grid.n_bins);
    std::int32_t* const counts = out.data();  // (n_bins, n_out)

    struct Segment {
        std::size_t unit;
        std::uint64_t first, last;  // absolute spike offsets [first, last)
    };
    constexpr std::size_t ok = std::numeric_limits<std::size_t>::max();
    std::vector<Segment> segments;
    std::vector<std::size_t> bad;  // per segment: offset of the first invalid spike, or ok

    // The same messages as the in-memory validation (units.hpp).
    auto report_bad_spike = [&](std::size_t unit, std::uint64_t segment_first, std::size_t k,
                                double value) {
        const std::uint64_t spike = segment_first + k - index.begin_of(unit);
        const std::string label = detail::row_label(unit, index.ids);
        if (!std::isfinite(value))
            fail(where, label, ": spike ", spike, " is ", value, ", expected finite spike times");
        fail(where, label, ": spike times are not sorted (spike ", spike, " at ", value,
             " s is earlier than the spike before it)");
    };

    // Contiguous runs of offsets covering the selected units (adjacent units merge into one run).
    struct Run {
        std::uint64_t first, last;
    };
    std::vector<Run> runs;
    for (std::size_t u : wanted) {
        const std::uint64_t first = index.begin_of(u), last = index.ends[u];
        if (first == last) continue;
        if (!runs.empty() && runs.back().last == first)
            runs.back().last = last;
        else
            runs.push_back({first, last});
    }

    std::size_t next_unit = 0;  // into `wanted`: the first unit whose spikes are not all done
    for (const Run& run : runs) {
        for (std::uint64_t read_first = run.first; read_first < run.last;
             read_first += options.chunk_spikes) {
            const std::uint64_t read_last =
                std::min<std::uint64_t>(run.last, read_first + options.chunk_spikes);
            file.hdf5().read_from(dataset.get(), "/units/spike_times",
                                  std::span<double>(buffer.data(), read_last - read_first),
                                  read_first);
            // The selected units overlapping [read_first, read_last).
            segments.clear();
            while (next_unit < wanted.size() && index.ends[wanted[next_unit]] <= read_first)
                ++next_unit;
            for (std::size_t i = next_unit; i < wanted.size(); ++i) {
                const std::size_t u = wanted[i];
                if (index.begin_of(u) >= read_last) break;
                const std::uint64_t first = std::max(index.begin_of(u), read_first);
                const std::uint64_t last = std::min(index.ends[u], read_last);
                if (first < last) segments.push_back({u, first, last});
            }
            bad.assign(segments.size(), ok);
            auto validate_and_count = [&](std::int64_t i) {
                const Segment& seg = segments[static_cast<std::size_t>(i)];
                const double* t = buffer.data() + (seg.first - read_first);
                const std::size_t n = seg.last - seg.first;
                double previous = last_time[seg.unit];
                for (std::size_t k = 0; k < n; ++k) {
                    if (!std::isfinite(t[k]) || t[k] < previous) {
                        bad[static_cast<std::size_t>(i)] = k;
                        return;
                    }
                    previous = t[k];
                }
                last_time[seg.unit] = previous;
                for (std::size_t k = 0; k < n; ++k) {
                    const std::int64_t b = grid.bin_of(t[k]);
                    if (b < 0) continue;
                    if (b >= n_bins) break;
                    for (std::size_t col : columns_of[seg.unit])
                        ++counts[static_cast<std::size_t>(b) * n_out + col];
                }
            };
            // A parallel region costs a barrier: worth it only for a large chunk.
            if (read_last - read_first >= detail::parallel_chunk_spikes)
                parallel_for(0, static_cast<std::int64_t>(segments.size()), validate_and_count);
            else
                for (std::size_t i = 0; i < segments.size(); ++i)
                    validate_and_count(static_cast<std::int64_t>(i));
            for (std::size_t i = 0; i < segments.size(); ++i)
                if (bad[i] != ok)
                    report_bad_spike(segments[i].unit, segments[i].first, bad[i],
                                     buffer[segments[i].first - read_first + bad[i]]);
        }
    }
    return out;
}

/// All units of the file, in file order.
inline Tensor<std::int32_t, 2> bin_file(const NwbFile& file, const BinGrid& grid,
                                        const StreamingOptions& options = {}) {
    const std::vector<std::size_t> every = all_units(file.read_unit_index().size());
    return bin_file(file, grid, every, options);
}

}  // namespace jepasnn::data
