// Binning straight from the file for sessions larger than memory: spike_times is read in bounded
// 1-D hyperslab chunks (only the ranges of the selected units), validated as it streams (finite,
// sorted within each unit, across chunk boundaries too) and scattered into the counts. Memory is
// the output plus one chunk buffer; the counts equal bin_spikes() on the loaded table exactly, in
// the same count types and with the same error for a count the type cannot hold.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "binning.hpp"
#include "nwb_reader.hpp"
#include "ragged_index.hpp"

namespace jepasnn::data {

struct StreamingOptions {
    /// Spike times read per hyperslab (8 bytes each): the bound on the input buffer.
    std::size_t chunk_spikes = std::size_t{1} << 22;
    /// Counts a streamed store write (bin_file_to_store) holds: one group of columns of about
    /// this many bytes.
    std::size_t group_bytes = std::size_t{256} << 20;
};

namespace detail {
/// What to read for a selection of units: each file unit's output columns (a unit may be
/// selected more than once), the selected units in file order, and the contiguous runs of
/// spike offsets that cover them (adjacent units merge into one run).
struct StreamPlan {
    struct Run {
        std::uint64_t first, last;
    };
    std::vector<std::vector<std::size_t>> columns_of;
    std::vector<std::size_t> wanted;
    std::vector<Run> runs;
    std::uint64_t selected_spikes = 0;

    StreamPlan(const UnitIndex& index, std::span<const std::size_t> units)
        : columns_of(index.size()) {
        for (std::size_t j = 0; j < units.size(); ++j)
            columns_of[units[j]].push_back(j);
        for (std::size_t u = 0; u < index.size(); ++u)
            if (!columns_of[u].empty()) wanted.push_back(u);
        for (std::size_t u : wanted) {
            const std::uint64_t first = index.begin_of(u), last = index.ends[u];
            selected_spikes += last - first;
            if (first == last) continue;
            if (!runs.empty() && runs.back().last == first)
                runs.back().last = last;
            else
                runs.push_back({first, last});
        }
    }
};

/// Validates and counts chunks of spike times in offset order: each chunk is split into the
/// selected units' segments, which are checked (finite, sorted, also across chunks) and
/// scattered into the counts independently (in parallel for a large chunk). A count C cannot
/// hold stays at C's largest value and is remembered (the first by bin, then column).
template <CountType C>
class ChunkBinner {
  public:
    ChunkBinner(const UnitIndex& index, const StreamPlan& plan, const BinGrid& grid, C* counts,
                std::size_t n_out, std::string where)
        : index_(index),
          plan_(plan),
          grid_(grid),
          counts_(counts),
          n_out_(n_out),
          where_(std::move(where)),
          last_time_(index.size(), -std::numeric_limits<double>::infinity()) {}

    /// The spike times `t` of offsets [first, first + t.size()), chunks in increasing order.
    void add(std::span<const double> t, std::uint64_t first) {
        find_segments(first, first + t.size());
        bad_.assign(segments_.size(), ok);
        segment_overflow_.assign(segments_.size(), std::nullopt);
        parallel_for_if_large(
            static_cast<std::int64_t>(t.size()), 0, static_cast<std::int64_t>(segments_.size()),
            [&](std::int64_t i) { count_segment(static_cast<std::size_t>(i), t, first); });
        for (std::size_t i = 0; i < segments_.size(); ++i)
            if (bad_[i] != ok)
                report_bad_spike(segments_[i], bad_[i], t[segments_[i].first - first + bad_[i]]);
        for (const auto& o : segment_overflow_)
            if (o && (!overflow_ || *o < *overflow_)) overflow_ = o;
    }

    /// The first count C could not hold, if any.
    const std::optional<CountOverflow>& overflow() const { return overflow_; }

  private:
    struct Segment {
        std::size_t unit;
        std::uint64_t first, last;  // absolute spike offsets [first, last)
    };
    static constexpr std::size_t ok = std::numeric_limits<std::size_t>::max();

    /// The selected units overlapping [first, last).
    void find_segments(std::uint64_t first, std::uint64_t last) {
        segments_.clear();
        const std::vector<std::size_t>& wanted = plan_.wanted;
        while (next_unit_ < wanted.size() && index_.ends[wanted[next_unit_]] <= first)
            ++next_unit_;
        for (std::size_t i = next_unit_; i < wanted.size(); ++i) {
            const std::size_t u = wanted[i];
            if (index_.begin_of(u) >= last) break;
            const std::uint64_t a = std::max(index_.begin_of(u), first);
            const std::uint64_t b = std::min(index_.ends[u], last);
            if (a < b) segments_.push_back({u, a, b});
        }
    }

    void count_segment(std::size_t i, std::span<const double> chunk, std::uint64_t chunk_first) {
        const Segment& seg = segments_[i];
        const double* t = chunk.data() + (seg.first - chunk_first);
        const std::size_t n = seg.last - seg.first;
        double previous = last_time_[seg.unit];
        for (std::size_t k = 0; k < n; ++k) {
            if (!std::isfinite(t[k]) || t[k] < previous) {
                bad_[i] = k;
                return;
            }
            previous = t[k];
        }
        last_time_[seg.unit] = previous;
        const auto n_bins = static_cast<std::int64_t>(grid_.n_bins);
        for (std::size_t k = 0; k < n; ++k) {
            const std::int64_t b = grid_.bin_of(t[k]);
            if (b < 0) continue;
            if (b >= n_bins) break;
            for (std::size_t col : plan_.columns_of[seg.unit]) {
                C& count = counts_[static_cast<std::size_t>(b) * n_out_ + col];
                if (count < std::numeric_limits<C>::max()) {
                    ++count;
                } else {
                    const CountOverflow o{static_cast<std::size_t>(b), col};
                    if (!segment_overflow_[i] || o < *segment_overflow_[i])
                        segment_overflow_[i] = o;
                }
            }
        }
    }

