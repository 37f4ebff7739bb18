// Multi-session training data for the teacher: preprocessing fitted on the training blocks of
// each session's time split (data/time_split.hpp) only, seeded window sampling inside training
// runs, and assembly of windows into session-grouped batches, each window read from the
// session's counts (in memory or in a binned store) when the batch is made.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/rng.hpp"
#include "../core/shard_tree.hpp"
#include "../core/streams.hpp"
#include "../data/window_starts.hpp"
#include "batch.hpp"
#include "preprocess.hpp"

namespace jepasnn::jepa {

/// One session prepared for training: its counts (in memory or in a binned store), its split,
/// the scaler fitted on its training blocks and its bins' brain states. The model input is made
/// from the counts when it is read, a window at a time, so a recording holds no copy of it.
template <class T>
struct SessionRecording {
    std::string name;
    data::CountSource counts;  // (bins, units) raw counts
    data::TimeSplit split;
    UnitScaler scaler;                // fitted on split.train
    std::vector<std::uint8_t> state;  // (bins) brain-state label, or empty when none is known

    Index bins() const { return counts.bins(); }
    Index units() const { return counts.units(); }
    /// The model input of bins [first, first + n) (n × units).
    RowMatrix<T> input(Index first, Index n) const {
        return scaler.template apply<T>(counts, first, n, state);
    }
    /// The model input of every bin (bins × units): the whole session in memory.
    RowMatrix<T> input() const { return input(0, bins()); }
};

/// Splits the counts (bins × units), fits the transform + z-score on the training blocks in one
/// pass (per brain state with state scaling, from `labels`) and keeps the counts as they are:
/// the model input is made from them a window at a time (SessionRecording::input).
template <class T>
SessionRecording<T> prepare_session(data::CountSource counts, CountTransform transform,
                                    const data::TimeSplitConfig& split, std::string name = {},
                                    StateScaling scaling = StateScaling::none,
                                    const StateLabels& labels = {}) {
    SessionRecording<T> s;
    s.name = std::move(name);
    s.split = data::split_time_blocks(counts.bins(), split);
    require(!s.split.train.empty(), "jepa::prepare_session", "session '", s.name,
            "' has no training blocks");
    s.scaler = UnitScaler::fit(counts, s.split.train, transform, scaling,
                               labels.moments.empty() ? labels.state : labels.moments);
    s.counts = std::move(counts);
    s.state = labels.state;
    return s;
}

/// The same from counts given as a matrix of whole numbers (held in memory as int32).
template <class T, class Derived>
SessionRecording<T> prepare_session(const Eigen::MatrixBase<Derived>& counts,
                                    CountTransform transform, const data::TimeSplitConfig& split,
                                    std::string name = {},
                                    StateScaling scaling = StateScaling::none,
                                    const StateLabels& labels = {}) {
    return prepare_session<T>(
        data::CountSource(data::counts_from_matrix(counts, "jepa::prepare_session")), transform,
        split, std::move(name), scaling, labels);
}

using data::WindowRef;

/// Windows that lie entirely inside one run (training or validation) of one session, drawn
/// uniformly with replacement from the teacher's window stream.
class WindowSampler : public data::WindowStarts {
  public:
    using data::WindowStarts::WindowStarts;

