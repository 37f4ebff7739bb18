// Training the teacher on in-memory multi-session data with train::Loop: seeded and deterministic
// (every random choice is keyed by (seed, step), so the same seed and thread count give the same
// loss curve), validation on held-out time blocks, checkpoints that resume bitwise identically.
// fit_heldout_readin fits a new session's read-in alone on the same loop.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../core/threads.hpp"
#include "../nn/adamw.hpp"
#include "../train/loop.hpp"
#include "../train/prefetch.hpp"
#include "config.hpp"
#include "dataset.hpp"
#include "model.hpp"

namespace jepasnn::jepa {

/// The first settings of every optimisation over sampled windows (the training run and the
/// held-out read-in fit); each config gives its own defaults.
struct WindowSteps {
    std::uint64_t seed = 0;  // of the windows (and of dropout and SIGReg when training)
    std::uint64_t steps = 0;
    Index batch_size = 32;        // windows per step
    Index window = 64;            // bins per window
    double learning_rate = 1e-3;  // peak

    static void fields(auto& s, auto&& field) {
        field("seed", s.seed);
        field("steps", s.steps);
        field("batch_size", s.batch_size);
        field("window", s.window);
        field("learning_rate", s.learning_rate);
    }
};

/// Everything about a training run that is not the model: a plain struct with a strict JSON
/// round trip (the CLI's config file).
struct TrainConfig : WindowSteps {
    TrainConfig() : WindowSteps{0, 2000, 32, 64, 1e-3} {}

    double final_learning_rate = 1e-5;
    std::uint64_t warmup_steps = 100;
    nn::AdamWConfig optimizer;
    double clip_norm = 1.0;  // global gradient norm; 0 disables
    CountTransform transform = CountTransform::sqrt;
    StateScaling state_scaling = StateScaling::none;  // per-state offset and gain (preprocess.hpp)
    data::TimeSplitConfig split;
    std::uint64_t validate_every = 100;    // 0: only at the end
    Index validation_windows = 64;         // at most this many held-out windows per validation
    std::uint64_t checkpoint_every = 500;  // 0: only at the end
    std::string checkpoint;                // path; empty: no checkpoints
    int threads = 0;                       // 0: keep the current thread count
    bool progress = true;
    bool prefetch = true;  // read the next step's batch on a second thread during this step
    /// Shards of each step's batch (ShardPlan): the batch's parameter gradient is summed over them
    /// in one fixed tree, so that up to `shards` processes can share a step (dist::MpiShards) with
    /// bitwise the same result as one. The result depends on it (1: the batch as one piece).
    Index shards = 1;

    static void fields(auto& s, auto&& field) {
        WindowSteps::fields(s, field);
        field("final_learning_rate", s.final_learning_rate);
        field("warmup_steps", s.warmup_steps);
        field("optimizer", s.optimizer);
        field("clip_norm", s.clip_norm);
        field("transform", s.transform);
        field("state_scaling", s.state_scaling);
        field("split", s.split);
        field("validate_every", s.validate_every);
        field("validation_windows", s.validation_windows);
        field("checkpoint_every", s.checkpoint_every);
        field("checkpoint", s.checkpoint);
        field("threads", s.threads);
        field("progress", s.progress);
        field("prefetch", s.prefetch);
        field("shards", s.shards);
    }
    void validate(std::string_view where = "jepa::TrainConfig") const {
        require(batch_size >= 1, where, "batch_size is ", batch_size, ", expected >= 1");
        require(window >= 2, where, "window is ", window, ", expected >= 2");
        require(clip_norm >= 0.0, where, "clip_norm is ", clip_norm, ", expected >= 0");
        require(threads >= 0, where, "threads is ", threads, ", expected >= 0");
        require(shards >= 1 && shards <= batch_size, where, "shards is ", shards,
                ", expected 1 .. batch_size (", batch_size, ")");
        require(steps < (std::uint64_t{1} << 32), where, "steps is ", steps, ", expected < 2^32");
        require(warmup_steps <= steps, where, "warm-up of ", warmup_steps, " steps exceeds the ",
                steps, " training steps");
        optimizer.validate(where);
        split.validate(where);
        schedule().validate(where);
    }

    nn::WarmupCosineSchedule schedule() const {
        return {learning_rate, warmup_steps, std::max<std::uint64_t>(steps, 1),
                final_learning_rate};
    }
};

struct StepRecord {
    std::uint64_t step = 0;
    double loss = 0.0, prediction = 0.0, regularizer = 0.0;
    double learning_rate = 0.0, grad_norm = 0.0;
    friend bool operator==(const StepRecord&, const StepRecord&) = default;
};

struct ValidationRecord {
    std::uint64_t step = 0;  // optimizer steps taken when it was measured
    double loss = 0.0, prediction = 0.0, regularizer = 0.0;
    Index windows = 0;
    friend bool operator==(const ValidationRecord&, const ValidationRecord&) = default;
};

struct TrainHistory {
    std::vector<StepRecord> steps;
    std::vector<ValidationRecord> validation;

