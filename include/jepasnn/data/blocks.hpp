// Session blocks and brain states. A VBN session runs stimulus blocks in order (0 active image
// task, 1 spontaneous, 2 gabors, 3 spontaneous, 4 full-field flashes, 5 passive replay of block
// 0's images); each presentation table row carries its block in `stimulus_block`. A block is
// summarised as (block, active, start = first start_time, stop = last stop_time, tables).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "table.hpp"
#include "time_range.hpp"

namespace jepasnn::data {

struct SessionBlock {
    std::int64_t block = 0;
    bool active = false;              // any presentation of the block has active == true
    double start = 0.0;               // earliest start_time of the block's presentations
    double stop = 0.0;                // latest stop_time
    std::vector<std::string> tables;  // presentation tables with rows in this block

    TimeRange range() const { return {start, stop}; }
};

/// The brain states compared across the session: the active task and its passive replay.
enum class BrainState { active, passive };

inline std::string_view state_name(BrainState s) {
    return s == BrainState::active ? "active" : "passive";
}

/// "active" / "passive" → BrainState, or an Error naming `where`.
inline BrainState parse_state(std::string_view text, std::string_view where) {
    if (text == "active") return BrainState::active;
    if (text == "passive") return BrainState::passive;
    fail(where, "brain state is '", text, "', expected 'active' or 'passive'");
}

/// A presentation table: one with start_time, stop_time and stimulus_block columns.
inline bool is_presentation_table(const Table& t) {
    return t.has("start_time") && t.has("stop_time") && t.has("stimulus_block");
}

/// Blocks from every presentation table, in block order. Rows whose `active` is missing (NaN) or
/// absent count as not active. Start/stop times must be finite.
inline std::vector<SessionBlock> derive_blocks(std::span<const Table> intervals) {
    std::map<std::int64_t, SessionBlock> by_block;
    for (const Table& t : intervals) {
        if (!is_presentation_table(t)) continue;
        const Column& start = t.column("start_time");
        const Column& stop = t.column("stop_time");
        const Column& block = t.column("stimulus_block");
        const Column* active = t.find("active");
        for (std::size_t r = 0; r < t.rows(); ++r) {
            const double t0 = start.real(r), t1 = stop.real(r);
            if (!std::isfinite(t0) || !std::isfinite(t1))
                fail(t.where(), "row ", r, " has a non-finite start_time or stop_time");
            const std::int64_t b = block.integer(r);
            auto [it, fresh] = by_block.try_emplace(b);
            SessionBlock& sb = it->second;
            if (fresh) {
                sb.block = b;
                sb.start = t0;
                sb.stop = t1;
            }
            sb.start = std::min(sb.start, t0);
            sb.stop = std::max(sb.stop, t1);
            if (active != nullptr && active->boolean(r).value_or(false)) sb.active = true;
            if (std::find(sb.tables.begin(), sb.tables.end(), t.name()) == sb.tables.end())
                sb.tables.push_back(t.name());
        }
    }
    std::vector<SessionBlock> out;
    for (auto& [b, sb] : by_block)
        out.push_back(std::move(sb));
    return out;
}

/// The block with number `block`, or an Error listing the blocks present.
inline const SessionBlock& find_block(std::span<const SessionBlock> blocks, std::int64_t block,
                                      std::string_view where) {
    for (const SessionBlock& b : blocks)
        if (b.block == block) return b;
    std::string present;
    for (const SessionBlock& b : blocks)
        present += (present.empty() ? "" : ", ") + std::to_string(b.block);
    fail(where, "no stimulus block ", block, " (blocks: ", present.empty() ? "none" : present, ")");
}

/// The block of a brain state: the active block, or the passive replay (an inactive block that
/// shows a presentation table also shown in an active block). Exactly one must exist.
inline const SessionBlock& state_block(std::span<const SessionBlock> blocks, BrainState state,
                                       std::string_view where) {
    auto shares_table_with_active = [&](const SessionBlock& b) {
        for (const SessionBlock& other : blocks) {
            if (!other.active) continue;
            for (const std::string& t : b.tables)
                if (std::find(other.tables.begin(), other.tables.end(), t) != other.tables.end())
                    return true;
        }
        return false;
    };
    std::vector<const SessionBlock*> matches;
    for (const SessionBlock& b : blocks) {
        const bool match =
            state == BrainState::active ? b.active : (!b.active && shares_table_with_active(b));
        if (match) matches.push_back(&b);
    }
    if (matches.size() == 1) return *matches.front();
    if (matches.empty())
        fail(where, "no ", state_name(state), " block",
             state == BrainState::passive ? " (an inactive block replaying an active block's table)"
                                          : "");
    std::string list;
    for (const SessionBlock* b : matches)
        list += (list.empty() ? "" : ", ") + std::to_string(b->block);
    fail(where, "several ", state_name(state), " blocks (", list, "); choose one by block number");
}

}  // namespace jepasnn::data
