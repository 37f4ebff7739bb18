// Helpers of the lif tests: a smooth surrogate for finite-difference checks, policy bundles, a
// naive dense reference of the recurrent LIF forward, and random tensors.
#pragma once

#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/tensor.hpp>
#include <jepasnn/lif/network.hpp>

#include <cmath>
#include <string_view>

namespace jepasnn::test {

/// A graded, everywhere-smooth spike S = sigmoid(k x) whose backward is its true derivative, so
/// that BPTT can be compared with finite differences of the forward (Heaviside spikes have zero
/// derivative almost everywhere). Not binary: populations store and propagate it as values.
struct SmoothSpike {
    static constexpr std::string_view name = "smooth_test";
    static constexpr bool binary = false;
    double slope = 4.0;

    template <class T>
    T spike(T x) const {
        return T(1) / (T(1) + std::exp(-T(slope) * x));
    }
    template <class T>
    T derivative(T x) const {
        const T s = spike(x);
        return T(slope) * s * (T(1) - s);
    }
};

/// DefaultPolicies with the neuron policies replaced.
template <class R, class Syn = lif::InstantaneousSynapse, class Sur = constraints::FastSigmoid>
struct TestPolicies : lif::DefaultPolicies {
    using Reset = R;
    using Synapse = Syn;
    using Surrogate = Sur;
};

/// Uniform values in [low, high), one Philox stream per call site.
template <class T>
void fill_uniform(T* data, std::size_t n, double low, double high, std::uint64_t seed,
                  std::uint64_t stream) {
    for (std::size_t i = 0; i < n; ++i)
        data[i] = static_cast<T>(low + (high - low) * uniform_at(seed, stream, i));
}

/// Bernoulli(p) spikes (0 or 1).
template <class T>
void fill_spikes(T* data, std::size_t n, double p, std::uint64_t seed, std::uint64_t stream) {
    for (std::size_t i = 0; i < n; ++i)
        data[i] = uniform_at(seed, stream, i) < p ? T(1) : T(0);
}

}  // namespace jepasnn::test

namespace jepasnn::test {

/// A (d0, d1, d2) tensor.
template <class T>
Tensor<T, 3> tensor3(Index d0, Index d1, Index d2) {
    return Tensor<T, 3>(std::array<std::size_t, 3>{
        static_cast<std::size_t>(d0), static_cast<std::size_t>(d1), static_cast<std::size_t>(d2)});
}

/// Poisson-like input spike trains (B, T, F): Bernoulli(rate·dt) per step.
template <class T>
Tensor<T, 3> input_spikes(Index batch, Index steps, Index inputs, double rate_hz,
                          std::uint64_t seed) {
    Tensor<T, 3> x = tensor3<T>(batch, steps, inputs);
    fill_spikes(x.data(), x.size(), rate_hz * 1e-3, seed, 100);
    return x;
}

/// A small network configuration that fires at tens of Hz on 40 Hz inputs.
inline lif::NetworkConfig small_config(Index neurons = 30, Index inputs = 12, Index readout = 3) {
    lif::NetworkConfig c = lif::NetworkConfig::with_neurons(neurons, inputs, readout);
    c.input_weight_total = 40.0;
    c.recurrent_init.spectral_radius = 1.0;
    return c;
}

/// SGD, the update the tests use on both sides of every comparison.
template <class T>
void sgd_step(nn::Parameters<T>& params, double learning_rate) {
    std::span<T> w = params.values();
    std::span<const T> g = params.gradients();
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] -= static_cast<T>(learning_rate) * g[i];
}

}  // namespace jepasnn::test