    Json to_json() const {
        Json s = Json::array(), v = Json::array();
        for (const auto& r : steps)
            s.push_back(
                {r.step, r.loss, r.prediction, r.regularizer, r.learning_rate, r.grad_norm});
        for (const auto& r : validation)
            v.push_back({r.step, r.loss, r.prediction, r.regularizer, r.windows});
        return {{"step_columns",
                 {"step", "loss", "prediction", "regularizer", "learning_rate", "grad_norm"}},
                {"steps", s},
                {"validation_columns", {"step", "loss", "prediction", "regularizer", "windows"}},
                {"validation", v}};
    }
    static TrainHistory from_json(const Json& j, std::string_view where) {
        TrainHistory h;
        for (const auto& r : json_get<Json>(j, "steps", where))
            h.steps.push_back({r.at(0).get<std::uint64_t>(), r.at(1).get<double>(),
                               r.at(2).get<double>(), r.at(3).get<double>(), r.at(4).get<double>(),
                               r.at(5).get<double>()});
        for (const auto& r : json_get<Json>(j, "validation", where))
            h.validation.push_back({r.at(0).get<std::uint64_t>(), r.at(1).get<double>(),
                                    r.at(2).get<double>(), r.at(3).get<double>(),
                                    r.at(4).get<Index>()});
        return h;
    }
};

/// Mean losses over every window of `windows`, in batches of `batch_size`, without dropout.
template <class Model>
ValidationRecord evaluate_windows(
    Model& model, std::span<const SessionRecording<typename Model::Scalar>> sessions,
    const std::vector<WindowRef>& windows, Index length, Index batch_size,
    const RegularizerContext& ctx) {
    ValidationRecord r;
    for (std::size_t i = 0; i < windows.size(); i += static_cast<std::size_t>(batch_size)) {
        const std::size_t j = std::min(windows.size(), i + static_cast<std::size_t>(batch_size));
        const std::vector<WindowRef> part(windows.begin() + static_cast<std::ptrdiff_t>(i),
                                          windows.begin() + static_cast<std::ptrdiff_t>(j));
        const LossParts l = model.evaluate(make_batch(sessions, part, length), ctx);
        const double w = static_cast<double>(j - i);
        r.loss += w * l.total;
        r.prediction += w * l.prediction;
        r.regularizer += w * l.regularizer;
        r.windows += static_cast<Index>(j - i);
    }
    if (r.windows > 0) {
        r.loss /= static_cast<double>(r.windows);
        r.prediction /= static_cast<double>(r.windows);
        r.regularizer /= static_cast<double>(r.windows);
    }
    return r;
}

/// Trains a LeJEPA model on prepared sessions with train::Loop; this class is the loop's
/// objective (parameters, loss_and_gradient, ...: see train/loop.hpp).
template <class Model>
class Trainer {
  public:
    using T = typename Model::Scalar;
    using Scalar = T;
    using Record = StepRecord;
    /// The checkpoint header's "kind".
    static constexpr std::string_view checkpoint_kind = "jepasnn.lejepa.trainer";

    Trainer(Model model, std::vector<SessionRecording<T>> sessions, TrainConfig config)
        : model_(std::move(model)),
          sessions_(std::move(sessions)),
          config_(std::move(config)),
          sampler_(runs_of<T>(sessions_, false), config_.window),
          validation_sampler_(runs_of<T>(sessions_, true), config_.window),
          loop_(loop_settings(config_), nn::AdamW<T>(model_.parameters().size(), config_.optimizer,
                                                     model_.parameters().layout().decay_mask())) {
        const auto& units = model_.config().session_units;
        require(units.size() == sessions_.size(), "jepa::Trainer", "model has ", units.size(),
                " sessions, the data ", sessions_.size());
        for (std::size_t s = 0; s < sessions_.size(); ++s)
            require(sessions_[s].units() == units[s], "jepa::Trainer", "session ", s, " ('",
                    sessions_[s].name, "') has ", sessions_[s].units(),
                    " units, the model's read-in expects ", units[s]);
        require(config_.window >= model_.config().min_window(), "jepa::Trainer", "window is ",
                config_.window,
                " bins, expected at least burn_in + 2 = ", model_.config().min_window());
        require(sampler_.available() > 0, "jepa::Trainer", "no training run holds a window of ",
                config_.window, " bins (training blocks are too short or too few)");
    }

