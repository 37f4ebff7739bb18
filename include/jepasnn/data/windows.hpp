// Event-aligned windows: spike counts around stimulus events (image flashes, image changes,
// omissions, full-field flashes) as (events × time × units), with the labels decoders and the
// cross-state experiment need (image, change, omitted, block, active, running speed). Also
// per-bin covariates of a continuous bin grid (block, state, image shown, running speed).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "binning.hpp"
#include "blocks.hpp"
#include "session.hpp"

namespace jepasnn::data {

/// Which rows of a presentation table become events.
enum class EventKind {
    all,        // every row
    flashes,    // rows that showed a stimulus (not omitted)
    changes,    // image changes (is_change)
    omissions,  // omitted flashes
};

inline EventKind parse_event_kind(std::string_view text, std::string_view where) {
    if (text == "all") return EventKind::all;
    if (text == "flashes") return EventKind::flashes;
    if (text == "changes") return EventKind::changes;
    if (text == "omissions") return EventKind::omissions;
    fail(where, "event kind is '", text, "', expected all, flashes, changes or omissions");
}

struct EventQuery {
    std::string table;  // empty: the session's image presentation table
    EventKind kind = EventKind::flashes;
    std::optional<std::int64_t> block;  // only this stimulus block
    std::optional<BrainState> state;    // only the block of this state
};

/// A window [onset − pre, onset + post) cut into bins of `bin_width`.
struct WindowSpec {
    double pre = 0.25;
    double post = 0.5;
    double bin_width = 0.01;

    std::size_t n_bins() const {
        return static_cast<std::size_t>(std::floor((pre + post) / bin_width + bin_edge_tolerance));
    }
    void validate(std::string_view where) const {
        require(std::isfinite(pre) && std::isfinite(post) && pre + post > 0.0, where, "window [-",
                pre, ", ", post, ") s is empty");
        require(std::isfinite(bin_width) && bin_width > 0.0, where, "bin width is ", bin_width,
                " s, expected > 0");
        require(n_bins() >= 1, where, "window of ", pre + post, " s is shorter than one ",
                bin_width, " s bin");
    }
    /// The grid of the window around one onset.
    BinGrid grid_at(double onset) const { return {onset - pre, bin_width, n_bins()}; }
};

/// One entry per event. Missing booleans read as false; image is −1 when the row shows no image.
struct EventLabels {
    std::string table;
    std::vector<std::size_t> row;  // row in the presentation table
    std::vector<double> time;      // onset (start_time)
    std::vector<std::string> image_name;
    std::vector<std::int32_t> image;       // index into image_names, −1 for none / omitted
    std::vector<std::string> image_names;  // the table's distinct images, sorted
    std::vector<std::int8_t> is_change, omitted, active;
    std::vector<std::int64_t> block;
    std::vector<double> running_speed;  // mean over the window (NaN without running speed)

