// Chunked recomputation and truncated BPTT: a chunked tape gives the whole tape's gradients;
// truncation equals running the chunks as separate calls with the state carried between them;
// the tape's memory grows linearly with T without chunking and stays bounded with it.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "lif_test_support.hpp"
#include "test_support.hpp"

namespace {

using namespace jepasnn;
using test::tensor3;

/// Homeostasis couples the whole batch through the rates and weight penalties count once per
/// call: both are off where segments are compared with one call.
struct TaskOnlyPolicies : lif::DefaultPolicies {
    using Rate = constraints::NoRatePenalty;
    using Regularizer = constraints::NoRegularizer;
};

template <class T, class Policies>
std::vector<T> gradients_of(lif::Network<T, Policies>& net, const Tensor<T, 3>& x,
                            const Tensor<T, 3>& d, lif::InputKind kind, lif::BpttOptions bptt) {
    net.parameters().zero_gradients();
    lif::ForwardOptions<T> options;
    options.bptt = bptt;
    net.forward(x, kind, options);
    net.backward(d);
    const std::span<const T> g = net.parameters().gradients();
    return {g.begin(), g.end()};
}

}  // namespace

TEST_CASE("chunked recomputation gives the whole tape's gradients", "[tolerance]") {
    rc::prop("any chunk length, both input kinds, with and without a refractory period", [] {
        const auto seed = *rc::gen::arbitrary<std::uint32_t>();
        lif::NetworkConfig c = test::small_config(*rc::gen::inRange<Index>(5, 40), 6, 2);
        c.steps_per_bin = *rc::gen::inRange<Index>(1, 6);
        c.refractory_steps = *rc::gen::inRange<Index>(0, 3);
        c.learn_beta = c.learn_threshold = *rc::gen::arbitrary<bool>();
        const Index batch = *rc::gen::inRange<Index>(1, 4), bins = *rc::gen::inRange<Index>(1, 8);
        const Index steps = bins * c.steps_per_bin;
        const bool binned = *rc::gen::arbitrary<bool>();
        const Index chunk = *rc::gen::inRange<Index>(1, steps + 1);
        lif::Network<double> net(c, seed);
        const Tensor<double, 3> x =
            binned ? test::input_spikes<double>(batch, bins, c.inputs, 400.0, seed)
                   : test::input_spikes<double>(batch, steps, c.inputs, 40.0, seed);
        Tensor<double, 3> d = tensor3<double>(batch, bins, c.readout_dim);
        test::fill_uniform(d.data(), d.size(), -1.0, 1.0, seed, 3);
        const auto kind = binned ? lif::InputKind::binned_counts : lif::InputKind::spike_trains;
        const std::vector<double> whole = gradients_of(net, x, d, kind, {});
        const Index spikes = net.spikes().count();
        const std::vector<double> chunked = gradients_of(net, x, d, kind, {chunk, false});
        RC_ASSERT(net.spikes().count() == spikes);
        for (std::size_t i = 0; i < whole.size(); ++i)
            RC_ASSERT(std::abs(whole[i] - chunked[i]) <= 1e-12 * (1.0 + std::abs(whole[i])));
    });
}

