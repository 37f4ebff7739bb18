// The one optimisation loop of the library (in the style of ensmallen's optimisers with
// callbacks): each step asks an objective for its loss and gradient, clips the global gradient
// norm, takes an AdamW step on the learning-rate schedule, and stops with a clear error on a
// non-finite value, naming the last good checkpoint. Periodic work (validation, checkpoints) is
// given to run() as small callbacks; checkpoints are atomic and resume bitwise identically.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/checkpoint.hpp"
#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/progress.hpp"
#include "../nn/adamw.hpp"

namespace jepasnn::train {

/// The `Objective` kind: what the loop trains.
///
///     Scalar                     parameter type
///     Record                     what a step reports: has double loss, and step, learning_rate
///                                and grad_norm, which the loop fills
///     parameters(), gradients()  std::span<Scalar> of the trained values and their gradients
///     loss_and_gradient(s)       Record of step s (0-based), with gradients() set (not added)
///     after_update(s)            after the optimiser step (projections, target encoders)
///     record(r)                  keeps the finished step's record (its history)
///     status()                   a short progress line ("loss 0.52 val 0.61")
///
/// A Record's loss must be non-finite when any part of it is, so the loop can stop on it.
template <class O>
concept Objective = requires(O& o, const O& co, std::uint64_t s, const typename O::Record& r) {
    typename O::Scalar;
    { o.parameters() } -> std::same_as<std::span<typename O::Scalar>>;
    { o.gradients() } -> std::same_as<std::span<typename O::Scalar>>;
    { o.loss_and_gradient(s) } -> std::same_as<typename O::Record>;
    o.after_update(s);
    o.record(r);
    { co.status() } -> std::convertible_to<std::string>;
    r.loss + r.learning_rate + r.grad_norm;
    r.step;
};

/// A loop's fixed settings.
struct LoopSettings {
    std::string name;         // progress label and first word of errors ("train-teacher")
    std::uint64_t steps = 0;  // total optimiser steps of the run
    double clip_norm = 0.0;   // global gradient norm; 0: no clipping
    nn::WarmupCosineSchedule schedule;
    bool checkpoints = false;  // whether the run writes checkpoints (for the stop message)
};

/// Calls `action()` after every `period`-th step (period 0: never) and, when `at_end`, after the
/// run's final step.
template <class F>
struct Every {
    std::uint64_t period = 0;
    bool at_end = true;
    F action;

    void after_step(std::uint64_t done, std::uint64_t total) {
        if ((period > 0 && done % period == 0) || (at_end && done == total)) action();
    }
};
template <class F>
Every(std::uint64_t, bool, F) -> Every<F>;

/// Steps are counted from 1: record.step and a checkpoint's "step" are the optimiser steps
/// completed, so a run of n steps ends at step n and resumes from the step its checkpoint names.
template <class T>
class Loop {
  public:
    /// The checkpoint header's "format": every training checkpoint of the library has it.
    static constexpr std::string_view checkpoint_format = "jepasnn-training-checkpoint";

    Loop(LoopSettings settings, nn::AdamW<T> optimizer)
        : settings_(std::move(settings)), optimizer_(std::move(optimizer)) {
        settings_.schedule.validate(settings_.name);
    }

    const LoopSettings& settings() const { return settings_; }
    std::uint64_t steps_done() const { return step_; }

    /// One optimiser step; returns its finished record (also given to objective.record()).
    template <Objective O>
    typename O::Record step(O& objective) {
        const std::uint64_t s = step_;
        typename O::Record r = objective.loss_and_gradient(s);
        const std::span<T> gradients = objective.gradients();
        const double norm = nn::clip_global_norm<T>(gradients, settings_.clip_norm);
        if (!std::isfinite(r.loss)) stop(s + 1, "loss", r.loss);
        if (!std::isfinite(norm)) stop(s + 1, "gradient norm", norm);
        const double lr = settings_.schedule.at(s);
        optimizer_.step(objective.parameters(), gradients, lr);
        for (const T v : objective.parameters())
            if (!std::isfinite(v)) stop(s + 1, "parameter after the update", double(v));
        objective.after_update(s);
        r.step = s + 1;
        r.learning_rate = lr;
        r.grad_norm = norm;
        ++step_;
        objective.record(r);
        return r;
    }

