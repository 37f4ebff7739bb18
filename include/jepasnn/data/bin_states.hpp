// Each bin's brain state, from the NWB stimulus blocks only (never image or behaviour labels): the
// active task block, its passive replay, or other (every other block and the gaps between them).
// A bin belongs to the block its centre lies in.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "binning.hpp"
#include "session.hpp"

namespace jepasnn::data {

/// Brain-state label of a bin.
enum class BinState : std::int8_t { other = -1, passive = 0, active = 1 };

/// Labels each bin by the active block and its passive replay (other where neither, or where the
/// file has no such blocks).
inline std::vector<std::int8_t> bin_states(const Session& s, const BinGrid& grid) {
    std::vector<std::int8_t> state(grid.n_bins, static_cast<std::int8_t>(BinState::other));
    for (const auto& [which, label] : {std::pair{BrainState::active, BinState::active},
                                       std::pair{BrainState::passive, BinState::passive}}) {
        const SessionBlock* block = nullptr;
        try {
            block = &s.state(which);
        } catch (const Error&) {
            continue;  // a file without this state: its bins stay "other"
        }
        for (std::size_t k = 0; k < grid.n_bins; ++k) {
            const double centre = grid.edge(k) + 0.5 * grid.bin_width;
            if (centre >= block->start && centre < block->stop)
                state[k] = static_cast<std::int8_t>(label);
        }
    }
    return state;
}

}  // namespace jepasnn::data
