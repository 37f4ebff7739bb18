// The LeJEPA teacher on binned spikes (DESIGN.md, "Teacher"): per-session read-in → LayerNorm →
// dropout → causal encoder → z_t; a predictor maps z_{≤t} to ẑ_{t+1..t+K}; the loss is
//   (1 − λ)·L_pred + λ·R(z),   L_pred = mean over anchors t ≥ burn-in, horizons k, dims of
//   (ẑ_{t,k} − z_{t+k+1})²,
// with gradients flowing into both the prediction and its target (no stop-gradient) unless the
// regulariser asks for an EMA target encoder. Scalar type, encoder kind and regulariser are
// template parameters; sizes are runtime (ModelConfig).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/json.hpp"
#include "../core/streams.hpp"
#include "../nn/dropout.hpp"
#include "../nn/layer_norm.hpp"
#include "../nn/parameters.hpp"
#include "../nn/session_readin.hpp"
#include "../train/shard_exchange.hpp"
#include "batch.hpp"
#include "config.hpp"
#include "encoder.hpp"
#include "predictor.hpp"
#include "regularizers.hpp"

namespace jepasnn::jepa {

struct LossParts {
    double total = 0.0;
    double prediction = 0.0;   // L_pred
    double regularizer = 0.0;  // R(z)
};

/// Which parameter gradients forward_backward accumulates.
enum class Gradients {
    all,          // training the teacher
    readin_only,  // fitting a held-out session's read-in with everything else frozen
};

template <class T>
constexpr std::string_view scalar_name() {
    if constexpr (std::is_same_v<T, float>)
        return "float32";
    else
        return "float64";
}

template <class T = float, template <class> class Encoder = GruEncoder,
          template <class> class Regularizer = SigRegRegularizer>
class LeJepa {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "LeJepa<T, ...>: T must be float (training) or double (gradient checks)");
    static_assert(CausalEncoder<Encoder<T>, T>,
                  "LeJepa: Encoder<T> must satisfy jepa::CausalEncoder (forward, backward, "
                  "forward_stream, Stream, start_stream, name; see encoder.hpp)");
    static_assert(LatentRegularizer<Regularizer<T>, T>,
                  "LeJepa: Regularizer<T> must satisfy jepa::LatentRegularizer (forward, backward, "
                  "name, uses_target_encoder, config_json, from_json; see regularizers.hpp)");

  public:
    using Scalar = T;
    using EncoderType = Encoder<T>;
    using RegularizerType = Regularizer<T>;
    static constexpr bool uses_target_encoder = RegularizerType::uses_target_encoder;

    explicit LeJepa(ModelConfig config, RegularizerType regularizer = RegularizerType{})
        : config_(std::move(config)), regularizer_(std::move(regularizer)) {
        config_.validate_model();
        build();
        params_.initialize(config_.init_seed, streams::jepa_init);
        if constexpr (uses_target_encoder) target_params_ = params_;
    }

    const ModelConfig& config() const { return config_; }
    nn::Parameters<T>& parameters() { return params_; }
    const nn::Parameters<T>& parameters() const { return params_; }
    /// The EMA copy (same layout); equal to parameters() unless the regulariser uses one.
    nn::Parameters<T>& target_parameters() {
        return uses_target_encoder ? target_params_ : params_;
    }
    RegularizerType& regularizer() { return regularizer_; }
    const RegularizerType& regularizer() const { return regularizer_; }
    std::size_t sessions() const { return config_.session_units.size(); }

    /// Everything needed to rebuild this model: kinds, scalar, sizes, regulariser settings.
    Json describe() const {
        return {{"encoder", EncoderType::name},
                {"regularizer", RegularizerType::name},
                {"scalar", scalar_name<T>()},
                {"config", settings_json(config_)},
                {"regularizer_config", regularizer_.config_json()}};
    }

    /// [offset, offset + size) of session s's read-in (W_s then b_s) in the flat buffer.
    std::pair<std::size_t, std::size_t> readin_range(std::size_t s) const {
        require(s < sessions(), "jepa::LeJepa::readin_range", "session ", s, " out of range for ",
                sessions(), " sessions");
        return {readin_.weight(s).offset, readin_.weight(s).size() + readin_.bias(s).size()};
    }

