// Training of the spiking student against the teacher's latents with train::Loop: seeded windows
// from the training time blocks, Deep CCA + homeostasis + weight regularisation, BPTT through the
// LIF network, the sign projection (Dale) after every optimizer step, a monitored held-out CCA,
// and checkpoints that resume bitwise identically.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../cca/cross_validation.hpp"
#include "../core/streams.hpp"
#include "../lif/network.hpp"
#include "../nn/adamw.hpp"
#include "../train/loop.hpp"
#include "../train/prefetch.hpp"
#include "../train/shard_exchange.hpp"
#include "config.hpp"
#include "data.hpp"
#include "loss.hpp"

namespace jepasnn::distill {

/// One optimizer step, as recorded in the history.
struct StepRecord {
    std::uint64_t step = 0;  // steps completed with this one (train::Loop counts from 1)
    double loss = 0.0;       // total
    double cca_loss = 0.0;   // cca_weight · (−Σρ)
    double mean_cca = 0.0;   // batch mean ρ (in-sample, training windows)
    double homeostasis = 0.0;
    double regularization = 0.0;
    double rate_exc_hz = 0.0, rate_inh_hz = 0.0;  // population means over the batch
    double learning_rate = 0.0;
    double grad_norm = 0.0;  // before clipping
};

/// The monitored CCA: fitted on a fixed batch of training windows, scored on a fixed batch of
/// held-out windows (a cheap proxy of the final held-out evaluation, for the training curve).
struct MonitorRecord {
    std::uint64_t step = 0;
    double cca_train = 0.0;    // in-sample mean ρ on the training windows
    double cca_heldout = 0.0;  // held-out mean ρ
};

inline Json to_json(const StepRecord& r) {
    return {{"step", r.step},
            {"loss", r.loss},
            {"cca_loss", r.cca_loss},
            {"mean_cca", r.mean_cca},
            {"homeostasis", r.homeostasis},
            {"regularization", r.regularization},
            {"rate_exc_hz", r.rate_exc_hz},
            {"rate_inh_hz", r.rate_inh_hz},
            {"learning_rate", r.learning_rate},
            {"grad_norm", r.grad_norm}};
}
inline Json to_json(const MonitorRecord& r) {
    return {{"step", r.step}, {"cca_train", r.cca_train}, {"cca_heldout", r.cca_heldout}};
}

namespace detail {
/// FNV-1a over the data's shape, gains and targets: a checkpoint resumes only on the same data.
inline std::uint64_t fingerprint(const DistillData& d) {
    std::uint64_t h = 1469598103934665603ull;
    const auto mix = [&](const void* p, std::size_t bytes) {
        const auto* c = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < bytes; ++i)
            h = (h ^ c[i]) * 1099511628211ull;
    };
    const Index shape[3] = {d.bins(), d.inputs(), d.latent_dim()};
    mix(shape, sizeof shape);
    mix(d.input_gain.data(), static_cast<std::size_t>(d.input_gain.size()) * sizeof(double));
    detail::for_target_blocks(d.targets, {{0, d.bins()}}, [&](Index, const RowMatrix<double>& z) {
        mix(z.data(), static_cast<std::size_t>(z.size()) * sizeof(double));  // bytes in order
    });
    return h;
}
}  // namespace detail

/// Trains a student on one session's teacher latents; this class is the train::Loop's objective
/// (parameters, loss_and_gradient, ...: see train/loop.hpp).
template <class T = float, class Policies = lif::DefaultPolicies>
class Distiller {
  public:
    using Scalar = T;
    using Record = StepRecord;
    /// The checkpoint header's "kind".
    static constexpr std::string_view checkpoint_kind = "jepasnn.distill.student";
    using Network = lif::Network<T, Policies>;
    using Rate = typename Policies::Rate;
    using Regularizer = typename Policies::Regularizer;

    /// A fresh student for `data` (which must outlive the Distiller). Checkpoints go to
    /// `checkpoint` (empty: none).
    Distiller(const DistillData& data, const DistillConfig& config,
              std::filesystem::path checkpoint = {})
        : data_(&data),
          config_(validated(config, data)),
          checkpoint_(std::move(checkpoint)),
          net_(make_network(config_, data.inputs(), readout_dim(config_, data))),
          loop_(loop_settings(config_, checkpoint_),
                nn::AdamW<T>(net_.parameters().size(), adam_config())) {
        net_.project();
    }