    /// `count` windows keyed by (seed, step): the same step always gives the same windows.
    std::vector<WindowRef> sample(Index count, std::uint64_t seed, std::uint64_t step) const {
        require(available() > 0, "jepa::WindowSampler::sample", "no run holds a window of ",
                length(), " bins");
        RandomStream rng(seed, stream_id(streams::jepa_windows, static_cast<std::uint32_t>(step)));
        std::vector<WindowRef> out;
        out.reserve(static_cast<std::size_t>(count));
        for (Index i = 0; i < count; ++i)
            out.push_back(
                at(static_cast<Index>(rng.uniform_index(static_cast<std::uint64_t>(available())))));
        return out;
    }
};

/// Training (or validation) runs of every session, for a WindowSampler.
template <class T>
std::vector<std::vector<data::RowRange>> runs_of(std::span<const SessionRecording<T>> sessions,
                                                 bool validation) {
    std::vector<std::vector<data::RowRange>> runs;
    for (const auto& s : sessions)
        runs.push_back(validation ? s.split.validation : s.split.train);
    return runs;
}

/// The parts of `runs` whose bins are all in brain state `k` (`state`: one label per bin), each
/// run cut where the state changes: where windows of one state may lie.
inline std::vector<data::RowRange> state_runs(const std::vector<data::RowRange>& runs,
                                              std::span<const std::uint8_t> state, std::uint8_t k) {
    std::vector<data::RowRange> out;
    for (const data::RowRange& r : runs) {
        require(r.begin >= 0 && r.end <= static_cast<Index>(state.size()), "jepa::state_runs",
                "run [", r.begin, ", ", r.end, ") outside the ", state.size(), " labelled bins");
        for (Index b = r.begin; b < r.end;) {
            if (state[static_cast<std::size_t>(b)] != k) {
                ++b;
                continue;
            }
            Index e = b;
            while (e < r.end && state[static_cast<std::size_t>(e)] == k)
                ++e;
            out.push_back({b, e});
            b = e;
        }
    }
    return out;
}

/// Gathers windows into a batch: grouped by session (stable order), one time-major matrix per
/// session slice, and each bin's brain state (SessionRecording::state) for per-state SIGReg.
template <class T>
Batch<T> make_batch(std::span<const SessionRecording<T>> sessions, std::vector<WindowRef> windows,
                    Index length) {
    require(!windows.empty(), "jepa::make_batch", "no windows");
    std::stable_sort(windows.begin(), windows.end(),
                     [](const WindowRef& a, const WindowRef& b) { return a.session < b.session; });
    Batch<T> b;
    b.steps = length;
    b.size = static_cast<Index>(windows.size());
    b.states.assign(static_cast<std::size_t>(length * b.size), 0);
    for (std::size_t i = 0; i < windows.size();) {
        const std::size_t s = windows[i].session;
        require(s < sessions.size(), "jepa::make_batch", "window names session ", s, " of ",
                sessions.size());
        std::size_t j = i;
        while (j < windows.size() && windows[j].session == s)
            ++j;
        const Index count = static_cast<Index>(j - i);
        const SessionRecording<T>& rec = sessions[s];
        const std::vector<std::uint8_t>& state = rec.state;
        require(state.empty() || std::ssize(state) == rec.bins(), "jepa::make_batch", "session ", s,
                " has ", state.size(), " state labels for ", rec.bins(), " bins");
        RowMatrix<T> input(length * count, rec.units());  // (L·count, U_s)
        for (Index w = 0; w < count; ++w) {
            const Index start = windows[i + static_cast<std::size_t>(w)].start;
            require(start >= 0 && start + length <= rec.bins(), "jepa::make_batch", "window [",
                    start, ", ", start + length, ") exceeds session ", s, "'s ", rec.bins(),
                    " bins");
            const RowMatrix<T> x = rec.input(start, length);  // (L, U_s)
            for (Index t = 0; t < length; ++t)
                input.row(t * count + w) = x.row(t);
            if (!state.empty())
                for (Index t = 0; t < length; ++t)
                    b.states[static_cast<std::size_t>(t * b.size + static_cast<Index>(i) + w)] =
                        state[static_cast<std::size_t>(start + t)];
        }
        b.slices.push_back({s, static_cast<Index>(i), count});
        b.inputs.push_back(std::move(input));
        i = j;
    }
    return b;
}

/// The batches of shards [first, last) of a step's windows in ShardPlan's split (shard s: windows
/// [plan.first(s), plan.first(s + 1)), in the order given), each gathered by make_batch.
template <class T>
std::vector<Batch<T>> shard_batches(std::span<const SessionRecording<T>> sessions,
                                    std::span<const WindowRef> windows, const ShardPlan& plan,
                                    std::int64_t first, std::int64_t last, Index length) {
    require(std::ssize(windows) == plan.items && 0 <= first && first <= last && last <= plan.shards,
            "jepa::shard_batches", "shards [", first, ", ", last, ") of ", windows.size(),
            " windows planned as ", plan.items, " in ", plan.shards, " shards");
    std::vector<Batch<T>> out;
    for (std::int64_t s = first; s < last; ++s) {
        const auto begin = windows.begin() + plan.first(s);
        out.push_back(
            make_batch<T>(sessions, std::vector<WindowRef>(begin, begin + plan.count(s)), length));
    }
    return out;
}

}  // namespace jepasnn::jepa