    /// Adds a session with `units` units (a held-out recording); its read-in is initialised from
    /// `seed`, every other parameter keeps its value. Returns the new session's index.
    std::size_t add_session(Index units, std::uint64_t seed) {
        require(units > 0, "jepa::LeJepa::add_session", "session has ", units,
                " units, expected > 0");
        const nn::Parameters<T> old = params_;
        const nn::Parameters<T> old_target = target_params_;
        config_.session_units.push_back(units);
        build();
        params_.initialize(seed, streams::jepa_init);
        for (const auto& b : old.layout().blocks()) {
            params_.value(params_.layout().find(b.name)) = old.value(b);
        }
        if constexpr (uses_target_encoder) {
            target_params_ = params_;
            for (const auto& b : old_target.layout().blocks())
                target_params_.value(target_params_.layout().find(b.name)) = old_target.value(b);
        }
        return sessions() - 1;
    }

    /// Adds a session whose read-in is a copy of session `source`'s (same units; the EMA copy too):
    /// the starting point of adapting a read-in to one brain state. Returns the new index.
    std::size_t clone_session(std::size_t source) {
        require(source < sessions(), "jepa::LeJepa::clone_session", "session ", source,
                " out of range for ", sessions(), " sessions");
        const std::size_t s = add_session(config_.session_units[source], config_.init_seed);
        const auto copy = [&](nn::Parameters<T>& p) {
            p.value(readin_.weight(s)) = p.value(readin_.weight(source));
            p.value(readin_.bias(s)) = p.value(readin_.bias(source));
        };
        copy(params_);
        if constexpr (uses_target_encoder) copy(target_params_);
        return s;
    }

    /// Loss of a batch; adds its gradients into parameters().gradients() (zero them first). The
    /// step keys dropout and SIGReg's directions.
    LossParts forward_backward(const Batch<T>& batch, const RegularizerContext& ctx,
                               Gradients mode = Gradients::all) {
        check_batch(batch);
        const LossParts loss = forward(batch, ctx, true);
        backward(batch, mode);
        return loss;
    }

