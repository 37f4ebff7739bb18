// AdamW (Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019) on any flat
// parameter/gradient buffer pair, with a per-element weight-decay mask (the parameter groups),
// a learning-rate schedule of linear warm-up then cosine decay (Loshchilov & Hutter, SGDR, 2017),
// and global gradient-norm clipping. The update follows torch.optim.AdamW (PyTorch 1.13, single
// tensor path) operation by operation, so the two agree to rounding.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include "../core/error.hpp"
#include "common.hpp"

namespace jepasnn::nn {

struct AdamWConfig {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.01;

    static void fields(auto& s, auto&& field) {
        field("beta1", s.beta1);
        field("beta2", s.beta2);
        field("eps", s.eps);
        field("weight_decay", s.weight_decay);
    }
    void validate(std::string_view where) const {
        require(beta1 >= 0.0 && beta1 < 1.0, where, "beta1 is ", beta1, ", expected [0, 1)");
        require(beta2 >= 0.0 && beta2 < 1.0, where, "beta2 is ", beta2, ", expected [0, 1)");
        require(eps > 0.0, where, "eps is ", eps, ", expected > 0");
        require(weight_decay >= 0.0, where, "weight_decay is ", weight_decay, ", expected >= 0");
    }
};

/// Linear warm-up from peak/warmup to peak over `warmup_steps`, then cosine decay to
/// `final_lr` at `total_steps`; constant `final_lr` afterwards. Steps count from 0.
struct WarmupCosineSchedule {
    double peak_lr = 1e-3;
    std::uint64_t warmup_steps = 0;
    std::uint64_t total_steps = 1;
    double final_lr = 0.0;

    double at(std::uint64_t step) const {
        if (step < warmup_steps)
            return peak_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
        if (step >= total_steps) return final_lr;
        const double span = static_cast<double>(total_steps - warmup_steps);
        const double progress = static_cast<double>(step - warmup_steps) / span;
        return final_lr +
               (peak_lr - final_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    }

    void validate(std::string_view where) const {
        require(peak_lr > 0.0 && std::isfinite(peak_lr), where, "peak learning rate is ", peak_lr,
                ", expected a finite value > 0");
        require(final_lr >= 0.0 && final_lr <= peak_lr, where, "final learning rate is ", final_lr,
                ", expected [0, peak = ", peak_lr, "]");
        require(warmup_steps <= total_steps, where, "warm-up of ", warmup_steps,
                " steps exceeds the ", total_steps, " total steps");
    }
};

/// Scales `grads` so that their global L2 norm is at most max_norm, as
/// torch.nn.utils.clip_grad_norm_: coefficient max_norm/(norm + 1e-6) when below 1. Returns the
/// norm before clipping (accumulated in double). A non-finite norm is returned and nothing is
/// scaled: the caller decides (the trainer stops with an error).
template <class T>
double clip_global_norm(std::span<T> grads, double max_norm) {
    double sum = 0.0;
    for (const T g : grads)
        sum += static_cast<double>(g) * static_cast<double>(g);
    const double norm = std::sqrt(sum);
    if (!std::isfinite(norm) || max_norm <= 0.0) return norm;
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        const T c = static_cast<T>(coef);
        for (T& g : grads)
            g *= c;
    }
    return norm;
}

template <class T>
class AdamW {
  public:
    AdamW() = default;
    /// n parameters; decay_mask[i] = 1 where weight decay applies (empty: everywhere).
    AdamW(std::size_t n, AdamWConfig config, std::vector<std::uint8_t> decay_mask = {})
        : config_(config), mask_(std::move(decay_mask)), m_(n, T(0)), v_(n, T(0)) {
        config_.validate("nn::AdamW");
        if (!mask_.empty()) require_size("nn::AdamW", "weight-decay mask", mask_.size(), n);
    }

    const AdamWConfig& config() const { return config_; }
    std::size_t size() const { return m_.size(); }
    std::uint64_t steps_taken() const { return step_; }

    /// One update with learning rate lr:
    ///   p ← p·(1 − lr·wd) (masked);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    ///   p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε).
    void step(std::span<T> params, std::span<const T> grads, double lr) {
        require_size("nn::AdamW::step", "parameters", params.size(), m_.size());
        require_size("nn::AdamW::step", "gradients", grads.size(), m_.size());
        ++step_;
        const double t = static_cast<double>(step_);
        const T decay = static_cast<T>(1.0 - lr * config_.weight_decay);
        const T b1 = static_cast<T>(config_.beta1), b2 = static_cast<T>(config_.beta2);
        const T one_minus_b1 = static_cast<T>(1.0 - config_.beta1);
        const T one_minus_b2 = static_cast<T>(1.0 - config_.beta2);
        const T step_size = static_cast<T>(lr / (1.0 - std::pow(config_.beta1, t)));
        const T bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(config_.beta2, t)));
        const T eps = static_cast<T>(config_.eps);
        const Index n = static_cast<Index>(m_.size());
        detail::for_row_chunks(n, 1, [&](Index i0, Index i1) {
            for (Index k = i0; k < i1; ++k) {
                const auto i = static_cast<std::size_t>(k);
                if (mask_.empty() || mask_[i]) params[i] *= decay;
                const T g = grads[i];
                m_[i] = m_[i] * b1 + g * one_minus_b1;
                v_[i] = v_[i] * b2 + one_minus_b2 * g * g;
                const T denom = std::sqrt(v_[i]) / bc2_sqrt + eps;
                params[i] += -step_size * m_[i] / denom;
            }
        });
    }

    /// Optimizer state for checkpoints: step count and both moments.
    std::span<const T> first_moment() const { return m_; }
    std::span<const T> second_moment() const { return v_; }
    void restore(std::uint64_t steps_taken, std::span<const T> m, std::span<const T> v) {
        require_size("nn::AdamW::restore", "first moment", m.size(), m_.size());
        require_size("nn::AdamW::restore", "second moment", v.size(), v_.size());
        step_ = steps_taken;
        m_.assign(m.begin(), m.end());
        v_.assign(v.begin(), v.end());
    }

  private:
    AdamWConfig config_;
    std::vector<std::uint8_t> mask_;  // (n) or empty
    AlignedVector<T> m_, v_;          // (n) each
    std::uint64_t step_ = 0;
};

}  // namespace jepasnn::nn
