// Progress for long runs: a live bar on a terminal; one line per 10% when stderr is a log file;
// nothing in CI (the CI environment variable is set) or when the caller asks for quiet. A
// progress observer set on a thread also sees every update of that thread's bars, whatever their
// style (the Python package's callbacks; it may throw to stop the run).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace jepasnn {

enum class ProgressStyle { quiet, lines, bar };

/// The style for stderr: quiet if asked or under CI, a bar on a terminal, lines otherwise.
inline ProgressStyle progress_style(bool quiet = false) {
    if (quiet) return ProgressStyle::quiet;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && *ci != '\0' && std::string_view(ci) != "0" &&
        std::string_view(ci) != "false")
        return ProgressStyle::quiet;
    return ::isatty(STDERR_FILENO) ? ProgressStyle::bar : ProgressStyle::lines;
}

/// Called with (label, done, total, status) on every update of a progress bar of this thread.
using ProgressObserver =
    std::function<void(std::string_view, std::uint64_t, std::uint64_t, std::string_view)>;

/// This thread's observer (empty: none).
inline ProgressObserver& progress_observer() {
    thread_local ProgressObserver observer;
    return observer;
}

/// Sets this thread's observer for the lifetime of the scope, restoring the previous one.
class ScopedProgressObserver {
  public:
    explicit ScopedProgressObserver(ProgressObserver o)
        : previous_(std::exchange(progress_observer(), std::move(o))) {}
    ScopedProgressObserver(const ScopedProgressObserver&) = delete;
    ScopedProgressObserver& operator=(const ScopedProgressObserver&) = delete;
    ~ScopedProgressObserver() { progress_observer() = std::move(previous_); }

  private:
    ProgressObserver previous_;
};

class ProgressBar {
  public:
    using Clock = std::chrono::steady_clock;

    ProgressBar(std::string label, std::uint64_t total, ProgressStyle style = progress_style())
        : label_(std::move(label)),
          total_(std::max<std::uint64_t>(total, 1)),
          style_(style),
          start_(Clock::now()),
          last_draw_(start_) {}
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ~ProgressBar() { finish(); }

    /// Sets the number of finished items (and an optional status such as the current loss).
    /// The thread's progress observer, if any, sees it first and may throw to stop the run.
    void update(std::uint64_t done, std::string_view status = {}) {
        done_ = std::min(done, total_);
        if (!status.empty()) status_ = status;
        if (const ProgressObserver& o = progress_observer()) o(label_, done_, total_, status_);
        draw(false);
    }
    void advance(std::uint64_t n = 1, std::string_view status = {}) { update(done_ + n, status); }

    /// Draws the final state once (also called by the destructor).
    void finish() {
        if (finished_) return;
        finished_ = true;
        draw(true);
    }

    double elapsed_seconds() const {
        return std::chrono::duration<double>(Clock::now() - start_).count();
    }

  private:
    void draw(bool final) {
        if (style_ == ProgressStyle::quiet) return;
        const auto now = Clock::now();
        const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
        if (style_ == ProgressStyle::lines) {
            const int decile = static_cast<int>(fraction * 10.0);
            if (!final && decile <= last_decile_) return;
            if (final && last_decile_ == 10) return;
            last_decile_ = final ? 10 : decile;
            std::fprintf(stderr, "%s: %3d%% (%llu/%llu) %.1fs %s\n", label_.c_str(),
                         static_cast<int>(fraction * 100.0), static_cast<unsigned long long>(done_),
                         static_cast<unsigned long long>(total_), elapsed_seconds(),
                         status_.c_str());
            return;
        }
        if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        constexpr int width = 30;
        const int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<std::size_t>(filled), '=');
        if (filled < width) bar += '>';
        bar.resize(width, ' ');
        const double elapsed = elapsed_seconds();
        const double eta = done_ > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
        std::fprintf(stderr, "\r%s [%s] %3d%% %llu/%llu %.0fs<%.0fs %s\033[K", label_.c_str(),
                     bar.c_str(), static_cast<int>(fraction * 100.0),
                     static_cast<unsigned long long>(done_),
                     static_cast<unsigned long long>(total_), elapsed, eta, status_.c_str());
        if (final) std::fputc('\n', stderr);
        std::fflush(stderr);
    }

    std::string label_;
    std::string status_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    ProgressStyle style_;
    Clock::time_point start_, last_draw_;
    int last_decile_ = -1;
    bool finished_ = false;
};

}  // namespace jepasnn
