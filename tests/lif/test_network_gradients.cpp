// The network's hand-written BPTT against central finite differences in double, on a smooth test
// surrogate (graded spikes, so the forward itself is differentiable), over random shapes and
// options: readout, filter, recurrence, synaptic current, refractory period, learnable β and θ,
// homeostasis, weight regularisation, binned and spike-train input, chunked recomputation.
#include <algorithm>
#include <cmath>
#include <limits>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "central_differences.hpp"
#include "lif_test_support.hpp"
#include "test_support.hpp"

namespace {

using namespace jepasnn;
using test::SmoothSpike;

template <class R, class Syn>
struct SmoothPolicies : lif::DefaultPolicies {
    using Reset = R;
    using Synapse = Syn;
    using Surrogate = SmoothSpike;
};

struct Shape {
    Index batch, bins, steps_per_bin, exc, inh, inputs, readout, refractory, chunk;
    bool recurrent, learn_beta, learn_threshold, binned, readout_all, loss_on_filtered;
    std::uint64_t seed;
};

Shape random_shape() {
    Shape s{};
    s.batch = *rc::gen::inRange<Index>(1, 4);
    s.bins = *rc::gen::inRange<Index>(1, 4);
    s.steps_per_bin = *rc::gen::inRange<Index>(1, 5);
    s.exc = *rc::gen::inRange<Index>(1, 7);
    s.inh = *rc::gen::inRange<Index>(0, 4);
    s.inputs = *rc::gen::inRange<Index>(1, 5);
    s.readout = *rc::gen::inRange<Index>(1, 4);
    s.refractory = *rc::gen::inRange<Index>(0, 3);
    s.recurrent = *rc::gen::arbitrary<bool>();
    s.learn_beta = *rc::gen::arbitrary<bool>();
    s.learn_threshold = *rc::gen::arbitrary<bool>();
    s.binned = *rc::gen::arbitrary<bool>();
    s.readout_all = *rc::gen::arbitrary<bool>();
    s.loss_on_filtered = *rc::gen::arbitrary<bool>();
    const Index steps = s.bins * s.steps_per_bin;
    s.chunk = *rc::gen::inRange<Index>(0, steps + 1);  // 0: whole tape
    s.seed = *rc::gen::arbitrary<std::uint32_t>();
    return s;
}

template <class Policies>
void check_gradients(const Shape& s) {
    RC_TAG(Policies::Reset::name, Policies::Synapse::name);
    lif::NetworkConfig config;
    config.inputs = s.inputs;
    config.excitatory = s.exc;
    config.inhibitory = s.inh;
    config.readout_dim = s.readout;
    config.steps_per_bin = s.steps_per_bin;
    config.refractory_steps = s.refractory;
    config.recurrent = s.recurrent;
    config.learn_beta = s.learn_beta;
    config.learn_threshold = s.learn_threshold;
    config.readout_excitatory_only = !s.readout_all;
    config.recurrent_init.spectral_radius = 1.5;
    config.tau_readout_ms = 3.0;
    constraints::HomeostaticBand band;
    band.excitatory = {40.0, 300.0};  // graded spikes fire at hundreds of Hz: both sides active
    band.inhibitory = {500.0, 800.0};
    band.neuron_weight = band.population_weight = 1e-5;
    lif::Network<double, Policies> net(config, s.seed, SmoothSpike{}, {}, band,
                                       constraints::L2Regularizer{0.05});
    // Random parameters (β inside and outside [0, 1]: the clamp must pass no gradient there).
    std::span<double> theta = net.parameters().values();
    test::fill_uniform(theta.data(), theta.size(), -0.6, 0.9, s.seed, 1);
    net.project();  // a Dale-consistent starting point (any point works for the gradient)
    if (s.learn_beta) test::fill_uniform(net.beta().data(), config.neurons(), 0.2, 1.1, s.seed, 2);
    if (s.learn_threshold)
        test::fill_uniform(net.threshold().data(), config.neurons(), 0.4, 1.2, s.seed, 3);

    const Index steps = s.bins * s.steps_per_bin;
    const Index length = s.binned ? s.bins : steps;
    Tensor<double, 3> input(std::array<std::size_t, 3>{std::size_t(s.batch), std::size_t(length),
                                                       std::size_t(s.inputs)});
    test::fill_uniform(input.data(), input.size(), 0.0, 2.0, s.seed, 4);
    Tensor<double, 3> d_readout(std::array<std::size_t, 3>{
        std::size_t(s.batch), std::size_t(s.bins), std::size_t(s.readout)});
    test::fill_uniform(d_readout.data(), d_readout.size(), -1.0, 1.0, s.seed, 5);
    Tensor<double, 3> d_filtered(std::array<std::size_t, 3>{
        std::size_t(s.batch), std::size_t(s.bins), std::size_t(config.neurons())});
    test::fill_uniform(d_filtered.data(), d_filtered.size(), -0.01, 0.01, s.seed, 6);
    const lif::InputKind kind =
        s.binned ? lif::InputKind::binned_counts : lif::InputKind::spike_trains;

    auto loss = [&] {
        net.forward(input, kind);
        double l = net.homeostasis_penalty() + net.regularization_penalty();
        for (std::size_t i = 0; i < d_readout.size(); ++i)
            l += d_readout.data()[i] * net.readout().data()[i];
        if (s.loss_on_filtered)
            for (std::size_t i = 0; i < d_filtered.size(); ++i)
                l += d_filtered.data()[i] * net.filtered().data()[i];
        return l;
    };

    // Finite differences are valid only away from the hard thresholds (the detached reset
    // R = Θ(U − θ) and the refractory trigger V > θ): discard draws that come too close.
    loss();
    double margin = 1.0;
    const auto& pop = net.population();
    for (Index b = 0; b < s.batch; ++b)
        for (Index t = 0; t < steps; ++t)
            for (Index i = 0; i < config.neurons(); ++i) {
                const double th = net.threshold()(i);
                margin = std::min({margin, std::abs(pop.membrane(b, t, i) - th),
                                   std::abs(pop.membrane_before_reset(b, t, i) - th)});
            }
    RC_PRE(margin > 1e-4);

    net.parameters().zero_gradients();
    lif::ForwardOptions<double> options;
    options.bptt.chunk_steps = s.chunk;
    net.forward(input, kind, options);
    net.backward(d_readout, s.loss_on_filtered ? &d_filtered : nullptr);
    const std::vector<double> analytic(net.parameters().gradients().begin(),
                                       net.parameters().gradients().end());

    // S of central_differences.hpp: the magnitudes of the terms summed into the loss.
    net.forward(input, kind);
    double magnitude = net.homeostasis_penalty() + net.regularization_penalty();
    for (std::size_t i = 0; i < d_readout.size(); ++i)
        magnitude += std::abs(d_readout.data()[i] * net.readout().data()[i]);
    if (s.loss_on_filtered)
        for (std::size_t i = 0; i < d_filtered.size(); ++i)
            magnitude += std::abs(d_filtered.data()[i] * net.filtered().data()[i]);

    // About 60 parameters per draw. The step stays at 1e-6 rather than ε^(1/3): its largest
    // excursion, 2e-6·|∂U/∂θ|, must stay inside the threshold margin above, and the bound grows
    // to c·ε/h accordingly.
    const std::size_t n_params = theta.size();
    const std::size_t stride = std::max<std::size_t>(1, n_params / 60);
    const auto r = test::check_central_differences(loss, theta, analytic, magnitude,
                                                   s.seed % stride, stride, 1e-6);
    std::size_t block = 0;
    while (block + 1 < net.parameters().layout().blocks().size() &&
           net.parameters().layout().blocks()[block + 1].offset <= r.worst)
        ++block;
    test::rc_assert_central_differences(net.parameters().layout().blocks()[block].name, r);
}

}  // namespace

TEST_CASE("network BPTT matches finite differences with subtractive reset", "[tolerance]") {
    rc::prop("subtract, reset delay on, first order", [] {
        check_gradients<SmoothPolicies<lif::SubtractReset<true>, lif::InstantaneousSynapse>>(
            random_shape());
    });
    rc::prop("subtract, reset delay off, second order", [] {
        check_gradients<SmoothPolicies<lif::SubtractReset<false>, lif::ExponentialSynapse>>(
            random_shape());
    });
}

TEST_CASE("network BPTT matches finite differences with zero and no reset", "[tolerance]") {
    rc::prop("zero, reset delay off, first order", [] {
        check_gradients<SmoothPolicies<lif::ZeroReset<false>, lif::InstantaneousSynapse>>(
            random_shape());
    });
    rc::prop("gated zero, reset delay on, second order", [] {
        check_gradients<SmoothPolicies<lif::ZeroResetGated<true>, lif::ExponentialSynapse>>(
            random_shape());
    });
    rc::prop("no reset, first order", [] {
        check_gradients<SmoothPolicies<lif::NoReset, lif::InstantaneousSynapse>>(random_shape());
    });
}
