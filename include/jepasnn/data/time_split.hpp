// The train/validation split of a recording by contiguous time blocks (never by random bins:
// neighbouring bins are strongly correlated, so a random-bin split leaks), shared by the teacher
// and the student.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/settings.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::data {

/// Half-open range of rows (time bins) [begin, end).
struct RowRange {
    Index begin = 0;
    Index end = 0;
    Index size() const { return end - begin; }
    friend bool operator==(const RowRange&, const RowRange&) = default;
};

struct TimeSplitConfig {
    Index block_bins = 1000;           // contiguous block length (10 s at 10 ms bins)
    double validation_fraction = 0.2;  // of the blocks, spread evenly over the recording

    static void fields(auto& s, auto&& field) {
        field("block_bins", s.block_bins);
        field("validation_fraction", s.validation_fraction);
    }
    void validate(std::string_view where) const {
        require(block_bins >= 1, where, "split.block_bins is ", block_bins, ", expected >= 1");
        require(validation_fraction >= 0.0 && validation_fraction < 1.0, where,
                "split.validation_fraction is ", validation_fraction, ", expected [0, 1)");
    }
};

/// The number of rows in `runs`.
inline Index rows_in(std::span<const RowRange> runs) {
    Index n = 0;
    for (const RowRange& r : runs)
        n += r.size();
    return n;
}

/// Calls f(begin, end, at) for each part [begin, end) of `runs` that lies in [first, last), in
/// order; `at` is where row `begin` falls when the runs' rows are packed one after another (as in
/// a matrix of only the runs' rows).
template <class F>
void for_overlaps(std::span<const RowRange> runs, Index first, Index last, F&& f) {
    Index packed = 0;
    for (const RowRange& r : runs) {
        const Index b = std::max(first, r.begin), e = std::min(last, r.end);
        if (b < e) f(b, e, packed + b - r.begin);
        packed += r.size();
    }
}

/// Maximal runs of contiguous training blocks and of validation blocks.
struct TimeSplit {
    Index bins = 0;
    std::vector<RowRange> train;
    std::vector<RowRange> validation;
};

/// Cuts [0, bins) into blocks of block_bins (the last may be shorter) and marks block b for
/// validation when ⌊(b + 1)·f⌋ > ⌊b·f⌋: round(n·f) blocks, evenly spread (every fifth block for
/// f = 0.2), so both splits see the whole recording's slow drifts.
inline TimeSplit split_time_blocks(Index bins, const TimeSplitConfig& config) {
    config.validate("data::split_time_blocks");
    require(bins >= 1, "data::split_time_blocks", "recording has ", bins, " bins, expected >= 1");
    TimeSplit s;
    s.bins = bins;
    const Index blocks = (bins + config.block_bins - 1) / config.block_bins;
    for (Index b = 0; b < blocks; ++b) {
        const bool val = std::floor(static_cast<double>(b + 1) * config.validation_fraction) >
                         std::floor(static_cast<double>(b) * config.validation_fraction);
        const RowRange r{b * config.block_bins, std::min(bins, (b + 1) * config.block_bins)};
        auto& runs = val ? s.validation : s.train;
        if (!runs.empty() && runs.back().end == r.begin)
            runs.back().end = r.end;
        else
            runs.push_back(r);
    }
    return s;
}

}  // namespace jepasnn::data