    /// Continues a run from its checkpoint: model, optimizer state, step and history are
    /// restored, so the run goes on exactly as if it had never stopped, checkpointing to `path`.
    /// `sessions` must be the same prepared data (checked: names, shapes and fitted scalers).
    static Trainer resume(const std::filesystem::path& path,
                          std::vector<SessionRecording<T>> sessions) {
        const std::string file = path.string();
        const Checkpoint<T> ck = train::Loop<T>::read(path, checkpoint_kind);
        const Json& h = ck.header;
        Model model = model_from_header(h, file);
        TrainConfig config =
            read_settings<TrainConfig>(json_get<Json>(h, "train_config", file), file);
        config.checkpoint = file;  // later checkpoints go where the run was resumed from
        Trainer tr(std::move(model), std::move(sessions), std::move(config));
        const Json saved = json_get<Json>(h, "sessions", file);
        require(saved.size() == tr.sessions_.size(), file, "checkpoint was trained on ",
                saved.size(), " sessions, ", tr.sessions_.size(), " given");
        for (std::size_t s = 0; s < saved.size(); ++s) {
            const auto& d = tr.sessions_[s];
            require(json_get<Index>(saved[s], "bins", file) == d.bins() &&
                        json_get<Json>(saved[s], "scaler", file) == settings_json(d.scaler),
                    file, "session ", s, " ('", d.name,
                    "') differs from the data the checkpoint was trained on");
        }
        load_values(tr.model_.parameters().values(), ck.array("parameters", file), file);
        if constexpr (Model::uses_target_encoder)
            load_values(tr.model_.target_parameters().values(), ck.array("target_parameters", file),
                        file);
        tr.history_ = TrainHistory::from_json(json_get<Json>(h, "history", file), file);
        tr.loop_.restore(ck, path);
        return tr;
    }

    Model& model() { return model_; }
    const TrainConfig& config() const { return config_; }
    const TrainHistory& history() const { return history_; }
    std::uint64_t current_step() const { return loop_.steps_done(); }
    std::span<const SessionRecording<T>> sessions() const { return sessions_; }

    /// One optimizer step on a batch drawn for the current step.
    void step() { loop_.step(*this); }

    /// Validation losses on the held-out time blocks (nothing when there are none).
    std::optional<ValidationRecord> validate() {
        const auto windows = validation_sampler_.tile(config_.validation_windows);
        if (windows.empty()) return std::nullopt;
        ValidationRecord r =
            evaluate_windows(model_, std::span<const SessionRecording<T>>(sessions_), windows,
                             config_.window, config_.batch_size, {config_.seed, 0});
        r.step = loop_.steps_done();
        return r;
    }

    /// Trains until config().steps (or until step `until`, if earlier: a run can be split),
    /// validating and checkpointing on schedule, and once more after the run's final step.
    const TrainHistory& run(std::uint64_t until = ~std::uint64_t{0}) {
        if (config_.threads > 0) set_thread_count(config_.threads);
        const bool root = exchange_->rank() == 0;
        const bool checkpoints = !config_.checkpoint.empty() && root;
        loop_.run(*this, progress_style(!config_.progress || !root), until,
                  train::Every{config_.validate_every, true,
                               [&] {
                                   if (auto v = validate()) history_.validation.push_back(*v);
                               }},
                  train::Every{checkpoints ? config_.checkpoint_every : 0, checkpoints,
                               [&] { save_checkpoint(config_.checkpoint); }});
        return history_;
    }

    /// Writes the whole state (atomically) to `path`.
    void save_checkpoint(const std::filesystem::path& path) {
        Json header;
        header["kind"] = checkpoint_kind;
        header["model"] = model_.describe();
        header["layout"] = model_.parameters().layout().to_json();
        header["train_config"] = settings_json(config_);
        Json sessions = Json::array();
        for (const auto& s : sessions_)
            sessions.push_back({{"name", s.name},
                                {"bins", s.bins()},
                                {"units", s.units()},
                                {"scaler", settings_json(s.scaler)}});
        header["sessions"] = std::move(sessions);
        header["history"] = history_.to_json();
        std::vector<NamedArray<T>> arrays{{"parameters", model_.parameters().values()}};
        if constexpr (Model::uses_target_encoder)
            arrays.push_back({"target_parameters", model_.target_parameters().values()});
        loop_.save_checkpoint(path, std::move(header), std::move(arrays));
    }