    /// Steps until settings().steps (or until step `until`, if earlier: a run can be split),
    /// calling each callback's after_step(done, total) after every step, in the order given,
    /// with a progress bar.
    template <Objective O, class... Callbacks>
    void run(O& objective, ProgressStyle style, std::uint64_t until, Callbacks&&... callbacks) {
        ProgressBar bar(settings_.name, settings_.steps, style);
        bar.update(step_);
        const std::uint64_t stop_at = std::min(until, settings_.steps);
        while (step_ < stop_at) {
            step(objective);
            (callbacks.after_step(step_, settings_.steps), ...);
            bar.update(step_, objective.status());
        }
        bar.finish();
    }

    /// Writes the objective's header and arrays with the loop's state (step, optimiser moments),
    /// atomically, to `path`.
    void save_checkpoint(const std::filesystem::path& path, Json objective_header,
                         std::vector<NamedArray<T>> arrays) {
        Json header = {{"format", checkpoint_format},
                       {"step", step_},
                       {"optimizer_steps", optimizer_.steps_taken()}};
        for (auto& [key, value] : objective_header.items())
            header[key] = std::move(value);
        arrays.push_back({"adam_m", optimizer_.first_moment()});
        arrays.push_back({"adam_v", optimizer_.second_moment()});
        write_checkpoint<T>(path, std::move(header), arrays);
        last_checkpoint_ = {path, step_};
    }

    /// Reads a checkpoint written by save_checkpoint, checking its format and `kind` (the
    /// header's "kind", which the objective writes); the caller restores the objective from it,
    /// then calls restore().
    static Checkpoint<T> read(const std::filesystem::path& path, std::string_view kind) {
        const std::string file = path.string();
        Checkpoint<T> ck = read_checkpoint<T>(path);
        require(ck.header.value("format", std::string()) == checkpoint_format, file,
                "is not a training checkpoint (format '", ck.header.value("format", std::string()),
                "', expected '", checkpoint_format, "')");
        const auto found = json_get<std::string>(ck.header, "kind", file);
        require(found == kind, file, "holds a '", found, "' run, expected '", kind, "'");
        return ck;
    }

    /// Continues from a checkpoint read with read() from `path`: step and optimiser state.
    void restore(const Checkpoint<T>& ck, const std::filesystem::path& path) {
        const std::string file = path.string();
        step_ = json_get<std::uint64_t>(ck.header, "step", file);
        require(step_ <= settings_.steps, file, "is at step ", step_, ", beyond the ",
                settings_.steps, " steps asked for");
        const auto& m = ck.array("adam_m", file);
        const auto& v = ck.array("adam_v", file);
        require(m.size() == optimizer_.size() && v.size() == optimizer_.size(), file,
                "optimizer state has ", m.size(), " entries, the model ", optimizer_.size());
        optimizer_.restore(json_get<std::uint64_t>(ck.header, "optimizer_steps", file), m, v);
        last_checkpoint_ = {path, step_};
    }

  private:
    [[noreturn]] void stop(std::uint64_t s, const char* what, double value) const {
        std::ostringstream where;
        if (last_checkpoint_)
            where << "the last good checkpoint is '" << last_checkpoint_->first.string()
                  << "' (step " << last_checkpoint_->second << ")";
        else if (settings_.checkpoints)
            where << "no checkpoint had been written yet";
        else
            where << "no checkpoint was configured";
        fail(settings_.name, "non-finite ", what, " (", value, ") at step ", s,
             "; training stopped, ", where.str());
    }

    LoopSettings settings_;
    nn::AdamW<T> optimizer_;
    std::uint64_t step_ = 0;
    std::optional<std::pair<std::filesystem::path, std::uint64_t>> last_checkpoint_;
};

}  // namespace jepasnn::train
