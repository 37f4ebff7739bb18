// Regulariser policies of the teacher's objective, loss = (1 − λ)·L_pred + λ·R(z): SIGReg (the
// main variant: no stop-gradient, no EMA teacher) and the ablations of the original project's
// configs — VICReg, an EMA target encoder with stop-gradient, and none.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../nn/common.hpp"
#include "../train/shard_exchange.hpp"
#include "config.hpp"
#include "sigreg.hpp"
#include "vicreg.hpp"

namespace jepasnn::jepa {

/// What a regulariser is told about the current evaluation.
struct RegularizerContext {
    std::uint64_t seed = 0;  // the run's seed
    std::uint64_t step = 0;  // training step (SIGReg draws its directions from it)
    /// Sequences per time step: z's rows are time-major (row t·batch + b), so rows of one time
    /// step are independent windows while rows of one window are strongly autocorrelated.
    /// 0: every row is an independent sample. (Set by the model.)
    Index batch = 0;
    /// Brain state of each row of z (empty: unknown). Only per-state SIGReg reads it.
    std::span<const std::uint8_t> states = {};
    /// The shard of the step's batch being computed (0 when it is not split): keys the model's
    /// dropout, so that shards draw different masks. (Set by the model.)
    std::uint64_t part = 0;
};

/// A regulariser policy R (a class template on the scalar T, e.g. SigRegRegularizer<float>)
/// provides:
///   double forward(nn::ConstMatRef<T> z, const RegularizerContext&)  value R(z) of z (N × D)
///   void backward(nn::MatRef<T> dz, double scale)   dz += scale·∂R/∂z for the last forward
///   static constexpr std::string_view name
///   static constexpr bool uses_target_encoder  true: prediction targets come from an EMA copy
///       of the encoder with stop-gradient, and R also provides double target_decay() const
///   Json config_json() const, static R from_json(const Json&)   for checkpoints and configs
/// Minimal example (a penalty on the mean squared latent):
///   template <class T> struct MeanSquare {
///       static constexpr std::string_view name = "mean_square";
///       static constexpr bool uses_target_encoder = false;
///       RowMatrix<T> z_;
///       double forward(nn::ConstMatRef<T> z, const RegularizerContext&) {
///           z_ = z; return z.squaredNorm() / z.size(); }
///       void backward(nn::MatRef<T> dz, double s) { dz += z_ * T(2 * s / z_.size()); }
///       Json config_json() const { return Json::object(); }
///       static MeanSquare from_json(const Json&) { return {}; } };
template <class R, class T>
concept LatentRegularizer = requires(R r, const R cr, nn::ConstMatRef<T> z, nn::MatRef<T> dz,
                                     const RegularizerContext& ctx, const Json& j) {
    { r.forward(z, ctx) } -> std::same_as<double>;
    { r.backward(dz, 1.0) } -> std::same_as<void>;
    { R::name } -> std::convertible_to<std::string_view>;
    { R::uses_target_encoder } -> std::convertible_to<bool>;
    { cr.config_json() } -> std::same_as<Json>;
    { R::from_json(j) } -> std::same_as<R>;
}
&&(!R::uses_target_encoder || requires(const R cr) {
    { cr.target_decay() } -> std::convertible_to<double>;
});

/// A process's own shards of a batch's latents (LeJepa::forward_backward_shards): z[i] is shard
/// first + i, its row t·size[i] + j window offset[i] + j of the batch at time step t; sum(leaf,
/// out) sets out to the sum of leaf(s, ·) over every shard of the batch, in a fixed order.
template <class T>
struct ShardedLatents {
    std::span<const RowMatrix<T>> z;
    std::span<const Index> offset, size;
    std::int64_t first = 0;
    std::function<void(const train::ShardLeaf<double>&, std::span<double>)> sum;
};

/// A regulariser with a data-parallel form: each process evaluates its own shards and only sums
/// over shards are exchanged (without it, a data-parallel step gathers the whole batch's latents
/// and every process evaluates the regulariser on all of them).
///   double forward_shards(const ShardedLatents<T>&, const RegularizerContext&)   = forward()
///       of the whole batch
///   void backward_shards(std::span<RowMatrix<T>> dz, double scale)   dz[i] += scale·∂R/∂z[i]
template <class R, class T>
concept ShardedRegularizer = LatentRegularizer<R, T> &&
    requires(R r, const ShardedLatents<T>& latents, const RegularizerContext& ctx,
             std::span<RowMatrix<T>> dz) {
    { r.forward_shards(latents, ctx) } -> std::same_as<double>;
    { r.backward_shards(dz, 1.0) } -> std::same_as<void>;
};

/// SIGReg along M directions drawn for the step (the main LeJEPA objective).
template <class T>
class SigRegRegularizer {
  public:
    static constexpr std::string_view name = "sigreg";
    static constexpr bool uses_target_encoder = false;