    /// Continues the run saved in `checkpoint` on the same data and settings (only `steps` may
    /// grow); the continued run is bitwise identical to an uninterrupted one.
    static Distiller resume(const std::filesystem::path& checkpoint, const DistillData& data,
                            const DistillConfig& config) {
        const std::string file = checkpoint.string();
        const Checkpoint<T> ck = train::Loop<T>::read(checkpoint, checkpoint_kind);
        const Json& h = ck.header;
        require(json_get<std::string>(h, "policies", file) == policy_names(), file,
                "was trained with policies '", json_get<std::string>(h, "policies", file),
                "', this student uses '", policy_names(), "'");
        require(json_get<std::uint64_t>(h, "data_fingerprint", file) == detail::fingerprint(data),
                file, "was trained on different data (inputs, gains or targets differ)");
        Json saved = json_get<Json>(h, "config", file), wanted = settings_json(config);
        saved.erase("steps");
        wanted.erase("steps");
        require(saved == wanted, file, "was trained with other settings than the ones given");
        Distiller d(data, config, checkpoint);
        const std::vector<T>& values = ck.array("parameters", file);
        require_size(file, "parameter array", values.size(), d.net_.parameters().size());
        std::copy(values.begin(), values.end(), d.net_.parameters().values().begin());
        d.loop_.restore(ck, checkpoint);
        for (const Json& r : json_get<Json>(h, "history", file))
            d.history_.push_back(step_record_from_json(r, file));
        for (const Json& r : json_get<Json>(h, "monitor", file))
            d.monitor_.push_back({json_get<std::uint64_t>(r, "step", file),
                                  json_get<double>(r, "cca_train", file),
                                  json_get<double>(r, "cca_heldout", file)});
        return d;
    }

    /// The network saved in the student checkpoint `ck` (read from `file`) with its trained
    /// weights: no optimizer state and no data, to be run on new counts scaled by the
    /// checkpoint's "input_gain".
    static Network saved_network(const Checkpoint<T>& ck, const std::string& file) {
        const Json& h = ck.header;
        require(json_get<std::string>(h, "kind", file) == checkpoint_kind, file, "is a '",
                json_get<std::string>(h, "kind", file), "' checkpoint, not a student's");
        require(json_get<std::string>(h, "policies", file) == policy_names(), file,
                "was trained with policies '", json_get<std::string>(h, "policies", file),
                "', this student uses '", policy_names(), "'");
        const DistillConfig config =
            read_settings<DistillConfig>(json_get<Json>(h, "config", file), file + ": config");
        const Index inputs = json_get<Index>(h, "inputs", file);
        const Index latent = json_get<Index>(h, "latent_dim", file);
        Network net =
            make_network(config, inputs, config.readout_dim > 0 ? config.readout_dim : latent);
        const std::vector<T>& values = ck.array("parameters", file);
        require_size(file, "parameter array", values.size(), net.parameters().size());
        std::copy(values.begin(), values.end(), net.parameters().values().begin());
        return net;
    }

    /// One optimizer step on a fresh batch of training windows; returns its record.
    const StepRecord& step() {
        loop_.step(*this);
        return history_.back();
    }

    /// Runs the remaining steps with a progress bar, monitoring and checkpointing on schedule
    /// and checkpointing once more after the final step (progress and checkpoints: rank 0's).
    void train(ProgressStyle style = progress_style()) {
        const bool root = exchange_->rank() == 0;
        const bool checkpoints = !checkpoint_.empty() && root;
        loop_.run(*this, root ? style : ProgressStyle::quiet, config_.steps,
                  train::Every{config_.eval_every, false, [&] { monitor(); }},
                  train::Every{checkpoints ? config_.checkpoint_every : 0, checkpoints,
                               [&] { save_checkpoint(checkpoint_); }});
    }

