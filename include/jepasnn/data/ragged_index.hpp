// NWB's ragged layout (VectorIndex): row i owns values [ends[i-1], ends[i]). The index must be
// non-negative, monotone and end at the number of values, whatever integer width the file used;
// these checks name the offending row (or unit, with its id).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"

namespace jepasnn::data::detail {

/// "unit 17 (id 950003)" when ids are known, "row 17" otherwise.
inline std::string row_label(std::size_t row, std::span<const std::int64_t> ids,
                             std::string_view noun = "unit") {
    if (ids.empty() || row >= ids.size()) return "row " + std::to_string(row);
    return std::string(noun) + " " + std::to_string(row) + " (id " + std::to_string(ids[row]) + ")";
}

/// Widens an index read as signed integers, rejecting negative entries.
inline std::vector<std::uint64_t> non_negative_index(std::span<const std::int64_t> raw,
                                                     std::span<const std::int64_t> ids,
                                                     std::string_view where) {
    std::vector<std::uint64_t> ends(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] < 0)
            fail(where, row_label(i, ids), ": index entry is ", raw[i],
                 ", expected a non-negative end offset");
        ends[i] = static_cast<std::uint64_t>(raw[i]);
    }
    return ends;
}

/// Monotone, within the data, and ending exactly at n_values.
inline void validate_index(std::span<const std::uint64_t> ends, std::uint64_t n_values,
                           std::span<const std::int64_t> ids, std::string_view where) {
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < ends.size(); ++i) {
        if (ends[i] < previous)
            fail(where, row_label(i, ids), ": index is not monotone (end offset ", ends[i],
                 " after ", previous, ")");
        if (ends[i] > n_values)
            fail(where, row_label(i, ids), ": index entry ", ends[i], " runs past the data's ",
                 n_values, " values");
        previous = ends[i];
    }
    if (previous != n_values)
        fail(where, "index ends at ", previous, ", expected ", n_values,
             " (the length of the data)");
}

}  // namespace jepasnn::data::detail