    /// The loss of a step's global batch split into shards (plan: plan.items windows in
    /// plan.shards shards), with its gradient set into parameters().gradients(), for one of the
    /// processes that share the step through `exchange`: `own` holds its shards,
    /// exchange.own(tree) in order, each the Batch of that shard's windows. Each shard runs its
    /// own forward and backward; they meet where the batch couples them: the squared prediction
    /// errors are summed over shards; the brain states are gathered; the regulariser is reduced
    /// over shards (a ShardedRegularizer, e.g. SIGReg: each process evaluates its own latents and
    /// only sums over shards are exchanged) or, for any other regulariser, the latents and their
    /// prediction gradients are gathered and every process evaluates it on the whole batch
    /// (time-major, shard after shard); and the shards' parameter gradients are summed in
    /// ShardTree's order.
    /// The result depends on plan.shards, never on the number of processes, and with one shard it
    /// is forward_backward's, bit for bit. A process holding several shards runs the forward of
    /// all but its first twice (the layers cache one shard).
    LossParts forward_backward_shards(std::span<const Batch<T>> own, const ShardPlan& plan,
                                      const train::ShardExchange& exchange,
                                      const RegularizerContext& ctx) {
        constexpr std::string_view where = "jepa::LeJepa::forward_backward_shards";
        const ShardTree tree(plan.shards);
        const auto [first, last] = exchange.own(tree);
        require(std::ssize(own) == last - first, where, "given ", own.size(), " shards, expected ",
                last - first, " (", first, "..", last, ")");
        require(plan.items >= plan.shards, where, "a batch of ", plan.items, " windows in ",
                plan.shards, " shards: expected at least one window per shard");
        const Index steps = own.front().steps, batch = plan.items;
        const Index count = prediction_count(steps, batch);
        const auto shard = [&](std::int64_t s) -> const Batch<T>& {
            return own[static_cast<std::size_t>(s - first)];
        };
        std::int64_t cached = -1;  // the shard the layers' caches hold
        const auto forward_shard = [&](std::int64_t s) {
            RegularizerContext c = ctx;
            c.part = static_cast<std::uint64_t>(s);
            forward_layers(shard(s), c, true);
            prediction_backward(shard(s), count);
            cached = s;
        };

        // Each own shard's forward: its squared errors, used latents, their ∂L_pred/∂z and its
        // states. Last shard first, so that the caches end on the first, whose gradient is
        // summed first.
        const Index used = steps - config_.burn_in;
        std::vector<double> squared(own.size());
        z_own_.resize(own.size());
        dz_own_.resize(own.size());
        shard_offset_.resize(own.size());
        shard_size_.resize(own.size());
        std::vector<T> own_states;  // shard by shard, time-major (t·b_s + j)
        std::vector<std::size_t> at(own.size() + 1, 0);
        for (std::int64_t s = first; s < last; ++s)
            at[static_cast<std::size_t>(s - first + 1)] =
                at[static_cast<std::size_t>(s - first)] +
                static_cast<std::size_t>(steps * plan.count(s));
        own_states.resize(at.back());
        exchange.agree([&] {
            for (std::int64_t s = last - 1; s >= first; --s) {
                const Batch<T>& b = shard(s);
                check_batch(b);
                require(b.steps == steps && b.size == plan.count(s), where, "shard ", s, " has ",
                        b.size, " windows of ", b.steps, " bins, expected ", plan.count(s), " of ",
                        steps);
                forward_shard(s);
                const auto i = static_cast<std::size_t>(s - first);
                squared[i] = prediction_squared(b);
                z_own_[i] = used_rows(z_, b);
                dz_own_[i] = used_rows(dz_, b);
                shard_offset_[i] = plan.first(s);
                shard_size_[i] = b.size;
                for (Index r = 0; r < steps * b.size; ++r)
                    own_states[at[i] + static_cast<std::size_t>(r)] =
                        b.states.empty() ? T(-1)  // no labels
                                         : static_cast<T>(b.states[static_cast<std::size_t>(r)]);
            }
        });

        // The whole batch's states, the same in every process: time-major, shard s's row
        // t·b_s + j at row t·B + first(s) + j.
        std::vector<T> batch_states(static_cast<std::size_t>(steps * batch));
        exchange.gather(std::span<const T>(own_states), std::span<T>(batch_states));
        states_all_.resize(batch_states.size());
        bool labelled = true;
        const T* value = batch_states.data();
        for (std::int64_t s = 0; s < plan.shards; ++s)
            for (Index t = 0; t < steps; ++t)
                for (Index j = 0; j < plan.count(s); ++j, ++value) {
                    labelled = labelled && *value >= T(0);
                    states_all_[static_cast<std::size_t>(t * batch + plan.first(s) + j)] =
                        static_cast<std::uint8_t>(std::max(*value, T(0)));
                }

        LossParts loss;
        double squared_total = 0.0;
        exchange.sum(tree, train::ShardLeaf<double>([&](std::int64_t s, std::span<double> v) {
                         v[0] = squared[static_cast<std::size_t>(s - first)];
                     }),
                     std::span<double>(&squared_total, 1));
        loss.prediction = squared_total / static_cast<double>(count);
        RegularizerContext rctx = ctx;
        rctx.batch = batch;
        if (labelled)
            rctx.states = std::span<const std::uint8_t>(states_all_)
                              .last(static_cast<std::size_t>(used * batch));
        if constexpr (ShardedRegularizer<RegularizerType, T>) {
            const ShardedLatents<T> latents{
                z_own_, shard_offset_, shard_size_, first,
                [&](const train::ShardLeaf<double>& leaf, std::span<double> out) {
                    exchange.sum(tree, leaf, out);
                }};
            loss.regularizer = regularizer_.forward_shards(latents, rctx);
            regularizer_.backward_shards(std::span<RowMatrix<T>>(dz_own_), config_.lambda);
        } else {
            loss.regularizer = regularize_gathered(plan, exchange, rctx);
        }
        loss.total = (1.0 - config_.lambda) * loss.prediction + config_.lambda * loss.regularizer;

        // Each shard's backward from its ∂L/∂z; the gradients summed.
        gradient_sum_.resize(params_.size());
        exchange.sum(tree, train::ShardLeaf<T>([&](std::int64_t s, std::span<T> out) {
                         const Batch<T>& b = shard(s);
                         if (cached != s) forward_shard(s);
                         used_rows(dz_, b) = dz_own_[static_cast<std::size_t>(s - first)];
                         params_.zero_gradients();
                         backward_layers(b, Gradients::all);
                         const auto g = params_.gradients();
                         std::copy(g.begin(), g.end(), out.begin());
                     }),
                     std::span<T>(gradient_sum_));
        std::copy(gradient_sum_.begin(), gradient_sum_.end(), params_.gradients().begin());
        return loss;
    }

