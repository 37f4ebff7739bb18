// A whole session in memory: identity, validated units table, every interval table, running
// speed and the stimulus blocks derived from the presentation tables. load_session() is the one
// call most users need; the pieces are also readable one by one through NwbFile.
#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "blocks.hpp"
#include "nwb_reader.hpp"
#include "table.hpp"
#include "time_range.hpp"
#include "time_series.hpp"
#include "units.hpp"

namespace jepasnn::data {

struct Session {
    std::string path;
    SessionInfo info;
    UnitTable units;
    std::vector<Table> intervals;
    std::optional<TimeSeries> running_speed;
    std::vector<SessionBlock> blocks;

    const Table* find_interval(std::string_view name) const {
        for (const Table& t : intervals)
            if (t.name() == name) return &t;
        return nullptr;
    }
    const Table& interval(std::string_view name) const {
        if (const Table* t = find_interval(name)) return *t;
        std::string present;
        for (const Table& t : intervals)
            present += (present.empty() ? "" : ", ") + t.name();
        fail(path, "no interval table '", name, "' (tables: ", present.empty() ? "none" : present,
             ")");
    }

    /// The image presentation table (a presentation table with an image_name column); with
    /// several, the one with most rows.
    const Table* image_presentations() const {
        const Table* best = nullptr;
        for (const Table& t : intervals)
            if (is_presentation_table(t) && t.has("image_name") &&
                (best == nullptr || t.rows() > best->rows()))
                best = &t;
        return best;
    }

    const SessionBlock& block(std::int64_t number) const {
        return find_block(blocks, number, path);
    }
    const SessionBlock& state(BrainState s) const { return state_block(blocks, s, path); }

    /// [min(0, earliest time), latest time) over spikes, interval rows and running samples: the
    /// default range for binning a whole session. A spike exactly at the end falls outside (bins
    /// are half-open); pass an explicit range to include it.
    TimeRange extent() const {
        double first = 0.0, last = 0.0;
        if (const auto s = units.spike_extent()) {
            first = std::min(first, s->start);
            last = std::max(last, s->stop);
        }
        for (const Table& t : intervals) {
            for (const char* col : {"start_time", "stop_time"}) {
                const Column* c = t.find(col);
                if (c == nullptr || !c->is_scalar() || !c->is_numeric()) continue;
                for (std::size_t r = 0; r < c->rows(); ++r) {
                    const double v = c->real(r);
                    if (!std::isfinite(v)) continue;
                    first = std::min(first, v);
                    last = std::max(last, v);
                }
            }
        }
        if (running_speed && running_speed->size() > 0) {
            first = std::min(first, running_speed->timestamps.front());
            last = std::max(last, running_speed->timestamps.back());
        }
        return {first, last};
    }
};

/// A time range named one way or another: explicitly, by stimulus block, by brain state, or
/// (none given) the whole session. At most one may be set.
struct RangeRequest {
    std::optional<TimeRange> range;
    std::optional<std::int64_t> block;
    std::optional<BrainState> state;
};

inline TimeRange resolve_range(const Session& s, const RangeRequest& r) {
    const int given = r.range.has_value() + r.block.has_value() + r.state.has_value();
    require(given <= 1, s.path, "give a time range, a block or a state, not ", given, " of them");
    if (r.range) {
        r.range->validate(s.path);
        return *r.range;
    }
    if (r.block) return s.block(*r.block).range();
    if (r.state) return s.state(*r.state).range();
    return s.extent();
}

namespace detail {
inline Session read_session(const NwbFile& file, const ReadOptions& options, bool spikes) {
    Session s;
    s.path = file.path();
    s.info = file.info();
    s.units = spikes ? file.read_units(options) : file.read_unit_metadata(options);
    s.intervals = file.read_intervals(options);
    s.running_speed = file.read_running_speed();
    s.blocks = derive_blocks(s.intervals);
    return s;
}
}  // namespace detail

/// Reads and validates everything a session file holds (DESIGN.md "Data").
inline Session load_session(const std::filesystem::path& path, const ReadOptions& options = {}) {
    return detail::read_session(NwbFile(path), options, true);
}

/// Everything but the spike times (a metadata-only units table that knows the spikes' extent
/// from each unit's first and last spike): for QC, grids, states and streamed binning
/// (bin_file, bin_file_to_store), which read and validate the spike times themselves.
inline Session load_session_metadata(const NwbFile& file, const ReadOptions& options = {}) {
    return detail::read_session(file, options, false);
}

}  // namespace jepasnn::data