    /// A model of this kind rebuilt from a checkpoint header (its config and regulariser); the
    /// encoder, regulariser and scalar recorded there must be this Model's.
    static Model model_from_header(const Json& h, const std::string& file) {
        const Json m = json_get<Json>(h, "model", file);
        const auto is = [&](const char* key, std::string_view want) {
            const auto found = json_get<std::string>(m, key, file);
            require(found == want, file, "checkpoint holds ", key, " '", found, "', expected '",
                    want, "'");
        };
        is("encoder", Model::EncoderType::name);
        is("regularizer", Model::RegularizerType::name);
        is("scalar", scalar_name<T>());
        return Model(
            model_config_from_json(json_get<Json>(m, "config", file), file),
            Model::RegularizerType::from_json(json_get<Json>(m, "regularizer_config", file)));
    }

    // ---- train::Objective ----------------------------------------------------------------------
    std::span<T> parameters() { return model_.parameters().values(); }
    std::span<T> gradients() { return model_.parameters().gradients(); }
    StepRecord loss_and_gradient(std::uint64_t s) {
        const ShardPlan plan(config_.batch_size, config_.shards);
        const std::vector<Batch<T>> own =
            prefetch_.take(s, s + 1 < config_.steps,
                           [this, plan](std::uint64_t step) { return own_shards(plan, step); });
        const LossParts loss =
            model_.forward_backward_shards(own, plan, *exchange_, {config_.seed, s});
        prefetch_.end_step();  // nothing else reads the stores while a batch is being read
        return {0, loss.total, loss.prediction, loss.regularizer, 0.0, 0.0};
    }
    void after_update(std::uint64_t) { model_.update_target(); }
    void record(const StepRecord& r) { history_.steps.push_back(r); }
    std::string status() const {
        std::ostringstream status;
        if (!history_.steps.empty()) status << "loss " << history_.steps.back().loss;
        if (!history_.validation.empty()) status << " val " << history_.validation.back().loss;
        status << prefetch_.wait_status();
        return status.str();
    }

    /// Shares every step with the other processes of `exchange` (dist::MpiShards: one per MPI
    /// rank), each computing its own shards of the batch: the run is bitwise the one-process run
    /// with the same config for any number of processes up to config().shards. Progress and
    /// checkpoints are then rank 0's. A collective: every process calls it, and a config that
    /// cannot be shared is refused on every process alike (ShardExchange::agree).
    void share_steps(std::shared_ptr<const train::ShardExchange> exchange) {
        require(exchange != nullptr, "jepa::Trainer", "no shard exchange given");
        exchange->agree([&] {
            require(exchange->processes() <= config_.shards, "jepa::Trainer", "a step of ",
                    config_.shards, " shards (train config \"shards\") cannot be shared by ",
                    exchange->processes(), " processes; set shards >= processes");
        });
        exchange_ = std::move(exchange);
    }

  private:
    /// The batches of this process's shards of step `step`'s batch.
    std::vector<Batch<T>> own_shards(const ShardPlan& plan, std::uint64_t step) const {
        const std::vector<WindowRef> windows =
            sampler_.sample(config_.batch_size, config_.seed, step);
        const auto [first, last] = exchange_->own(ShardTree(plan.shards));
        return shard_batches<T>(sessions_, windows, plan, first, last, config_.window);
    }

    static train::LoopSettings loop_settings(const TrainConfig& c) {
        c.validate();
        return {"train-teacher", c.steps, c.clip_norm, c.schedule(), !c.checkpoint.empty()};
    }

    static void load_values(std::span<T> into, const std::vector<T>& from,
                            const std::string& file) {
        require(from.size() == into.size(), file, "checkpoint holds ", from.size(),
                " parameters, the model has ", into.size());
        std::copy(from.begin(), from.end(), into.begin());
    }

    Model model_;
    std::vector<SessionRecording<T>> sessions_;
    TrainConfig config_;
    WindowSampler sampler_, validation_sampler_;
    train::Loop<T> loop_;
    TrainHistory history_;
    train::Prefetcher<std::vector<Batch<T>>> prefetch_{config_.prefetch};
    std::shared_ptr<const train::ShardExchange> exchange_ =
        std::make_shared<const train::LocalShards>();
};

/// Settings for fitting a held-out session's read-in (everything else frozen).
struct ReadinFitConfig : WindowSteps {
    ReadinFitConfig() : WindowSteps{0, 500, 32, 64, 3e-3} {}

    std::uint64_t warmup_steps = 20;
    double weight_decay = 0.0;
    double clip_norm = 1.0;
    bool progress = false;