    std::size_t size() const { return time.size(); }
};

struct EventWindows {
    Tensor<std::int32_t, 3> counts;  // (events, time bins, units)
    EventLabels labels;
    WindowSpec spec;
    std::vector<double> offsets;  // bin start times relative to onset (time bins,)
};

namespace detail {
inline bool is_omitted_name(const std::string& name) {
    return name == "omitted";
}
inline bool flag(const Column* c, std::size_t row) {
    return c != nullptr && c->boolean(row).value_or(false);
}
}  // namespace detail

/// The labelled events the query selects, in table order.
inline EventLabels select_events(const Session& session, const EventQuery& q) {
    const Table* table =
        q.table.empty() ? session.image_presentations() : &session.interval(q.table);
    if (table == nullptr) fail(session.path, "no image presentation table to take events from");
    if (!is_presentation_table(*table))
        fail(table->where(),
             "not a presentation table (needs start_time, stop_time and "
             "stimulus_block)");
    const Column& start = table->column("start_time");
    const Column& block = table->column("stimulus_block");
    const Column* image = table->find("image_name");
    if (image != nullptr && image->kind() != ColumnKind::text) image = nullptr;
    const Column* change = table->find("is_change");
    const Column* omitted = table->find("omitted");
    const Column* active = table->find("active");
    if (q.kind == EventKind::changes && change == nullptr)
        fail(table->where(), "change events need an is_change column");
    if (q.kind == EventKind::omissions && omitted == nullptr)
        fail(table->where(), "omission events need an omitted column");

    std::optional<std::int64_t> only_block = q.block;
    if (q.state) {
        const std::int64_t b = session.state(*q.state).block;
        if (only_block && *only_block != b)
            fail(session.path, "block ", *only_block, " is not the ", state_name(*q.state),
                 " block (", b, ")");
        only_block = b;
    }

    EventLabels l;
    l.table = table->name();
    if (image != nullptr) {
        for (const std::string& n : image->texts())
            if (!detail::is_omitted_name(n) &&
                std::find(l.image_names.begin(), l.image_names.end(), n) == l.image_names.end())
                l.image_names.push_back(n);
        std::sort(l.image_names.begin(), l.image_names.end());
    }
    for (std::size_t r = 0; r < table->rows(); ++r) {
        const std::int64_t b = block.integer(r);
        if (only_block && b != *only_block) continue;
        const bool is_omitted = detail::flag(omitted, r) ||
                                (image != nullptr && detail::is_omitted_name(image->text(r)));
        const bool is_change = detail::flag(change, r);
        const bool wanted = q.kind == EventKind::all ||
                            (q.kind == EventKind::flashes && !is_omitted) ||
                            (q.kind == EventKind::changes && is_change) ||
                            (q.kind == EventKind::omissions && is_omitted);
        if (!wanted) continue;
        const double t = start.real(r);
        require(std::isfinite(t), table->where(), "row ", r, " has a non-finite start_time");
        l.row.push_back(r);
        l.time.push_back(t);
        const std::string name = image != nullptr ? image->text(r) : std::string();
        const auto it = std::find(l.image_names.begin(), l.image_names.end(), name);
        l.image.push_back(is_omitted || it == l.image_names.end()
                              ? -1
                              : static_cast<std::int32_t>(it - l.image_names.begin()));
        l.image_name.push_back(name);
        l.is_change.push_back(is_change);
        l.omitted.push_back(is_omitted);
        l.active.push_back(detail::flag(active, r));
        l.block.push_back(b);
    }
    return l;
}

/// (onsets × window bins × units) counts; each window follows the binning rule on its own grid.
inline Tensor<std::int32_t, 3> bin_windows(SpikeTrains trains, std::span<const double> onsets,
                                           const WindowSpec& spec,
                                           std::span<const std::size_t> units) {
    spec.validate("bin_windows");
    detail::check_selection(units, trains.size(), "bin_windows");
    require_finite("bin_windows", "onsets", onsets.data(), onsets.size());
    const std::size_t n_events = onsets.size(), n_bins = spec.n_bins(), n_units = units.size();
    Tensor<std::int32_t, 3> out = Tensor<std::int32_t, 3>::from_shape({n_events, n_bins, n_units});
    std::fill(out.begin(), out.end(), 0);
    parallel_for(0, static_cast<std::int64_t>(n_events), [&](std::int64_t e) {
        const BinGrid grid = spec.grid_at(onsets[static_cast<std::size_t>(e)]);
        std::int32_t* window = out.data() + static_cast<std::size_t>(e) * n_bins * n_units;
        for (std::size_t j = 0; j < n_units; ++j) {
            const std::span<const double> t = trains.unit(units[j]);
            for (std::size_t s = detail::first_spike_in_or_after(t, grid, 0); s < t.size(); ++s) {
                const std::int64_t b = grid.bin_of(t[s]);
                if (b >= static_cast<std::int64_t>(n_bins)) break;
                window[static_cast<std::size_t>(b) * n_units + j] += 1;  // (n_bins, n_units)
            }
        }
    });
    return out;
}

/// Windows around the selected events, with their labels.
inline EventWindows event_windows(const Session& session, const EventQuery& query,
                                  const WindowSpec& spec, std::span<const std::size_t> units) {
    EventWindows w;
    w.spec = spec;
    w.labels = select_events(session, query);
    w.counts = bin_windows(session.units.trains(), w.labels.time, spec, units);
    for (std::size_t k = 0; k < spec.n_bins(); ++k)
        w.offsets.push_back(-spec.pre + static_cast<double>(k) * spec.bin_width);
    w.labels.running_speed.assign(w.labels.size(), std::nan(""));
    if (session.running_speed)
        for (std::size_t e = 0; e < w.labels.size(); ++e)
            w.labels.running_speed[e] =
                session.running_speed->mean_over(spec.grid_at(w.labels.time[e]).range());
    return w;
}

/// Per-bin covariates of a continuous grid: what the session was doing in each bin.
struct BinCovariates {
    std::vector<std::int64_t> block;     // stimulus block, −1 between blocks
    std::vector<std::int8_t> active;     // 1 in an active block
    std::vector<std::int32_t> image;     // image shown at the bin's centre, −1 for none
    std::vector<std::int8_t> is_change;  // the bin's centre falls in a change flash
    std::vector<std::int8_t> omitted;    // ... in an omitted flash's slot
    std::vector<double> running_speed;   // interpolated at the bin's centre (NaN without)
    std::vector<std::string> image_names;
};

inline BinCovariates bin_covariates(const Session& session, const BinGrid& grid) {
    grid.validate("bin_covariates");
    const std::size_t n = grid.n_bins;
    const std::vector<double> centers = grid.centers();
    BinCovariates c;
    c.block.assign(n, -1);
    c.active.assign(n, 0);
    c.image.assign(n, -1);
    c.is_change.assign(n, 0);
    c.omitted.assign(n, 0);
    c.running_speed.assign(n, std::nan(""));
    // Bins whose centre lies in [start, stop).
    auto for_bins_in = [&](double start, double stop, auto&& f) {
        const auto first = std::lower_bound(centers.begin(), centers.end(), start);
        const auto last = std::lower_bound(first, centers.end(), stop);
        for (auto it = first; it != last; ++it)
            f(static_cast<std::size_t>(it - centers.begin()));
    };
    for (const SessionBlock& b : session.blocks)
        for_bins_in(b.start, b.stop, [&](std::size_t k) {
            c.block[k] = b.block;
            c.active[k] = b.active;
        });
    if (session.image_presentations() != nullptr) {
        EventQuery every;
        every.kind = EventKind::all;
        const EventLabels all = select_events(session, every);
        const Table& t = *session.image_presentations();
        const Column& stop = t.column("stop_time");
        c.image_names = all.image_names;
        for (std::size_t e = 0; e < all.size(); ++e)
            for_bins_in(all.time[e], stop.real(all.row[e]), [&](std::size_t k) {
                c.image[k] = all.image[e];
                c.is_change[k] = all.is_change[e];
                c.omitted[k] = all.omitted[e];
            });
    }
    if (session.running_speed) c.running_speed = session.running_speed->interpolate(centers);
    return c;
}

}  // namespace jepasnn::data
