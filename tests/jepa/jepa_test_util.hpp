// Helpers for the jepa tests: small configurations and toy data that train in well under a second.
#pragma once

#include <jepasnn/jepa/dataset.hpp>
#include <jepasnn/jepa/toy_lds.hpp>
#include <jepasnn/jepa/trainer.hpp>

#include <vector>

#include "test_support.hpp"

namespace jepasnn::test {

/// A tiny model: 2 sessions (7 and 5 units), H = 6, D = 4, K = 2.
inline jepasnn::jepa::ModelConfig tiny_model_config() {
    jepasnn::jepa::ModelConfig c;
    c.session_units = {7, 5};
    c.hidden = 6;
    c.latent = 4;
    c.predictor_hidden = 5;
    c.conv_kernel = 3;
    c.predictor_kernel = 2;
    c.horizon = 2;
    c.burn_in = 2;
    c.lambda = 0.3;
    c.init_seed = 3;
    return c;
}

/// Toy LDS sessions prepared for training (units per session as given).
template <class T>
std::vector<jepasnn::jepa::SessionRecording<T>> toy_sessions(const std::vector<Index>& units,
                                                             Index bins, std::uint64_t seed,
                                                             Index block_bins = 200) {
    jepasnn::jepa::ToyLdsConfig tc;
    tc.bins = bins;
    jepasnn::data::TimeSplitConfig split;
    split.block_bins = block_bins;
    std::vector<jepasnn::jepa::SessionRecording<T>> out;
    for (std::size_t s = 0; s < units.size(); ++s) {
        const auto lds =
            jepasnn::jepa::make_toy_lds(tc, units[s], seed, static_cast<std::uint32_t>(s));
        out.push_back(jepasnn::jepa::prepare_session<T>(
            lds.counts, jepasnn::jepa::CountTransform::sqrt, split, "toy" + std::to_string(s)));
    }
    return out;
}

/// Latents (n × d) with independent N(0.2, 0.7²) entries keyed by `seed`.
inline RowMatrix<double> random_latents(Index n, Index d, std::uint64_t seed) {
    RowMatrix<double> z(n, d);
    for (Index i = 0; i < z.size(); ++i)
        z.data()[i] = 0.7 * normal_at(seed, 5, static_cast<std::uint64_t>(i)) + 0.2;
    return z;
}

/// A short, quiet training configuration.
inline jepasnn::jepa::TrainConfig quick_train_config(std::uint64_t steps) {
    jepasnn::jepa::TrainConfig c;
    c.seed = 11;
    c.steps = steps;
    c.batch_size = 6;
    c.window = 12;
    c.warmup_steps = 2;
    c.learning_rate = 3e-3;
    c.validate_every = 4;
    c.validation_windows = 8;
    c.checkpoint_every = 0;
    c.progress = false;
    return c;
}

}  // namespace jepasnn::test