    /// Loss of a batch without dropout and without gradients (validation).
    LossParts evaluate(const Batch<T>& batch, const RegularizerContext& ctx) {
        check_batch(batch);
        return forward(batch, ctx, false);
    }

    /// z (L·B, D) of the last forward_backward or evaluate, time-major (row t·B + b).
    const RowMatrix<T>& last_latents() const { return z_; }

    /// θ̄ ← τ·θ̄ + (1 − τ)·θ after an optimizer step (EMA variant only; otherwise nothing).
    void update_target() {
        if constexpr (uses_target_encoder) {
            const double tau = regularizer_.target_decay();
            auto target = target_params_.values();
            const auto online = params_.values();
            for (std::size_t i = 0; i < target.size(); ++i)
                target[i] = static_cast<T>(tau * target[i] + (1.0 - tau) * online[i]);
        }
    }

    /// Latents z (bins × D) of a whole recording x (bins × U_s) of session s, encoded causally in
    /// chunks of `chunk` bins (memory stays bounded; the result equals one long forward).
    RowMatrix<T> encode(std::size_t session, nn::ConstMatRef<T> x,
                        Index chunk = stream_block_rows) {
        return encode(
            session, x.rows(),
            [&](Index first, Index rows) -> RowMatrix<T> { return x.middleRows(first, rows); },
            chunk);
    }

    /// The same for a recording of `bins` bins whose input is read a chunk at a time:
    /// `input(first, rows)` gives bins [first, first + rows) (rows × U_s), so only one chunk of
    /// the input is ever in memory.
    template <class Input>
    RowMatrix<T> encode(std::size_t session, Index bins, Input&& input,
                        Index chunk = stream_block_rows) {
        RowMatrix<T> z(bins, config_.latent);
        encode_chunks(
            session, bins, std::forward<Input>(input),
            [&](Index first, const RowMatrix<T>& zc) { z.middleRows(first, zc.rows()) = zc; },
            chunk);
        return z;
    }

    /// The latents a chunk at a time: `output(first, z)` receives bins [first, first + z.rows())
    /// in order, so neither the input nor the latents of the whole recording need be held.
    template <class Input, class Output>
    void encode_chunks(std::size_t session, Index bins, Input&& input, Output&& output,
                       Index chunk = stream_block_rows) {
        require(session < sessions(), "jepa::LeJepa::encode", "session ", session,
                " out of range for ", sessions(), " sessions");
        require(chunk >= 1, "jepa::LeJepa::encode", "chunk is ", chunk, ", expected >= 1");
        auto stream = encoder_.start_stream(1);
        const nn::SessionSlice slice{session, 0, 1};
        std::vector<RowMatrix<T>> in(1);
        RowMatrix<T> readin, normed, zc;
        for (Index r0 = 0; r0 < bins; r0 += chunk) {
            const Index rows = std::min(chunk, bins - r0);
            in[0] = input(r0, rows);
            require_shape("jepa::LeJepa::encode", "recording", in[0], -1, readin_.units(session));
            require(in[0].rows() == rows, "jepa::LeJepa::encode", "input of bins ", r0, "..",
                    r0 + rows, " has ", in[0].rows(), " rows");
            readin_.forward(readin, in, std::span(&slice, 1), 1, params_);
            norm_.forward(normed, readin, params_);
            encoder_.forward_stream(zc, normed, stream, params_);
            output(r0, std::as_const(zc));
        }
    }

