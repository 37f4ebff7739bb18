// Windows inside runs of rows: every start s with [s, s + length) inside one run of one session,
// numbered 0 … available() − 1 in (session, run, start) order. The teacher's and the student's
// samplers map numbers drawn from their own random streams to windows here; validation tiles the
// runs with non-overlapping windows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "time_split.hpp"

namespace jepasnn::data {

/// A window of the sampler's length starting at row `start` of session `session`.
struct WindowRef {
    std::size_t session = 0;
    Index start = 0;
    friend bool operator==(const WindowRef&, const WindowRef&) = default;
};

class WindowStarts {
  public:
    /// runs[s] = the runs of session s that windows may use.
    WindowStarts(const std::vector<std::vector<RowRange>>& runs, Index length) : length_(length) {
        require(length >= 1, "data::WindowStarts", "window length is ", length, ", expected >= 1");
        for (std::size_t s = 0; s < runs.size(); ++s)
            for (const RowRange& r : runs[s])
                if (r.size() >= length) {
                    pieces_.push_back({s, r});
                    total_ += r.size() - length + 1;
                    cumulative_.push_back(total_);
                }
    }

    Index length() const { return length_; }
    /// Number of distinct window starts.
    Index available() const { return total_; }

    /// The k-th window start, k ∈ [0, available()).
    WindowRef at(Index k) const {
        const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), k);
        const auto i = static_cast<std::size_t>(it - cumulative_.begin());
        const Index before = i == 0 ? 0 : cumulative_[i - 1];
        return {pieces_[i].session, pieces_[i].run.begin + (k - before)};
    }

    /// Non-overlapping windows tiling every run from its start, in order; when there are more
    /// than max_windows (> 0), an evenly spaced subset of them (deterministic).
    std::vector<WindowRef> tile(Index max_windows) const {
        std::vector<WindowRef> all;
        for (const auto& p : pieces_)
            for (Index start = p.run.begin; start + length_ <= p.run.end; start += length_)
                all.push_back({p.session, start});
        if (max_windows <= 0 || static_cast<Index>(all.size()) <= max_windows) return all;
        std::vector<WindowRef> picked;
        for (Index i = 0; i < max_windows; ++i)
            picked.push_back(
                all[static_cast<std::size_t>(i * static_cast<Index>(all.size()) / max_windows)]);
        return picked;
    }

  private:
    struct Piece {
        std::size_t session;
        RowRange run;
    };
    Index length_;
    std::vector<Piece> pieces_;
    std::vector<Index> cumulative_;  // window starts in pieces [0, i]
    Index total_ = 0;
};

}  // namespace jepasnn::data