    static void fields(auto& s, auto&& field) {
        WindowSteps::fields(s, field);
        field("warmup_steps", s.warmup_steps);
        field("weight_decay", s.weight_decay);
        field("clip_norm", s.clip_norm);
        field("progress", s.progress);
    }
    void validate(std::string_view where) const {
        require(warmup_steps <= steps && weight_decay >= 0.0 && clip_norm >= 0.0, where,
                "warmup_steps/weight_decay/clip_norm are ", warmup_steps, "/", weight_decay, "/",
                clip_norm, ", expected <= steps/>= 0/>= 0");
    }
};

namespace detail {
/// The train::Objective of fit_heldout_readin: one session's read-in, everything else frozen.
template <class Model>
struct ReadinObjective {
    using Scalar = typename Model::Scalar;
    using Record = StepRecord;
    Model& model;
    const SessionRecording<Scalar>& session;
    const WindowSampler& sampler;
    const ReadinFitConfig& config;
    std::size_t index, offset, size;
    TrainHistory* history;

    std::span<Scalar> parameters() { return model.parameters().values().subspan(offset, size); }
    std::span<Scalar> gradients() { return model.parameters().gradients().subspan(offset, size); }
    StepRecord loss_and_gradient(std::uint64_t s) {
        Batch<Scalar> batch =
            make_batch<Scalar>(std::span<const SessionRecording<Scalar>>(&session, 1),
                               sampler.sample(config.batch_size, config.seed, s), config.window);
        batch.slices[0].session = index;  // the data's only session is the model's new one
        model.parameters().zero_gradients();
        const LossParts loss =
            model.forward_backward(batch, {config.seed, s}, Gradients::readin_only);
        return {0, loss.total, loss.prediction, loss.regularizer, 0.0, 0.0};
    }
    void after_update(std::uint64_t) {}
    void record(const StepRecord& r) {
        if (history != nullptr) history->steps.push_back(r);
    }
    std::string status() const { return {}; }
};
}  // namespace detail

namespace detail {
/// Runs a read-in objective (`size` parameters) for config.steps AdamW steps with warm-up and
/// cosine decay.
template <class T, class Objective>
void run_readin_fit(Objective& objective, std::size_t size, const ReadinFitConfig& config) {
    nn::AdamWConfig adam;
    adam.weight_decay = config.weight_decay;
    const nn::WarmupCosineSchedule schedule{config.learning_rate,
                                            std::min(config.warmup_steps, config.steps),
                                            std::max<std::uint64_t>(config.steps, 1), 0.0};
    train::Loop<T> loop({"fit-readin", config.steps, config.clip_norm, schedule, false},
                        nn::AdamW<T>(size, adam));
    loop.run(objective, progress_style(!config.progress), config.steps);
}

/// The windows of `runs` for fitting a read-in of `session`, after checking there are some.
template <class Model>
WindowSampler readin_sampler(const Model& model,
                             const SessionRecording<typename Model::Scalar>& session,
                             const std::vector<data::RowRange>& runs, const ReadinFitConfig& config,
                             std::string_view where) {
    require(config.window >= model.config().min_window(), where, "window is ", config.window,
            " bins, expected at least ", model.config().min_window());
    WindowSampler sampler({runs}, config.window);
    require(sampler.available() > 0, where, "session '", session.name,
            "': its training blocks hold no window of ", config.window, " bins");
    return sampler;
}

/// Trains read-in `index` alone on windows inside `runs` of `session` (the encoder and predictor
/// frozen) with the teacher's loss.
template <class Model>
void fit_readin(Model& model, std::size_t index,
                const SessionRecording<typename Model::Scalar>& session,
                const std::vector<data::RowRange>& runs, const ReadinFitConfig& config,
                TrainHistory* history, std::string_view where) {
    const WindowSampler sampler = readin_sampler(model, session, runs, config, where);
    const auto [offset, size] = model.readin_range(index);
    ReadinObjective<Model> objective{model, session, sampler, config, index, offset, size, history};
    run_readin_fit<typename Model::Scalar>(objective, size, config);
}
}  // namespace detail

/// Adds `session` to the model as a new read-in (the original project's "unit identification")
/// and trains only that read-in on the session's training blocks with the teacher's loss, the
/// encoder and predictor frozen. Returns the new session's index; `history` receives the curve.
template <class Model>
std::size_t fit_heldout_readin(Model& model,
                               const SessionRecording<typename Model::Scalar>& session,
                               const ReadinFitConfig& config, TrainHistory* history = nullptr) {
    const std::size_t index = model.add_session(session.units(), config.seed);
    detail::fit_readin(model, index, session, session.split.train, config, history,
                       "jepa::fit_heldout_readin");
    return index;
}

}  // namespace jepasnn::jepa