    /// Records the monitored held-out CCA at the current step (see MonitorRecord); every process
    /// sharing the steps computes the same record.
    const MonitorRecord& monitor() {
        const DistillData& d = *data_;
        const auto run = [&](const std::vector<data::RowRange>& runs, std::uint32_t site) {
            Tensor<T, 3> inputs;
            Tensor<double, 3> targets;
            assemble_batch(inputs, targets, d,
                           sample_windows(runs, config_.window_bins, config_.monitor_windows,
                                          config_.seed, site, 0),
                           config_.window_bins);
            const Tensor<T, 3>& y = net_.forward(inputs, lif::InputKind::binned_counts);
            return std::pair{detail::loss_rows(y, config_.burn_in_bins),
                             detail::loss_rows(targets, config_.burn_in_bins)};
        };
        const auto [x_train, z_train] = run(d.split.train, streams::distill_sites::monitor_train);
        const auto [x_test, z_test] =
            run(d.split.validation, streams::distill_sites::monitor_heldout);
        MonitorRecord m;
        m.step = loop_.steps_done();
        if (x_train.allFinite() && x_test.allFinite() &&
            (x_train.rowwise() - x_train.colwise().mean()).squaredNorm() > 0.0) {
            const cca::CcaOptions options{config_.eval_cca_ridge};
            const cca::HeldoutCca h = cca::heldout_cca(x_train, z_train, x_test, z_test, options);
            m.cca_train = h.model.correlations.mean();
            m.cca_heldout = h.mean_cca;
        }
        monitor_.push_back(m);
        return monitor_.back();
    }

    void save_checkpoint(const std::filesystem::path& path) {
        Json header;
        header["kind"] = checkpoint_kind;
        header["policies"] = policy_names();
        header["config"] = settings_json(config_);
        header["data_fingerprint"] = detail::fingerprint(*data_);
        header["inputs"] = data_->inputs();
        header["latent_dim"] = data_->latent_dim();
        header["blocks"] = net_.parameters().layout().to_json();
        header["input_gain"] = jepasnn::to_json(data_->input_gain);
        Json history = history_json();
        header["history"] = std::move(history["steps"]);
        header["monitor"] = std::move(history["monitor"]);
        loop_.save_checkpoint(path, std::move(header),
                              {{"parameters", net_.parameters().values()}});
    }

    Network& network() { return net_; }
    const Network& network() const { return net_; }
    const DistillConfig& config() const { return config_; }
    const DistillData& data() const { return *data_; }
    std::uint64_t steps_done() const { return loop_.steps_done(); }
    const std::vector<StepRecord>& history() const { return history_; }
    const std::vector<MonitorRecord>& monitor_history() const { return monitor_; }
    /// history.json: {"steps": [StepRecord...], "monitor": [MonitorRecord...]}.
    Json history_json() const {
        Json h = {{"steps", Json::array()}, {"monitor", Json::array()}};
        for (const StepRecord& r : history_)
            h["steps"].push_back(to_json(r));
        for (const MonitorRecord& r : monitor_)
            h["monitor"].push_back(to_json(r));
        return h;
    }

    /// "scalar/surrogate/sign/rate/regularizer/synapse/reset": what a checkpoint must match.
    static std::string policy_names() {
        std::string s = std::is_same_v<T, float> ? "float32" : "float64";
        for (std::string_view n :
             {Policies::Surrogate::name, Policies::Sign::name, Rate::name, Regularizer::name,
              Policies::Synapse::name, Policies::Reset::name})
            s.append("/").append(n);  // not "/" + string: GCC 12 warns falsely (-Wrestrict)
        return s;
    }

    // ---- train::Objective ----------------------------------------------------------------------
    std::span<T> parameters() { return net_.parameters().values(); }
    std::span<T> gradients() { return net_.parameters().gradients(); }
    StepRecord loss_and_gradient(std::uint64_t s) {
        const ShardPlan plan(config_.batch, config_.shards);
        own_ = prefetch_.take(s, s + 1 < config_.steps,
                              [this, plan](std::uint64_t step) { return own_shards(plan, step); });
        const StepRecord r = step_on_shards(plan);
        prefetch_.end_step();  // nothing else reads the store while a batch is being read
        return r;
    }
    void after_update(std::uint64_t) { net_.project(); }
    void record(const StepRecord& r) { history_.push_back(r); }
    std::string status() const {
        if (history_.empty()) return {};
        const StepRecord& r = history_.back();
        std::ostringstream status;
        status.precision(3);
        status << "loss " << r.loss << " cca " << r.mean_cca << " E " << r.rate_exc_hz << " Hz I "
               << r.rate_inh_hz << " Hz";
        status << prefetch_.wait_status();
        return status.str();
    }

    /// Shares every step with the other processes of `exchange` (dist::MpiShards: one per MPI
    /// rank), each computing its own shards of the batch: the run is bitwise the one-process run
    /// with the same config for any number of processes up to config().shards. Progress and
    /// checkpoints are then rank 0's. A collective: every process calls it, and a config that
    /// cannot be shared is refused on every process alike (ShardExchange::agree).
    void share_steps(std::shared_ptr<const train::ShardExchange> exchange) {
        require(exchange != nullptr, "distill::Distiller", "no shard exchange given");
        exchange->agree([&] {
            require(exchange->processes() <= config_.shards, "distill::Distiller", "a step of ",
                    config_.shards,
                    " shards (distillation setting \"shards\") cannot be shared by ",
                    exchange->processes(), " processes; set shards >= processes");
        });
        exchange_ = std::move(exchange);
    }