    explicit SigRegRegularizer(SigRegConfig config = {}) : config_(config) {
        config_.validate("jepa::SigRegRegularizer");
        knots_ = SigRegKnots::make(config_.knots, config_.t_max, config_.precision);
    }
    const SigRegConfig& config() const { return config_; }

    /// Mean over time steps of SIGReg across the batch's windows at that step (all rows at once
    /// when ctx.batch is 0). Per time step because the Epps–Pulley statistic assumes independent
    /// samples: pooling the autocorrelated bins of a few windows inflates it by roughly the
    /// autocorrelation time and would push the encoder towards fast, unpredictable features.
    /// With config().per_state and ctx.states, a time step's rows are split by brain state and
    /// its value is Σ_k (n_k/N)·T_k over the states' own statistics T_k: each state's latents
    /// must be N(0, I) by themselves, so a state offset or gain is penalised instead of being a
    /// way to spread the pooled latents. Under the null T_k's expectation does not depend on
    /// n_k (the statistic is n·(squared distance), whose sampling part is O(1/n)), so the value
    /// stays on the global statistic's scale and λ keeps its meaning.
    double forward(nn::ConstMatRef<T> z, const RegularizerContext& ctx) {
        const Index rows = ctx.batch > 0 ? ctx.batch : z.rows();
        const std::array<Index, 1> offset{0}, size{rows};
        return evaluate(
            ctx, z.cols(), offset, size, [&](std::size_t) { return z; },
            [](const train::ShardLeaf<double>& leaf, std::span<double> out) { leaf(0, out); }, 0);
    }
    void backward(nn::MatRef<T> dz, double scale) {
        gradient([&](std::size_t) { return dz; }, scale);
    }

    /// forward() of a batch split into shards, from one process's own shards: the
    /// characteristic-function sums of each statistic are summed over every shard of the batch
    /// (latents.sum, a fixed order) before the statistic, as LeJEPA's SIGReg is reduced over
    /// DDP ranks; ctx.batch is the whole batch and ctx.states its labels (all shards').
    double forward_shards(const ShardedLatents<T>& latents, const RegularizerContext& ctx) {
        require(!latents.z.empty() && latents.z.size() == latents.offset.size() &&
                    latents.z.size() == latents.size.size(),
                "jepa::SigRegRegularizer::forward_shards", "given ", latents.z.size(),
                " shards' latents, ", latents.offset.size(), " offsets and ", latents.size.size(),
                " sizes");
        return evaluate(
            ctx, latents.z.front().cols(), latents.offset, latents.size,
            [&](std::size_t i) { return nn::ConstMatRef<T>(latents.z[i]); }, latents.sum,
            latents.first);
    }
    /// dz[i] += scale·∂R/∂z of own shard i, after forward_shards.
    void backward_shards(std::span<RowMatrix<T>> dz, double scale) {
        gradient([&](std::size_t i) { return nn::MatRef<T>(dz[i]); }, scale);
    }

    Json config_json() const { return settings_json(config_); }
    static SigRegRegularizer from_json(const Json& j) {
        return SigRegRegularizer(read_settings<SigRegConfig>(j, "sigreg config"));
    }

  private:
    /// One statistic: a time step's windows, or those of one brain state at that time step.
    struct Sample {
        Index slice = 0;
        int state = -1;       // -1: every window of the time step
        Index count = 0;      // windows of the whole batch in it
        double weight = 1.0;  // count / batch
    };

