// One training step of the recurrent E/I student: forward over a batch of 1 ms input spike trains,
// BPTT backward from an MSE loss on the binned readout (plus the homeostatic band and L2 weight
// penalties), an SGD update and Dale's projection, in float32. Competitor: the same network built
// from snntorch's RLeaky on PyTorch (compare_snntorch.py). Also the tape's growth with T,
// whole, chunked (exact gradients) and truncated.
#include <jepasnn/core/rng.hpp>
#include <jepasnn/lif/network.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <span>
#include <vector>

namespace {

using namespace jepasnn;

struct TrainStep {
    lif::Network<float> net;
    Tensor<float, 3> input, target, d_readout;  // (B, T, F), (B, K, D), (B, K, D)
    lif::ForwardOptions<float> options;

    static lif::NetworkConfig config(Index neurons, Index inputs) {
        lif::NetworkConfig c = lif::NetworkConfig::with_neurons(neurons, inputs, 8);
        c.refractory_steps = 0;  // snntorch's RLeaky has no refractory period
        return c;
    }

    TrainStep(Index neurons, Index steps, Index batch, Index inputs, lif::BpttOptions bptt)
        : net(config(neurons, inputs), 2026) {
        const auto shape = [](Index a, Index b, Index c) {
            return std::array<std::size_t, 3>{std::size_t(a), std::size_t(b), std::size_t(c)};
        };
        input = Tensor<float, 3>(shape(batch, steps, inputs));
        for (std::size_t i = 0; i < input.size(); ++i)  // Poisson spike trains at 10 Hz
            input.data()[i] = uniform_at(1, 0, i) < 0.01 ? 1.0f : 0.0f;
        target = Tensor<float, 3>(shape(batch, steps / 10, 8));
        for (std::size_t i = 0; i < target.size(); ++i)
            target.data()[i] = static_cast<float>(normal_at(1, 1, i));
        d_readout = target;
        options.bptt = bptt;
    }

    void run(float learning_rate) {
        net.parameters().zero_gradients();
        const Tensor<float, 3>& y = net.forward(input, lif::InputKind::spike_trains, options);
        // L = mean (Y − target)²  →  dL/dY = 2 (Y − target) / size
        const float scale = 2.0f / static_cast<float>(y.size());
        for (std::size_t i = 0; i < y.size(); ++i)
            d_readout.data()[i] = scale * (y.data()[i] - target.data()[i]);
        net.backward(d_readout);
        std::span<float> w = net.parameters().values();
        std::span<const float> g = net.parameters().gradients();
        for (std::size_t i = 0; i < w.size(); ++i)  // SGD, as on the snntorch side
            w[i] -= learning_rate * g[i];
        net.project();
    }
};

void BM_train_step(benchmark::State& state) {
    const Index neurons = state.range(0), steps = state.range(1), batch = state.range(2);
    const Index inputs = state.range(3);
    TrainStep step(neurons, steps, batch, inputs, {state.range(4), state.range(5) != 0});
    // Every timed step starts from the initial weights: SGD lowers the rates over hundreds of
    // steps, and with them the event-driven work, while snntorch is timed on its first steps.
    const std::span<const float> initial = step.net.parameters().values();
    const std::vector<float> start(initial.begin(), initial.end());
    for (auto _ : state) {
        state.PauseTiming();
        std::copy(start.begin(), start.end(), step.net.parameters().values().begin());
        state.ResumeTiming();
        step.run(1e-3f);
    }
    const double neuron_steps = double(neurons * steps * batch);
    state.counters["neuron_steps_per_s"] =
        benchmark::Counter(neuron_steps, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["rate_hz"] = step.net.rates().mean();
    state.counters["tape_mib"] = double(step.net.tape_bytes()) / (1 << 20);
    state.counters["sparse_input"] = step.net.sparse_input();
}

// Headline: N = 512, T = 500 steps, B = 32, 400 inputs, the whole tape.
BENCHMARK(BM_train_step)
    ->ArgNames({"N", "T", "B", "F", "chunk", "truncate"})
    ->Args({512, 500, 32, 400, 0, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Memory and time against T: whole tape, chunks of 50 steps (exact), truncated chunks of 50.
BENCHMARK(BM_train_step)
    ->ArgNames({"N", "T", "B", "F", "chunk", "truncate"})
    ->ArgsProduct({{512}, {120, 250, 1000}, {32}, {400}, {0}, {0}})
    ->ArgsProduct({{512}, {120, 250, 500, 1000}, {32}, {400}, {50}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
