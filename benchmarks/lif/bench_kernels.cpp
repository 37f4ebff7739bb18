// The student step's kernels alone, in float32 at N = 512 and the headline's 32 sequences, for the
// roofline and the crossover of the event-driven paths (compare_snntorch.py reports both):
//   BM_fma_peak            one core's FMA throughput from registers, in the vector width the
//                          build targets: the machine's measured peak;
//   BM_recurrent_product   the backward's dense product dL/dI_t · W (lif::PackedRecurrent), the
//                          step's only dense work, 2·B·T·N² FLOP;
//   BM_active_columns      the forward's event-driven recurrent input (lif::add_active_columns)
//                          with a given number of spiking neurons per sequence and step; where
//                          its time per row reaches the dense product's, event-driven stops
//                          paying.
#include <jepasnn/core/rng.hpp>
#include <jepasnn/lif/recurrent_product.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace {

using namespace jepasnn;

constexpr Index neurons = 512, sequences = 32;

std::vector<float> uniform_matrix(std::size_t size, std::uint64_t stream) {
    std::vector<float> m(size);
    for (std::size_t i = 0; i < size; ++i)
        m[i] = static_cast<float>(uniform_at(2027, stream, i) - 0.5);
    return m;
}

void BM_fma_peak(benchmark::State& state) {
    using Vec [[gnu::vector_size(lif::detail::packed_vector_bytes)]] = float;
    constexpr int lanes = lif::detail::packed_vector_bytes / sizeof(float);
    constexpr int chains = 12;  // independent accumulators: > FMA latency × ports, < registers
    constexpr int iterations = 4096;
    Vec acc[chains], a, b;
    for (int k = 0; k < lanes; ++k) {
        a[k] = 0.999f;
        b[k] = 1e-3f;
    }
    for (Vec& v : acc)
        v = b;
    for (auto _ : state) {
        for (int it = 0; it < iterations; ++it) {
            for (Vec& v : acc)
                v = v * a + b;
#if defined(__x86_64__)
            asm volatile("" : "+v"(a));  // keeps `a` in a register rather than a memory operand
#endif
        }
        benchmark::DoNotOptimize(acc);
    }
    state.counters["flop_per_s"] = benchmark::Counter(
        2.0 * lanes * chains * iterations, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["vector_bytes"] = lif::detail::packed_vector_bytes;
}
BENCHMARK(BM_fma_peak)->UseRealTime();

void BM_recurrent_product(benchmark::State& state) {
    const std::vector<float> w = uniform_matrix(neurons * neurons, 1);
    const std::vector<float> a = uniform_matrix(sequences * neurons, 2);
    std::vector<float> out(a.size());
    lif::PackedRecurrent<float> packed;
    packed.pack(w.data(), neurons);
    for (auto _ : state) {
        packed.multiply(a.data(), sequences, neurons, out.data(), neurons);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.counters["flop_per_s"] = benchmark::Counter(
        2.0 * sequences * neurons * neurons, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["rows"] = sequences;
}
BENCHMARK(BM_recurrent_product)->UseRealTime();

void BM_active_columns(benchmark::State& state) {
    const Index active = state.range(0);  // spiking neurons per sequence and step
    const std::vector<float> w = uniform_matrix(neurons * neurons, 1);
    // Distinct random presynaptic neurons for each sequence, in increasing order.
    std::vector<std::vector<std::pair<Index, float>>> spikes(sequences);
    for (Index r = 0; r < sequences; ++r) {
        std::vector<Index> order(neurons);
        for (Index j = 0; j < neurons; ++j)
            order[std::size_t(j)] = j;
        for (Index j = neurons - 1; j > 0; --j)  // Fisher–Yates
            std::swap(order[std::size_t(j)],
                      order[std::size_t(uniform_at(2027, 3 + r, j) * double(j + 1))]);
        order.resize(std::size_t(active));
        std::sort(order.begin(), order.end());
        for (Index j : order)
            spikes[std::size_t(r)].emplace_back(j, 1.0f);
    }
    std::vector<float> excitatory(std::size_t(sequences * neurons)), inhibitory(neurons);
    for (auto _ : state) {
        for (Index r = 0; r < sequences; ++r)
            lif::add_active_columns<true>(w.data(), neurons, neurons * 4 / 5,
                                          spikes[std::size_t(r)], excitatory.data() + r * neurons,
                                          inhibitory.data());
        benchmark::DoNotOptimize(excitatory.data());
        benchmark::ClobberMemory();
    }
    state.counters["rows"] = sequences;
    state.counters["active_fraction"] = double(active) / double(neurons);
}
// 1 … 100 spikes of 512 per 1 ms step: 2 … 195 Hz.
BENCHMARK(BM_active_columns)
    ->ArgName("active")
    ->Arg(1)
    ->Arg(5)
    ->Arg(10)
    ->Arg(25)
    ->Arg(50)
    ->Arg(100)
    ->UseRealTime();

}  // namespace