TEST_CASE("truncated BPTT equals separate calls with the state carried between them",
          "[tolerance]") {
    rc::prop("chunks of whole bins, the gradient cut at every chunk start", [] {
        const auto seed = *rc::gen::arbitrary<std::uint32_t>();
        lif::NetworkConfig c = test::small_config(*rc::gen::inRange<Index>(5, 30), 5, 2);
        c.steps_per_bin = *rc::gen::inRange<Index>(1, 5);
        c.refractory_steps = *rc::gen::inRange<Index>(0, 3);
        const Index batch = *rc::gen::inRange<Index>(1, 3);
        const Index bins_per_chunk = *rc::gen::inRange<Index>(1, 4);
        const Index chunks = *rc::gen::inRange<Index>(1, 5);
        const Index chunk = bins_per_chunk * c.steps_per_bin, steps = chunk * chunks;
        lif::Network<double, TaskOnlyPolicies> net(c, seed);
        const Tensor<double, 3> x = test::input_spikes<double>(batch, steps, c.inputs, 40.0, seed);
        Tensor<double, 3> d = tensor3<double>(batch, steps / c.steps_per_bin, c.readout_dim);
        test::fill_uniform(d.data(), d.size(), -1.0, 1.0, seed, 3);
        const std::vector<double> truncated =
            gradients_of(net, x, d, lif::InputKind::spike_trains, {chunk, true});

        net.parameters().zero_gradients();
        lif::NetworkState<double> state;
        for (Index s = 0; s < chunks; ++s) {
            Tensor<double, 3> xs = tensor3<double>(batch, chunk, c.inputs);
            Tensor<double, 3> ds = tensor3<double>(batch, bins_per_chunk, c.readout_dim);
            for (Index b = 0; b < batch; ++b) {
                for (Index t = 0; t < chunk; ++t)
                    for (Index f = 0; f < c.inputs; ++f)
                        xs(b, t, f) = x(b, s * chunk + t, f);
                for (Index k = 0; k < bins_per_chunk; ++k)
                    for (Index j = 0; j < c.readout_dim; ++j)
                        ds(b, k, j) = d(b, s * bins_per_chunk + k, j);
            }
            lif::ForwardOptions<double> options;
            if (s > 0) options.initial_state = &state;
            net.forward(xs, lif::InputKind::spike_trains, options);
            state = net.final_state();
            net.backward(ds);
        }
        const std::span<const double> segmented = net.parameters().gradients();
        for (std::size_t i = 0; i < truncated.size(); ++i)
            RC_ASSERT(std::abs(truncated[i] - segmented[i]) <=
                      1e-11 * (1.0 + std::abs(truncated[i])));
        // With more than one chunk, truncation really drops gradient paths.
        if (chunks > 1) {
            const std::vector<double> exact =
                gradients_of(net, x, d, lif::InputKind::spike_trains, {});
            double difference = 0.0;
            for (std::size_t i = 0; i < exact.size(); ++i)
                difference = std::max(difference, std::abs(exact[i] - truncated[i]));
            RC_TAG(difference > 0.0 ? "truncation changes the gradient" : "no cross-chunk path");
        }
    });
}

TEST_CASE("tape memory grows linearly with T and chunking bounds the membranes") {
    lif::NetworkConfig c = test::small_config(200, 20, 4);
    lif::Network<float> net(c, 8);
    auto tape = [&](Index steps, lif::BpttOptions bptt) {
        const Tensor<float, 3> x = test::input_spikes<float>(4, steps, c.inputs, 20.0, 8);
        lif::ForwardOptions<float> options;
        options.bptt = bptt;
        net.forward(x, lif::InputKind::spike_trains, options);
        // The network adds its readout buffers (B, K, N) and input events, a tenth of the
        // unchunked tape; the population's tape is what chunking bounds.
        CHECK(net.tape_bytes() > net.population().tape_bytes());
        return static_cast<double>(net.population().tape_bytes());
    };
    const double full_250 = tape(250, {}), full_1000 = tape(1000, {});
    const double chunked_250 = tape(250, {50, false}), chunked_1000 = tape(1000, {50, false});
    INFO("full " << full_250 << " -> " << full_1000 << " B, chunked " << chunked_250 << " -> "
                 << chunked_1000 << " B");
    // Whole tape: one float membrane per neuron-step plus 3 bits (S, R, refractory).
    CHECK(full_1000 / full_250 == Approx(4.0).epsilon(0.02));
    CHECK(full_1000 >= 4.0 * 1000 * 200 * (4.0 + 3.0 / 8.0));
    // Chunked: bits and checkpoints grow, the membrane buffer does not.
    CHECK(chunked_1000 < 0.25 * full_1000);
    CHECK(chunked_1000 - chunked_250 < 0.25 * (full_1000 - full_250));
    CHECK_THROWS_WITH(net.forward(test::input_spikes<float>(1, 20, c.inputs, 20.0, 8),
                                  lif::InputKind::spike_trains, {{0, true}}),
                      Catch::Contains("truncate needs chunk_steps > 0"));
}