  private:
    /// Declares every layer's parameters, in order: read-in, LayerNorm, encoder, predictor.
    void build() {
        nn::ParameterLayout layout;
        readin_ = nn::SessionReadIn<T>(layout, "readin", config_.session_units, config_.hidden);
        norm_ = nn::LayerNorm<T>(layout, "readin_norm", config_.hidden);
        dropout_ = nn::Dropout<T>(config_.dropout, streams::jepa_dropout);
        encoder_ = EncoderType(layout, config_, "encoder");
        predictor_ = Predictor<T>(layout, config_, "predictor");
        params_ = nn::Parameters<T>(layout);
        if constexpr (uses_target_encoder) {
            target_encoder_ = encoder_;
            target_params_ = nn::Parameters<T>(layout);
        }
    }

    /// read-in → LayerNorm → dropout → encoder, with the given parameters and encoder object.
    void embed(RowMatrix<T>& z, const Batch<T>& b, const nn::Parameters<T>& p, EncoderType& enc,
               const RegularizerContext& ctx, bool training) {
        readin_.forward(x_readin_, b.inputs, b.slices, b.size, p);
        norm_.forward(x_norm_, x_readin_, p);
        dropout_.forward(x_in_, x_norm_, ctx.seed, ctx.step, training, ctx.part);
        enc.forward(z, x_in_, b.size, p);
    }

    void check_batch(const Batch<T>& b) const {
        require(b.steps >= config_.min_window(), "jepa::LeJepa", "windows have ", b.steps,
                " bins, expected at least burn_in + 2 = ", config_.min_window());
        require(b.inputs.size() == b.slices.size() && !b.inputs.empty() &&
                    b.inputs[0].rows() == b.steps * b.slices[0].count,
                "jepa::LeJepa", "batch inputs do not match its slices and window length ", b.steps);
    }

    /// Calls f(k, rows, pred_row, next_row) for each horizon k that has anchors: the anchors
    /// t ∈ [w0, L − 1 − k) are, in the time-major layout, the `rows` rows from pred_row of ẑ's
    /// k-th D-column block, and their targets the `rows` rows from next_row of z.
    template <class F>
    void for_each_horizon(Index steps, Index batch, F&& f) const {
        const Index w0 = config_.burn_in;
        for (Index k = 0; k < config_.horizon; ++k) {
            const Index anchors = steps - 1 - k - w0;
            if (anchors <= 0) break;
            f(k, anchors * batch, w0 * batch, (w0 + k + 1) * batch);
        }
    }

    /// forward_backward_shards' regulariser when it has no data-parallel form: the own shards'
    /// used latents and ∂L_pred/∂z gathered, the regulariser evaluated on the whole batch in
    /// every process, its gradient added to dz_own_.
    double regularize_gathered(const ShardPlan& plan, const train::ShardExchange& exchange,
                               const RegularizerContext& rctx) {
        const Index d = config_.latent, width = 2 * d;
        const Index used = z_own_.front().rows() / shard_size_.front(), batch = plan.items;
        shard_rows_.clear();
        for (std::size_t i = 0; i < z_own_.size(); ++i)
            for (Index r = 0; r < z_own_[i].rows(); ++r) {
                shard_rows_.insert(shard_rows_.end(), z_own_[i].row(r).data(),
                                   z_own_[i].row(r).data() + d);
                shard_rows_.insert(shard_rows_.end(), dz_own_[i].row(r).data(),
                                   dz_own_[i].row(r).data() + d);
            }
        batch_rows_.resize(static_cast<std::size_t>(used * batch * width));
        exchange.gather(std::span<const T>(shard_rows_), std::span<T>(batch_rows_));
        z_all_.resize(used * batch, d);
        dz_all_.resize(used * batch, d);
        const T* row = batch_rows_.data();
        for (std::int64_t s = 0; s < plan.shards; ++s)
            for (Index t = 0; t < used; ++t)
                for (Index j = 0; j < plan.count(s); ++j, row += width) {
                    const Index r = t * batch + plan.first(s) + j;
                    std::copy_n(row, d, z_all_.row(r).data());
                    std::copy_n(row + d, d, dz_all_.row(r).data());
                }
        const double value = regularizer_.forward(z_all_, rctx);
        regularizer_.backward(dz_all_, config_.lambda);
        for (std::size_t i = 0; i < dz_own_.size(); ++i)
            for (Index t = 0; t < used; ++t)
                for (Index j = 0; j < shard_size_[i]; ++j)
                    dz_own_[i].row(t * shard_size_[i] + j) =
                        dz_all_.row(t * batch + shard_offset_[i] + j);
        return value;
    }

