// A step's input (a batch of windows read from binned stores) built on a second thread while the
// previous step computes, so that reading overlaps training. Batches are drawn by step number
// (counter-based), so a prefetched batch is the one the step would have built itself: results
// are bitwise the same with and without prefetching; only the time spent waiting differs.
#pragma once

#include <cstdint>
#include <future>
#include <iomanip>
#include <sstream>
#include <string>
#include <utility>

#include "../core/timer.hpp"

namespace jepasnn::train {

/// Hands out make(s) for steps s in order, starting make(s + 1) on a second thread as it hands
/// out make(s) when enabled. A step runs from take() to end_step(), which joins the prefetch:
/// the caller must not touch what make reads from any other thread in between (the HDF5 library
/// is not thread-safe). An error in make is raised by the take() of its step.
template <class Item>
class Prefetcher {
  public:
    explicit Prefetcher(bool enabled = true) : enabled_(enabled) {}
    Prefetcher(Prefetcher&&) = default;
    Prefetcher& operator=(Prefetcher&&) = default;
    ~Prefetcher() { wait(); }

    bool enabled() const { return enabled_; }
    /// Seconds take() has spent waiting for items (building them, or for their prefetch).
    double wait_seconds() const { return wait_seconds_; }
    /// Seconds from take() to end_step(), summed over the steps.
    double step_seconds() const { return step_seconds_; }

    /// Begins step `step` with make(step), prefetched or built now; then, when enabled and
    /// `next` is set, starts make(step + 1). `make` must be copyable and not refer to anything
    /// the caller changes before end_step().
    template <class Make>
    Item take(std::uint64_t step, bool next, const Make& make) {
        step_watch_.restart();
        Item item = pending_.valid() && pending_step_ == step ? pending_.get() : build(step, make);
        wait_seconds_ += step_watch_.seconds();
        if (enabled_ && next) {
            pending_step_ = step + 1;
            pending_ = std::async(std::launch::async, [make, s = step + 1] { return make(s); });
        }
        return item;
    }

    /// Ends the step: waits for the item being prefetched (kept for its take()).
    void end_step() {
        wait();
        step_seconds_ += step_watch_.seconds();
    }

    /// " data wait P%", the share of step time spent waiting in take(), for progress lines;
    /// empty before the first step ends.
    std::string wait_status() const {
        if (step_seconds_ <= 0.0) return {};
        std::ostringstream s;
        s << " data wait " << std::fixed << std::setprecision(1)
          << 100.0 * wait_seconds_ / step_seconds_ << "%";
        return s.str();
    }

  private:
    template <class Make>
    Item build(std::uint64_t step, const Make& make) {
        if (pending_.valid()) pending_ = {};  // a prefetch for another step: waited for, dropped
        return make(step);
    }
    void wait() {
        if (pending_.valid()) pending_.wait();
    }

    bool enabled_ = true;
    std::future<Item> pending_;
    std::uint64_t pending_step_ = 0;
    Stopwatch step_watch_;
    double wait_seconds_ = 0.0, step_seconds_ = 0.0;
};

}  // namespace jepasnn::train
