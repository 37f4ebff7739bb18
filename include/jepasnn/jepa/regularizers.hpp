// Regulariser policies of the teacher's objective, loss = (1 − λ)·L_pred + λ·R(z): SIGReg (the
// main variant: no stop-gradient, no EMA teacher) and the ablations of the original project's
// configs — VICReg, an EMA target encoder with stop-gradient, and none.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../nn/common.hpp"
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
        directions_ = sigreg_directions<T>(z.cols(), config_.directions, ctx.seed, ctx.step);
        rows_ = ctx.batch > 0 ? ctx.batch : z.rows();
        require(z.rows() % rows_ == 0, "jepa::SigRegRegularizer", "latents have ", z.rows(),
                " rows, not a multiple of the batch of ", rows_);
        const bool by_state = config_.per_state && !ctx.states.empty();
        require(!by_state || std::ssize(ctx.states) == z.rows(), "jepa::SigRegRegularizer",
                "latents have ", z.rows(), " rows but ", ctx.states.size(), " state labels");
        slices_ = z.rows() / rows_;
        make_samples(by_state ? ctx.states : std::span<const std::uint8_t>{});
        caches_.resize(samples_.size());
        std::vector<double> values(samples_.size());
        parallel_for_if_large(
            z.size() * config_.directions * config_.knots, 0, std::ssize(samples_), [&](Index i) {
                const Sample& g = samples_[static_cast<std::size_t>(i)];
                auto& cache = caches_[static_cast<std::size_t>(i)];
                double v = 0.0;
                if (g.rows.empty()) {
                    v = sigreg_forward<T>(cache, z.middleRows(g.first, rows_), directions_, knots_);
                } else {
                    RowMatrix<T> part(std::ssize(g.rows), z.cols());
                    for (Index r = 0; r < part.rows(); ++r)
                        part.row(r) = z.row(g.rows[static_cast<std::size_t>(r)]);
                    v = sigreg_forward<T>(cache, part, directions_, knots_);
                }
                values[static_cast<std::size_t>(i)] = g.weight * v;
            });
        double total = 0.0;
        for (const double v : values)
            total += v;
        return total / static_cast<double>(slices_);
    }
    void backward(nn::MatRef<T> dz, double scale) {
        // Samples cover disjoint rows of dz, so they write in parallel.
        parallel_for_if_large(
            dz.size() * config_.directions * config_.knots, 0, std::ssize(samples_), [&](Index i) {
                const Sample& g = samples_[static_cast<std::size_t>(i)];
                const auto& cache = caches_[static_cast<std::size_t>(i)];
                const double s = scale * g.weight / static_cast<double>(slices_);
                if (g.rows.empty()) {
                    sigreg_backward<T>(dz.middleRows(g.first, rows_), cache, directions_, knots_,
                                       s);
                    return;
                }
                RowMatrix<T> part = RowMatrix<T>::Zero(std::ssize(g.rows), dz.cols());
                sigreg_backward<T>(part, cache, directions_, knots_, s);
                for (Index r = 0; r < part.rows(); ++r)
                    dz.row(g.rows[static_cast<std::size_t>(r)]) += part.row(r);
            });
    }

    Json config_json() const { return settings_json(config_); }
    static SigRegRegularizer from_json(const Json& j) {
        return SigRegRegularizer(read_settings<SigRegConfig>(j, "sigreg config"));
    }

  private:
    /// The rows of one statistic: rows_ rows from `first` (`rows` empty), or the listed rows.
    struct Sample {
        Index first = 0;
        std::vector<Index> rows;
        double weight = 1.0;  // n_k / N of its time step
    };

    /// One sample per time step, or with labels one per (time step, state present), states in
    /// ascending order.
    void make_samples(std::span<const std::uint8_t> states) {
        samples_.clear();
        for (Index s = 0; s < slices_; ++s) {
            if (states.empty()) {
                samples_.push_back({s * rows_, {}, 1.0});
                continue;
            }
            std::array<std::vector<Index>, 256> by_state;
            for (Index r = s * rows_; r < (s + 1) * rows_; ++r)
                by_state[states[static_cast<std::size_t>(r)]].push_back(r);
            for (auto& members : by_state)
                if (!members.empty()) {
                    const double w =
                        static_cast<double>(members.size()) / static_cast<double>(rows_);
                    samples_.push_back({0, std::move(members), w});
                }
        }
    }

    SigRegConfig config_;
    SigRegKnots knots_;
    RowMatrix<T> directions_;             // (D, M) of the last forward
    Index rows_ = 0;                      // rows per time step (the batch)
    Index slices_ = 0;                    // time steps (statistics averaged) of the last forward
    std::vector<Sample> samples_;         // of the last forward
    std::vector<SigRegCache<T>> caches_;  // one per sample
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