    /// Mean over samples, weighted, of each sample's statistic. Part i (rows t·size[i] + j:
    /// window offset[i] + j of the batch at time step t) is shard first + i of the sum.
    template <class PartZ, class Sum>
    double evaluate(const RegularizerContext& ctx, Index dim, std::span<const Index> offset,
                    std::span<const Index> size, PartZ&& part_z, const Sum& sum,
                    std::int64_t first) {
        constexpr std::string_view where = "jepa::SigRegRegularizer";
        directions_ = sigreg_directions<T>(dim, config_.directions, ctx.seed, ctx.step);
        batch_ = ctx.batch > 0 ? ctx.batch : size[0];
        const Index rows = part_z(0).rows();
        require(rows >= 1, where, "latents have no rows");
        require(size[0] >= 1 && rows % size[0] == 0, where, "latents have ", rows,
                " rows, not a multiple of the batch of ", size[0]);
        slices_ = rows / size[0];
        parts_.assign(size.size(), Part{});
        for (std::size_t i = 0; i < size.size(); ++i) {
            parts_[i].offset = offset[i];
            parts_[i].size = size[i];
            require(part_z(i).rows() == slices_ * size[i] && part_z(i).cols() == dim, where,
                    "shard ", i, "'s latents are ", part_z(i).rows(), "x", part_z(i).cols(),
                    ", expected ", slices_ * size[i], "x", dim);
        }
        const bool by_state = config_.per_state && !ctx.states.empty();
        require(!by_state || std::ssize(ctx.states) == slices_ * batch_, where, "latents have ",
                slices_ * batch_, " rows but ", ctx.states.size(), " state labels");
        make_samples(by_state ? ctx.states : std::span<const std::uint8_t>{});
        const auto per_sample = static_cast<std::size_t>(2 * knots_.size() * config_.directions);
        for (Part& p : parts_)
            p.caches.resize(samples_.size());
        const Index work = rows * dim * config_.directions * config_.knots;
        sums_.resize(samples_.size() * per_sample);
        sum(train::ShardLeaf<double>([&](std::int64_t shard, std::span<double> out) {
                const auto i = static_cast<std::size_t>(shard - first);
                const nn::ConstMatRef<T> z = part_z(i);
                parallel_for_if_large(work, 0, std::ssize(samples_), [&](Index g) {
                    const auto gi = static_cast<std::size_t>(g);
                    auto& cache = parts_[i].caches[gi];
                    const std::span<double> sums = out.subspan(gi * per_sample, per_sample);
                    const std::vector<Index> local = rows_of(i, samples_[gi]);
                    if (local.empty() && samples_[gi].state >= 0) {
                        cache.n = 0;
                        std::fill(sums.begin(), sums.end(), 0.0);
                        return;
                    }
                    if (samples_[gi].state < 0) {
                        sigreg_project<T>(cache, z.middleRows(local.front(), parts_[i].size),
                                          directions_, knots_);
                    } else {
                        RowMatrix<T> rows_z(std::ssize(local), z.cols());
                        for (Index r = 0; r < rows_z.rows(); ++r)
                            rows_z.row(r) = z.row(local[static_cast<std::size_t>(r)]);
                        sigreg_project<T>(cache, rows_z, directions_, knots_);
                    }
                    sigreg_sums<T>(cache, knots_, sums);
                });
            }),
            std::span<double>(sums_));
        double total = 0.0;
        for (std::size_t g = 0; g < samples_.size(); ++g) {
            SigRegCache<T>& head = parts_.front().caches[g];
            const double v = sigreg_statistic<T>(
                head, std::span<const double>(sums_).subspan(g * per_sample, per_sample),
                samples_[g].count, knots_);
            for (std::size_t i = 1; i < parts_.size(); ++i) {
                parts_[i].caches[g].c_mean = head.c_mean;
                parts_[i].caches[g].s_mean = head.s_mean;
            }
            total += samples_[g].weight * v;
        }
        return total / static_cast<double>(slices_);
    }

    /// dz_of(i) += scale·∂R/∂(part i's latents), after evaluate.
    template <class PartDz>
    void gradient(PartDz&& dz_of, double scale) {
        for (std::size_t i = 0; i < parts_.size(); ++i) {
            nn::MatRef<T> dz = dz_of(i);
            // Samples cover disjoint rows of dz, so they write in parallel.
            parallel_for_if_large(
                dz.size() * config_.directions * config_.knots, 0, std::ssize(samples_),
                [&](Index g) {
                    const auto gi = static_cast<std::size_t>(g);
                    const auto& cache = parts_[i].caches[gi];
                    const double s = scale * samples_[gi].weight / static_cast<double>(slices_);
                    if (samples_[gi].state < 0) {
                        sigreg_backward<T>(
                            dz.middleRows(samples_[gi].slice * parts_[i].size, parts_[i].size),
                            cache, directions_, knots_, s);
                        return;
                    }
                    if (cache.n == 0) return;
                    const std::vector<Index> local = rows_of(i, samples_[gi]);
                    RowMatrix<T> part = RowMatrix<T>::Zero(std::ssize(local), dz.cols());
                    sigreg_backward<T>(part, cache, directions_, knots_, s);
                    for (Index r = 0; r < part.rows(); ++r)
                        dz.row(local[static_cast<std::size_t>(r)]) += part.row(r);
                });
        }
    }

    /// One sample per time step, or with labels one per (time step, state present), states in
    /// ascending order.
    void make_samples(std::span<const std::uint8_t> states) {
        samples_.clear();
        states_.assign(states.begin(), states.end());
        for (Index t = 0; t < slices_; ++t) {
            if (states.empty()) {
                samples_.push_back({t, -1, batch_, 1.0});
                continue;
            }
            std::array<Index, 256> count{};
            for (Index r = t * batch_; r < (t + 1) * batch_; ++r)
                ++count[states[static_cast<std::size_t>(r)]];
            for (int g = 0; g < 256; ++g)
                if (count[static_cast<std::size_t>(g)] > 0)
                    samples_.push_back({t, g, count[static_cast<std::size_t>(g)],
                                        static_cast<double>(count[static_cast<std::size_t>(g)]) /
                                            static_cast<double>(batch_)});
        }
    }

