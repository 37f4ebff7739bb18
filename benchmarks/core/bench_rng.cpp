// Counter-based RNG throughput: filling a buffer with uniforms and normals, the element-indexed
// way that parallel and device code use. Competitor: numpy's Generator (compare_rng.py).
#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/threads.hpp>

#include <benchmark/benchmark.h>

#include <vector>

static void BM_uniform_fill(benchmark::State& state) {
    const auto n = static_cast<std::int64_t>(state.range(0));
    std::vector<double> out(static_cast<std::size_t>(n));
    std::uint64_t seed = 1;
    for (auto _ : state) {
        jepasnn::parallel_for(0, n, [&](std::int64_t i) {
            out[static_cast<std::size_t>(i)] =
                jepasnn::uniform_at(seed, 0, static_cast<std::uint64_t>(i));
        });
        benchmark::DoNotOptimize(out.data());
        ++seed;
    }
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_uniform_fill)->Arg(10'000'000)->UseRealTime()->Unit(benchmark::kMillisecond);

static void BM_normal_fill(benchmark::State& state) {
    const auto n = static_cast<std::int64_t>(state.range(0));
    std::vector<double> out(static_cast<std::size_t>(n));
    std::uint64_t seed = 1;
    for (auto _ : state) {
        jepasnn::parallel_for(0, n, [&](std::int64_t i) {
            out[static_cast<std::size_t>(i)] =
                jepasnn::normal_at(seed, 0, static_cast<std::uint64_t>(i));
        });
        benchmark::DoNotOptimize(out.data());
        ++seed;
    }
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_normal_fill)->Arg(10'000'000)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
