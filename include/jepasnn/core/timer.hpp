// Wall-clock timing: a stopwatch, and scoped timers that record into a TimingLog so that long
// runs (the paper, training) can say where the time went.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "json.hpp"

namespace jepasnn {

class Stopwatch {
  public:
    using Clock = std::chrono::steady_clock;
    Stopwatch() : start_(Clock::now()) {}
    void restart() { start_ = Clock::now(); }
    double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  private:
    Clock::time_point start_;
};

/// Named durations in the order they were recorded; repeated names accumulate.
class TimingLog {
  public:
    void add(const std::string& name, double seconds) {
        for (auto& [n, s] : entries_)
            if (n == name) {
                s += seconds;
                return;
            }
        entries_.emplace_back(name, seconds);
    }
    const std::vector<std::pair<std::string, double>>& entries() const { return entries_; }
    double total() const {
        double t = 0.0;
        for (const auto& e : entries_)
            t += e.second;
        return t;
    }
    Json to_json() const {
        Json j = Json::object();
        for (const auto& [n, s] : entries_)
            j[n] = s;
        return j;
    }

  private:
    std::vector<std::pair<std::string, double>> entries_;
};

/// Records the lifetime of a scope into a TimingLog under `name`.
class ScopedTimer {
  public:
    ScopedTimer(TimingLog& log, std::string name) : log_(log), name_(std::move(name)) {}
    ScopedTimer(const ScopedTimer&) = delete;
    ScopedTimer& operator=(const ScopedTimer&) = delete;
    ~ScopedTimer() { log_.add(name_, watch_.seconds()); }

  private:
    TimingLog& log_;
    std::string name_;
    Stopwatch watch_;
};

}  // namespace jepasnn
