// A half-open time interval [start, stop) in seconds, the unit of every range the data module
// takes: an explicit range, a stimulus block, a brain state, a whole session.
#pragma once

#include <cmath>
#include <string_view>

#include "../core/error.hpp"

namespace jepasnn::data {

struct TimeRange {
    double start = 0.0;
    double stop = 0.0;

    double duration() const { return stop - start; }
    bool contains(double t) const { return t >= start && t < stop; }

    /// Finite and stop > start, or an Error naming `where`.
    void validate(std::string_view where) const {
        require(std::isfinite(start) && std::isfinite(stop), where, "time range [", start, ", ",
                stop, ") is not finite");
        require(stop > start, where, "time range [", start, ", ", stop,
                ") is empty, expected stop > start");
    }
};

}  // namespace jepasnn::data