    /// The same messages as the in-memory validation (units.hpp).
    [[noreturn]] void report_bad_spike(const Segment& seg, std::size_t k, double value) const {
        const std::uint64_t spike = seg.first + k - index_.begin_of(seg.unit);
        const std::string label = row_label(seg.unit, index_.ids);
        if (!std::isfinite(value))
            fail(where_, label, ": spike ", spike, " is ", value, ", expected finite spike times");
        fail(where_, label, ": spike times are not sorted (spike ", spike, " at ", value,
             " s is earlier than the spike before it)");
    }

    const UnitIndex& index_;
    const StreamPlan& plan_;
    const BinGrid& grid_;
    C* counts_;  // (n_bins, n_out)
    std::size_t n_out_;
    std::string where_;
    std::vector<double> last_time_;  // per file unit: the last valid spike time seen
    std::size_t next_unit_ = 0;      // into plan_.wanted: the first unit not all done
    std::vector<Segment> segments_;
    std::vector<std::size_t> bad_;  // per segment: offset of the first invalid spike, or ok
    std::vector<std::optional<CountOverflow>> segment_overflow_;  // per segment of this chunk
    std::optional<CountOverflow> overflow_;                       // the first of every chunk
};
}  // namespace detail

namespace detail {
/// The selected units' counts into out[0, grid.n_bins · units.size()) (row-major, zeroed here),
/// read chunk by chunk from `dataset` (the file's open /units/spike_times) with the file's unit
/// index; returns the first count C cannot hold. Checked by the callers: the grid, the options
/// and the selection.
template <CountType C>
std::optional<CountOverflow> bin_file_columns(std::span<C> out, const NwbFile& file,
                                              const UnitIndex& index, hid_t dataset,
                                              const BinGrid& grid,
                                              std::span<const std::size_t> units,
                                              const StreamingOptions& options) {
    std::fill(out.begin(), out.end(), C{0});
    if (units.empty() || grid.n_bins == 0) return std::nullopt;
    const StreamPlan plan(index, units);
    ChunkBinner<C> binner(index, plan, grid, out.data(), units.size(),
                          file.path() + ": /units/spike_times");
    std::vector<double> buffer(std::min<std::uint64_t>(options.chunk_spikes, plan.selected_spikes));
    for (const auto& run : plan.runs)
        for (std::uint64_t first = run.first; first < run.last; first += options.chunk_spikes) {
            const std::span<double> chunk(
                buffer.data(),
                std::min<std::uint64_t>(run.last, first + options.chunk_spikes) - first);
            file.hdf5().read_from(dataset, "/units/spike_times", chunk, first);
            binner.add(chunk, first);
        }
    return binner.overflow();
}

inline void check_streaming(const BinGrid& grid, const StreamingOptions& options) {
    grid.validate("bin_file");
    require(options.chunk_spikes >= 1, "bin_file", "chunk size must be >= 1 spike");
}
}  // namespace detail

/// (n_bins × units.size()) counts of the selected units into `out`, read from `file` chunk by
/// chunk; returns the first count C cannot hold (and then out's contents are unspecified).
template <CountType C>
std::optional<CountOverflow> try_bin_file_into(Tensor<C, 2>& out, const NwbFile& file,
                                               const BinGrid& grid,
                                               std::span<const std::size_t> units,
                                               const StreamingOptions& options = {}) {
    detail::check_streaming(grid, options);
    const UnitIndex index = file.read_unit_index();
    detail::check_selection(units, index.size(), "bin_file");
    out = Tensor<C, 2>::from_shape({grid.n_bins, units.size()});
    // One open dataset for every chunk: a hyperslab read is then one H5Dread.
    const hdf5::Handle dataset = file.hdf5().open_dataset("/units/spike_times");
    return detail::bin_file_columns(std::span<C>(out.data(), out.size()), file, index,
                                    dataset.get(), grid, units, options);
}

namespace detail {
template <CountType C>
[[noreturn]] void report_file_overflow(const CountOverflow& o, const NwbFile& file,
                                       const BinGrid& grid, std::span<const std::size_t> units) {
    report_overflow<C>(o, units, grid, file.read_unit_index().ids, file.path());
}
}  // namespace detail

/// (n_bins × units.size()) counts of the selected units, read from `file` chunk by chunk.
template <CountType C = std::int32_t>
Tensor<C, 2> bin_file(const NwbFile& file, const BinGrid& grid, std::span<const std::size_t> units,
                      const StreamingOptions& options = {}) {
    Tensor<C, 2> out;
    if (const auto overflow = try_bin_file_into(out, file, grid, units, options))
        detail::report_file_overflow<C>(*overflow, file, grid, units);
    return out;
}

/// All units of the file, in file order.
template <CountType C = std::int32_t>
Tensor<C, 2> bin_file(const NwbFile& file, const BinGrid& grid,
                      const StreamingOptions& options = {}) {
    const std::vector<std::size_t> every = all_units(file.read_unit_index().size());
    return bin_file<C>(file, grid, every, options);
}

/// The selected units' counts from the file in the type asked for (narrowest: the narrowest exact
/// one; a session that needs a wider type is read again).
inline Counts bin_file_as(CountDType dtype, const NwbFile& file, const BinGrid& grid,
                          std::span<const std::size_t> units,
                          const StreamingOptions& options = {}) {
    return detail::counts_as(
        dtype, [&](auto& out) { return try_bin_file_into(out, file, grid, units, options); },
        [&]<CountType C>(const CountOverflow& o) {
            detail::report_file_overflow<C>(o, file, grid, units);
        });
}

}  // namespace jepasnn::data