  private:
    /// This process's shards of a step's batch: inputs (b_s, W, F) and targets (b_s, W, d).
    struct ShardBatches {
        std::vector<Tensor<T, 3>> inputs;
        std::vector<Tensor<double, 3>> targets;
    };

    /// The windows of step `step`, drawn by global sample id (independent of the shards), cut
    /// into this process's shards.
    ShardBatches own_shards(const ShardPlan& plan, std::uint64_t step) const {
        const std::vector<Index> starts = sample_windows(
            data_->split.train, config_.window_bins, config_.batch, config_.seed,
            streams::distill_sites::train_windows, step * std::uint64_t(config_.batch));
        const auto [first, last] = exchange_->own(ShardTree(plan.shards));
        ShardBatches b;
        b.inputs.resize(static_cast<std::size_t>(last - first));
        b.targets.resize(b.inputs.size());
        for (std::int64_t s = first; s < last; ++s) {
            const auto i = static_cast<std::size_t>(s - first);
            const auto from = starts.begin() + plan.first(s);
            assemble_batch(b.inputs[i], b.targets[i], *data_,
                           std::vector<Index>(from, from + plan.count(s)), config_.window_bins);
        }
        return b;
    }

    /// Loss and gradients of the batch whose own shards are in own_. Each shard runs its own
    /// forward and backward; they meet where the batch couples them: the spike counts (rates and
    /// homeostasis are the batch's), the Deep CCA column sums and covariances, and the parameter
    /// gradients are added over shards in ShardTree's order. With one shard this is the whole
    /// batch's step, bit for bit. A process holding several shards runs the forward of all but
    /// its first twice (the network's tape holds one shard).
    StepRecord step_on_shards(const ShardPlan& plan) {
        const ShardTree tree(plan.shards);
        const auto [first, last] = exchange_->own(tree);
        const std::size_t own = own_.inputs.size();
        lif::ForwardOptions<T> options;
        if (config_.bptt_truncate_bins > 0)
            options.bptt = {config_.bptt_truncate_bins * net_.config().steps_per_bin, true};
        std::int64_t cached = -1;  // the shard the network's tape holds
        const auto forward_shard = [&](std::int64_t s) {
            net_.forward(own_.inputs[static_cast<std::size_t>(s - first)],
                         lif::InputKind::binned_counts, options);
            cached = s;
        };

        // Each own shard's forward, last first so that the tape ends on the first.
        readouts_.resize(own);
        counts_.resize(own);
        exchange_->agree([&] {
            for (std::int64_t s = last - 1; s >= first; --s) {
                forward_shard(s);
                const auto i = static_cast<std::size_t>(s - first);
                readouts_[i] = net_.readout();
                counts_[i] = net_.spike_counts();
            }
        });
        const auto sum = [&](const train::ShardLeaf<double>& leaf, std::span<double> out) {
            exchange_->sum(tree, leaf, out);
        };
        Vector<double> counts(net_.neurons());  // (N) spikes of the whole batch
        sum(
            [&](std::int64_t s, std::span<double> out) {
                const Vector<double>& c = counts_[static_cast<std::size_t>(s - first)];
                std::copy(c.data(), c.data() + c.size(), out.begin());
            },
            std::span<double>(counts.data(), static_cast<std::size_t>(counts.size())));
        const auto share = [&](std::int64_t s) { net_.share_batch(counts, plan.items, s == 0); };
        share(cached);

        const CcaLossTerm cca = cca_loss_shards(
            d_readouts_, CcaShards<T>{readouts_, own_.targets, first, plan.items, sum},
            {config_.burn_in_bins, config_.cca_ridge, config_.cca_weight});
        StepRecord r;
        r.cca_loss = cca.loss;
        r.mean_cca = cca.mean_cca;
        r.homeostasis = static_cast<double>(net_.homeostasis_penalty());
        r.regularization = static_cast<double>(net_.regularization_penalty());
        r.loss = r.cca_loss + r.homeostasis + r.regularization;
        const Index ne = net_.config().excitatory;
        r.rate_exc_hz = static_cast<double>(net_.rates().head(ne).mean());
        r.rate_inh_hz =
            net_.config().inhibitory > 0
                ? static_cast<double>(net_.rates().tail(net_.config().inhibitory).mean())
                : 0.0;
        if (!cca.finite || !std::isfinite(r.loss)) {
            r.loss = std::numeric_limits<double>::quiet_NaN();  // the loop stops on it
            return r;
        }

        // Each shard's backward from its dL/d(readout); the gradients added.
        gradient_sum_.resize(net_.parameters().size());
        exchange_->sum(tree, train::ShardLeaf<T>([&](std::int64_t s, std::span<T> out) {
                           if (cached != s) {
                               forward_shard(s);
                               share(s);
                           }
                           net_.parameters().zero_gradients();
                           net_.backward(d_readouts_[static_cast<std::size_t>(s - first)]);
                           const auto g = net_.parameters().gradients();
                           std::copy(g.begin(), g.end(), out.begin());
                       }),
                       std::span<T>(gradient_sum_));
        std::copy(gradient_sum_.begin(), gradient_sum_.end(),
                  net_.parameters().gradients().begin());
        return r;
    }