    /// Part i's rows of a sample, ascending (a time step's: its first row only).
    std::vector<Index> rows_of(std::size_t i, const Sample& g) const {
        const Part& p = parts_[i];
        if (g.state < 0) return {g.slice * p.size};
        std::vector<Index> rows;
        for (Index j = 0; j < p.size; ++j)
            if (states_[static_cast<std::size_t>(g.slice * batch_ + p.offset + j)] == g.state)
                rows.push_back(g.slice * p.size + j);
        return rows;
    }

    /// A shard of the batch: its windows' place in the batch and one cache per sample.
    struct Part {
        Index offset = 0, size = 0;
        std::vector<SigRegCache<T>> caches;
    };

    SigRegConfig config_;
    SigRegKnots knots_;
    RowMatrix<T> directions_;           // (D, M) of the last forward
    Index batch_ = 0;                   // windows per time step (the whole batch)
    Index slices_ = 0;                  // time steps (statistics averaged) of the last forward
    std::vector<std::uint8_t> states_;  // the batch's labels (per-state SIGReg), time-major
    std::vector<Sample> samples_;       // of the last forward
    std::vector<Part> parts_;           // of the last forward
    std::vector<double> sums_;          // (samples, 2·K·M) summed over every shard
};

/// VICReg's variance + covariance terms (vicreg.hpp); the invariance term is L_pred.
template <class T>
class VicRegRegularizer {
  public:
    static constexpr std::string_view name = "vicreg";
    static constexpr bool uses_target_encoder = false;

    explicit VicRegRegularizer(VicRegConfig config = {}) : config_(config) {
        config_.validate("jepa::VicRegRegularizer");
    }
    double forward(nn::ConstMatRef<T> z, const RegularizerContext&) {
        z_ = z;
        return vicreg<T>(z, config_).value;
    }
    void backward(nn::MatRef<T> dz, double scale) {
        nn::MatRef<T> ref = dz;
        vicreg<T>(z_, config_, &ref, scale);
    }

    Json config_json() const { return settings_json(config_); }
    static VicRegRegularizer from_json(const Json& j) {
        return VicRegRegularizer(read_settings<VicRegConfig>(j, "vicreg config"));
    }

  private:
    VicRegConfig config_;
    RowMatrix<T> z_;  // (N, D) of the last forward
};

/// Settings of EmaTargetRegularizer: the target's decay τ.
struct EmaConfig {
    double decay = 0.996;
    static void fields(auto& s, auto&& field) { field("decay", s.decay); }
    void validate(std::string_view where) const {
        require(decay >= 0.0 && decay < 1.0, where, "decay is ", decay, ", expected [0, 1)");
    }
};

/// No regulariser on z, but prediction targets come from an exponential-moving-average copy of
/// the read-in and encoder with stop-gradient (BYOL, Grill et al. 2020; I-JEPA, Assran et al.
/// 2023): θ̄ ← τ·θ̄ + (1 − τ)·θ after every optimizer step.
template <class T>
class EmaTargetRegularizer {
  public:
    static constexpr std::string_view name = "ema";
    static constexpr bool uses_target_encoder = true;

    explicit EmaTargetRegularizer(EmaConfig config = {}) : config_(config) {
        config_.validate("jepa::EmaTargetRegularizer");
    }
    double target_decay() const { return config_.decay; }
    double forward(nn::ConstMatRef<T>, const RegularizerContext&) { return 0.0; }
    void backward(nn::MatRef<T>, double) {}

    Json config_json() const { return settings_json(config_); }
    static EmaTargetRegularizer from_json(const Json& j) {
        return EmaTargetRegularizer(read_settings<EmaConfig>(j, "ema config"));
    }

  private:
    EmaConfig config_;
};

/// No settings (the regulariser "none" accepts only an empty object).
struct NoSettings {
    static void fields(auto&, auto&&) {}
};

/// Prediction loss alone, no stop-gradient: the collapse-prone baseline.
template <class T>
class NoRegularizer {
  public:
    static constexpr std::string_view name = "none";
    static constexpr bool uses_target_encoder = false;
    double forward(nn::ConstMatRef<T>, const RegularizerContext&) { return 0.0; }
    void backward(nn::MatRef<T>, double) {}
    Json config_json() const { return settings_json(NoSettings{}); }
    static NoRegularizer from_json(const Json& j) {
        read_settings<NoSettings>(j, "none config");
        return {};
    }
};

}  // namespace jepasnn::jepa
