// A sampled signal with its own timestamps (NWB TimeSeries), such as running speed at ~60 Hz,
// and its resampling onto the time points of a bin grid or event windows.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "time_range.hpp"

namespace jepasnn::data {

struct TimeSeries {
    std::string path;  // where it came from, e.g. "/processing/running/speed"
    std::string unit;  // e.g. "cm/s"
    std::vector<double> timestamps;
    std::vector<double> values;
    /// Set when sampled regularly: timestamps[i] = timestamps[0] + i / rate exactly (NWB's
    /// starting_time + rate, which a writer then stores instead of the timestamps).
    std::optional<double> rate;

    std::size_t size() const { return timestamps.size(); }

    /// One value per timestamp, all finite, timestamps non-decreasing (and given by the rate,
    /// when there is one).
    void validate(std::string_view where) const {
        require_size(where, "data", values.size(), timestamps.size(), "values (one per timestamp)");
        if (rate) {
            require(std::isfinite(*rate) && *rate > 0.0, where, "sampling rate is ", *rate,
                    " Hz, expected a finite value > 0");
            for (std::size_t i = 0; i < timestamps.size(); ++i)
                if (timestamps[i] != timestamps[0] + static_cast<double>(i) / *rate)
                    fail(where, "timestamp ", i, " is ", timestamps[i], " s, not the ",
                         timestamps[0] + static_cast<double>(i) / *rate, " s that ", *rate,
                         " Hz from ", timestamps[0], " s gives");
        }
        require_finite(where, "timestamps", timestamps.data(), timestamps.size());
        require_finite(where, "data", values.data(), values.size());
        for (std::size_t i = 1; i < timestamps.size(); ++i)
            if (timestamps[i] < timestamps[i - 1])
                fail(where, "timestamps are not sorted (", timestamps[i], " s at ", i, " after ",
                     timestamps[i - 1], " s)");
    }

    /// Linear interpolation at each time in `at` (non-decreasing); times outside the sampled span
    /// take the nearest end value. An empty series gives NaN.
    std::vector<double> interpolate(std::span<const double> at) const {
        std::vector<double> out(at.size(), std::nan(""));
        if (timestamps.empty()) return out;
        std::size_t j = 0;
        for (std::size_t i = 0; i < at.size(); ++i) {
            const double t = at[i];
            if (t <= timestamps.front()) {
                out[i] = values.front();
                continue;
            }
            if (t >= timestamps.back()) {
                out[i] = values.back();
                continue;
            }
            if (i > 0 && t < at[i - 1]) j = 0;  // unsorted query: restart the search
            while (timestamps[j + 1] <= t)
                ++j;
            const double t0 = timestamps[j], t1 = timestamps[j + 1];
            const double w = t1 > t0 ? (t - t0) / (t1 - t0) : 0.0;
            out[i] = values[j] + w * (values[j + 1] - values[j]);
        }
        return out;
    }

    /// Mean of the samples in [range.start, range.stop); the interpolated value at the range's
    /// midpoint when no sample falls inside.
    double mean_over(TimeRange range) const {
        const auto first = std::lower_bound(timestamps.begin(), timestamps.end(), range.start);
        const auto last = std::lower_bound(first, timestamps.end(), range.stop);
        if (first == last) {
            const double mid = 0.5 * (range.start + range.stop);
            return interpolate(std::span<const double>(&mid, 1)).front();
        }
        double sum = 0.0;
        for (auto it = first; it != last; ++it)
            sum += values[static_cast<std::size_t>(it - timestamps.begin())];
        return sum / static_cast<double>(last - first);
    }
};

}  // namespace jepasnn::data