    static train::LoopSettings loop_settings(const DistillConfig& c,
                                             const std::filesystem::path& checkpoint) {
        return {"distill",
                c.steps,
                c.clip_norm,
                {c.learning_rate, c.warmup_steps, c.steps, c.final_learning_rate},
                !checkpoint.empty()};
    }

    static Network make_network(const DistillConfig& c, Index inputs, Index readout) {
        return Network(c.network(inputs, readout), c.seed, typename Policies::Surrogate{},
                       typename Policies::Sign{}, c.rate_penalties.template get<Rate>(),
                       c.weight_regularizers.template get<Regularizer>());
    }

    static Index readout_dim(const DistillConfig& c, const DistillData& d) {
        return c.readout_dim > 0 ? c.readout_dim : d.latent_dim();
    }

    static DistillConfig validated(const DistillConfig& c, const DistillData& d) {
        constexpr const char* where = "distill::Distiller";
        c.validate(where);
        const Index rows = c.batch * (c.window_bins - c.burn_in_bins);
        const Index width = std::max(readout_dim(c, d), d.latent_dim());
        require(rows > width, where, "a batch holds ", rows, " loss rows (batch ", c.batch,
                " x (window_bins - burn_in_bins)), expected more than the latent width ", width,
                " (Deep CCA needs batch >> latent dimension)");
        require(c.monitor_windows * (c.window_bins - c.burn_in_bins) > width, where,
                "the monitor batch is too small for CCA of width ", width);
        return c;
    }

    static nn::AdamWConfig adam_config() {
        nn::AdamWConfig a;
        a.weight_decay = 0.0;  // weight penalties come from the Regularizer policy
        return a;
    }

    static StepRecord step_record_from_json(const Json& j, const std::string& file) {
        StepRecord r;
        r.step = json_get<std::uint64_t>(j, "step", file);
        r.loss = json_get<double>(j, "loss", file);
        r.cca_loss = json_get<double>(j, "cca_loss", file);
        r.mean_cca = json_get<double>(j, "mean_cca", file);
        r.homeostasis = json_get<double>(j, "homeostasis", file);
        r.regularization = json_get<double>(j, "regularization", file);
        r.rate_exc_hz = json_get<double>(j, "rate_exc_hz", file);
        r.rate_inh_hz = json_get<double>(j, "rate_inh_hz", file);
        r.learning_rate = json_get<double>(j, "learning_rate", file);
        r.grad_norm = json_get<double>(j, "grad_norm", file);
        return r;
    }

    const DistillData* data_;
    DistillConfig config_;
    std::filesystem::path checkpoint_;
    Network net_;
    train::Loop<T> loop_;
    std::vector<StepRecord> history_;
    std::vector<MonitorRecord> monitor_;
    ShardBatches own_;                      // this step's own shards
    std::vector<Tensor<T, 3>> readouts_;    // (b_s, W, D) of each own shard
    std::vector<Tensor<T, 3>> d_readouts_;  // (b_s, W, D) dL/d(readout) of each own shard
    std::vector<Vector<double>> counts_;    // (N) spikes of each own shard
    std::vector<T> gradient_sum_;           // (parameters) summed over every shard
    train::Prefetcher<ShardBatches> prefetch_{config_.prefetch};
    std::shared_ptr<const train::ShardExchange> exchange_ =
        std::make_shared<const train::LocalShards>();
};

}  // namespace jepasnn::distill