    /// Elements averaged by L_pred.
    Index prediction_count(Index steps, Index batch) const {
        Index count = 0;
        for_each_horizon(steps, batch,
                         [&](Index, Index rows, Index, Index) { count += rows * config_.latent; });
        return count;
    }

    /// The latents the regulariser sees: every step after the burn-in.
    nn::MatRef<T> used_rows(RowMatrix<T>& m, const Batch<T>& b) const {
        return used_rows(m, b.steps, b.size);
    }
    nn::MatRef<T> used_rows(RowMatrix<T>& m, Index steps, Index batch) const {
        return m.bottomRows((steps - config_.burn_in) * batch);
    }

    /// Targets of the prediction: the EMA encoder's latents, or the online latents themselves.
    const RowMatrix<T>& prediction_target() const { return uses_target_encoder ? z_target_ : z_; }

    /// read-in → encoder → predictor (the EMA encoder's targets first: the online pass
    /// overwrites shared caches).
    void forward_layers(const Batch<T>& b, const RegularizerContext& ctx, bool training) {
        if constexpr (uses_target_encoder)
            embed(z_target_, b, target_params_, target_encoder_, ctx, false);
        embed(z_, b, params_, encoder_, ctx, training);
        predictor_.forward(zhat_, z_, b.size, params_);
    }

    /// read-in → encoder → predictor, then loss = (1 − λ)·L_pred + λ·R(z).
    LossParts forward(const Batch<T>& b, const RegularizerContext& ctx, bool training) {
        forward_layers(b, ctx, training);
        LossParts loss;
        loss.prediction =
            prediction_squared(b) / static_cast<double>(prediction_count(b.steps, b.size));
        RegularizerContext rctx = ctx;
        rctx.batch = b.size;
        if (!b.states.empty())
            rctx.states =
                std::span(b.states).last(static_cast<std::size_t>(used_rows(z_, b).rows()));
        loss.regularizer = regularizer_.forward(used_rows(z_, b), rctx);
        loss.total = (1.0 - config_.lambda) * loss.prediction + config_.lambda * loss.regularizer;
        return loss;
    }

    /// L_pred's numerator: the squared error of every horizon's predictions at every anchor.
    double prediction_squared(const Batch<T>& b) const {
        const Index d = config_.latent;
        const RowMatrix<T>& target = prediction_target();
        double squared = 0.0;
        for_each_horizon(b.steps, b.size, [&](Index k, Index rows, Index pred_row, Index next_row) {
            const nn::ConstMatRef<T> pred = zhat_.block(pred_row, k * d, rows, d);
            const nn::ConstMatRef<T> next = target.block(next_row, 0, rows, d);
            for (Index r = 0; r < rows; ++r)
                for (Index c = 0; c < d; ++c) {
                    const double e =
                        static_cast<double>(pred(r, c)) - static_cast<double>(next(r, c));
                    squared += e * e;
                }
        });
        return squared;
    }

    /// Gradients of the last forward into params_ (all, or the read-in's only).
    void backward(const Batch<T>& b, Gradients mode) {
        prediction_backward(b, prediction_count(b.steps, b.size));
        regularizer_.backward(used_rows(dz_, b), config_.lambda);
        backward_layers(b, mode);
    }

    /// From dz_ and dzhat_: the predictor's, encoder's, LayerNorm's and read-in's gradients.
    void backward_layers(const Batch<T>& b, Gradients mode) {
        const bool all = mode == Gradients::all;
        predictor_.backward(dz_, dzhat_, b.size, params_, all);
        dx_in_.setZero(x_in_.rows(), x_in_.cols());  // (L·B, H)
        encoder_.backward(dx_in_, dz_, b.size, params_, all);
        dx_norm_.setZero(x_norm_.rows(), x_norm_.cols());
        dropout_.backward(dx_norm_, dx_in_);
        dx_readin_.setZero(x_readin_.rows(), x_readin_.cols());
        norm_.backward(dx_readin_, dx_norm_, x_readin_, params_);
        if (all) norm_.gradient(params_, dx_norm_, x_readin_);
        readin_.gradient(params_, dx_readin_, b.inputs, b.slices, b.size);
    }

    /// ∂L/∂ẑ = (1 − λ)·2(ẑ − z)/count into dzhat_, and minus that into the target rows of dz_
    /// (no stop-gradient; with the EMA target the gradient stops there). `count`: the elements
    /// L_pred averages over the whole batch.
    void prediction_backward(const Batch<T>& b, Index count) {
        const Index d = config_.latent;
        const RowMatrix<T>& target = prediction_target();
        dzhat_.setZero(zhat_.rows(), zhat_.cols());  // (L·B, K·D)
        dz_.setZero(z_.rows(), d);                   // (L·B, D)
        const T g = static_cast<T>(2.0 * (1.0 - config_.lambda) / static_cast<double>(count));
        for_each_horizon(b.steps, b.size, [&](Index k, Index rows, Index pred_row, Index next_row) {
            nn::MatRef<T> dpred = dzhat_.block(pred_row, k * d, rows, d);
            dpred =
                g * (zhat_.block(pred_row, k * d, rows, d) - target.block(next_row, 0, rows, d));
            if constexpr (!uses_target_encoder) dz_.block(next_row, 0, rows, d) -= dpred;
        });
    }

    ModelConfig config_;
    RegularizerType regularizer_;
    nn::SessionReadIn<T> readin_;
    nn::LayerNorm<T> norm_;
    nn::Dropout<T> dropout_;
    EncoderType encoder_, target_encoder_;
    Predictor<T> predictor_;
    nn::Parameters<T> params_, target_params_;
    RowMatrix<T> x_readin_, x_norm_, x_in_;     // (L·B, H)
    RowMatrix<T> z_, z_target_;                 // (L·B, D)
    RowMatrix<T> zhat_;                         // (L·B, K·D)
    RowMatrix<T> dzhat_, dz_;                   // gradients of zhat_, z_
    RowMatrix<T> dx_in_, dx_norm_, dx_readin_;  // (L·B, H)
    // forward_backward_shards: own shards' used latents and their ∂L/∂z, their place in the
    // batch; the batch's states; rows (z | ∂L_pred/∂z) of own shards and of the batch, and the
    // batch's latents and their gradient (regularisers without a data-parallel form); the summed
    // gradient.
    std::vector<RowMatrix<T>> z_own_, dz_own_;  // (used·b_s, D) per own shard
    std::vector<Index> shard_offset_, shard_size_;
    std::vector<std::uint8_t> states_all_;    // (L·B)
    std::vector<T> shard_rows_, batch_rows_;  // (used·b_own, 2D), (used·B, 2D)
    RowMatrix<T> z_all_, dz_all_;             // (used·B, D)
    std::vector<T> gradient_sum_;             // (parameters)
};

/// The default teacher: float32, GRU encoder, SIGReg. (The conv + GRU encoder recovers the
/// simulator's latents worse: its GELU block warps them.)
using Teacher = LeJepa<float, GruEncoder, SigRegRegularizer>;

}  // namespace jepasnn::jepa
