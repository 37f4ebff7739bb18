// GPU throughput of the CUDA specialisations, timed with CUDA events (manual time):
//   BM_DeviceCopy              device-to-device copy bandwidth (read + write bytes / s): the
//                              HBM roofline measured in the same run
//   BM_FusedLifForwardBackward fused feed-forward LIF forward + backward, neuron-steps/s and the
//                              bytes the kernels move (22 per neuron-step)
//   BM_RecurrentLif            the recurrent student population, sparse or dense propagation
//   BM_SigReg                  SIGReg forward + backward at teacher sizes
// compare_lif_roofline.py turns these into the roofline fraction and the ratio against the same
// network in PyTorch on the same GPU (torch_lif.py). Without a GPU every benchmark skips.
#include <benchmark/benchmark.h>

#include <jepasnn/cuda/philox_fill.cuh>
#include <jepasnn/cuda/population.cuh>
#include <jepasnn/cuda/sigreg.cuh>
#include <jepasnn/jepa/sigreg.hpp>

#include <cstdint>
#include <vector>

namespace {

using namespace jepasnn;

/// Bytes per neuron-step the fused forward + backward move: I read, V written (4 + 4), flags
/// written (1); V, flags and dL/dS read (4 + 1 + 4), dL/dI written (4).
constexpr double bytes_per_neuron_step = 22.0;

bool skip_without_gpu(benchmark::State& state) {
    if (cuda::device_count() > 0) return false;
    state.SkipWithError("no CUDA device on this machine");
    return true;
}

/// Times `body` per iteration with CUDA events after `prepare` (untimed).
template <class Prepare, class Body>
void time_with_events(benchmark::State& state, Prepare&& prepare, Body&& body) {
    cudaEvent_t start, stop;
    cuda::check(cudaEventCreate(&start), "cudaEventCreate");
    cuda::check(cudaEventCreate(&stop), "cudaEventCreate");
    for (auto _ : state) {
        prepare();
        cuda::check(cudaEventRecord(start), "cudaEventRecord");
        body();
        cuda::check(cudaEventRecord(stop), "cudaEventRecord");
        cuda::check(cudaEventSynchronize(stop), "cudaEventSynchronize");
        float ms = 0.0f;
        cuda::check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
        state.SetIterationTime(static_cast<double>(ms) * 1e-3);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
}

/// Uniform random floats lo + (hi − lo)·u in a device buffer (Philox stream, then cast).
cuda::DeviceBuffer<float> random_device(std::size_t n, std::uint64_t stream, float lo, float hi) {
    std::vector<float> host(n);
    for (std::size_t i = 0; i < n; ++i)
        host[i] = lo + (hi - lo) * static_cast<float>(uniform_at(2026, stream, i));
    cuda::DeviceBuffer<float> d;
    d.upload(host.data(), n);
    return d;
}

/// Times forward + backward of `population` on device currents restored from `pristine` before
/// each iteration (untimed: the fused kernels overwrite them in place), with dL/dS = d_spikes,
/// and records neuron-steps/s and the spike density.
void time_forward_backward(benchmark::State& state, cuda::LifPopulation<float>& population,
                           Index batch, Index steps, const cuda::DeviceBuffer<float>& pristine,
                           const cuda::DeviceBuffer<float>& d_spikes,
                           const lif::PopulationParameters<float>& params,
                           const lif::PopulationGradients<float>& grads) {
    cuda::DeviceBuffer<float> currents(pristine.size());
    cuda::DeviceCurrents<float> source{currents.data()};
    cuda::DeviceOutputGradients<float> sink{d_spikes.data(), nullptr, nullptr};
    time_with_events(
        state,
        [&] {
            cuda::check(cudaMemcpy(currents.data(), pristine.data(), pristine.bytes(),
                                   cudaMemcpyDeviceToDevice),
                        "cudaMemcpy");
        },
        [&] {
            population.forward(source, batch, steps, params);
            population.backward(source, sink, params, grads);
        });
    const auto neuron_steps = static_cast<double>(pristine.size());
    state.counters["neuron_steps_per_s"] =
        benchmark::Counter(neuron_steps, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["spike_density"] = population.spike_counts().sum() / neuron_steps;
}

void BM_DeviceCopy(benchmark::State& state) {
    if (skip_without_gpu(state)) return;
    const auto bytes = static_cast<std::size_t>(state.range(0)) << 20;
    cuda::DeviceBuffer<std::uint8_t> a(bytes), b(bytes);
    a.zero();
    time_with_events(
        state, [] {},
        [&] {
            cuda::check(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice),
                        "cudaMemcpyAsync");
        });
    // A copy reads and writes every byte.
    state.counters["copy_bytes_per_s"] = benchmark::Counter(
        2.0 * static_cast<double>(bytes), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DeviceCopy)->Arg(2048)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_FusedLifForwardBackward(benchmark::State& state) {
    if (skip_without_gpu(state)) return;
    const Index batch = state.range(0), steps = state.range(1), n = state.range(2);
    const auto btn = static_cast<std::size_t>(batch * steps * n);
    // Currents around threshold/(1 − β): a few spikes per 100 steps.
    const cuda::DeviceBuffer<float> pristine = random_device(btn, 1, -0.05f, 0.15f);
    const cuda::DeviceBuffer<float> d_spikes = random_device(btn, 2, -1.0f, 1.0f);
    std::vector<float> beta(static_cast<std::size_t>(n), 0.95f), threshold(beta.size(), 1.0f),
        d_beta(beta.size()), d_theta(beta.size()), d_bias(beta.size());
    lif::PopulationConfig config;
    config.neurons = n;
    cuda::LifPopulation<float> population(config);
    const lif::PopulationParameters<float> params{beta.data(), threshold.data(), nullptr, nullptr};
    const lif::PopulationGradients<float> grads{d_beta.data(), d_theta.data(), d_bias.data(),
                                                nullptr};
    time_forward_backward(state, population, batch, steps, pristine, d_spikes, params, grads);
    state.counters["bytes_per_s"] =
        benchmark::Counter(bytes_per_neuron_step * static_cast<double>(btn),
                           benchmark::Counter::kIsIterationInvariantRate);
    // Device memory of the algorithm: currents (reused for V and dL/dI), dL/dS, flags.
    state.counters["device_mib"] =
        static_cast<double>(btn * (2 * sizeof(float) + 1)) / (1024.0 * 1024.0);
}
BENCHMARK(BM_FusedLifForwardBackward)
    ->Args({64, 1000, 4096})
    ->Args({64, 1000, 500})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_RecurrentLif(benchmark::State& state) {
    if (skip_without_gpu(state)) return;
    const Index batch = state.range(0), steps = state.range(1), n = state.range(2);
    const auto propagation = static_cast<cuda::RecurrentPropagation>(state.range(3));
    const auto btn = static_cast<std::size_t>(batch * steps * n);
    const cuda::DeviceBuffer<float> pristine = random_device(btn, 3, -0.05f, 0.15f);
    const cuda::DeviceBuffer<float> d_spikes = random_device(btn, 4, -1.0f, 1.0f);
    lif::PopulationConfig config;
    config.neurons = n;
    config.excitatory_presynaptic = (4 * n) / 5;
    config.refractory_steps = 2;
    std::vector<float> beta(static_cast<std::size_t>(n), 0.95f), threshold(beta.size(), 1.0f),
        d_beta(beta.size()), d_theta(beta.size()), d_bias(beta.size());
    std::vector<float> w(static_cast<std::size_t>(n * n)), d_w(w.size());
    for (Index j = 0; j < n; ++j)  // Dale-signed, balanced: E columns +, I columns −4×
        for (Index i = 0; i < n; ++i)
            w[static_cast<std::size_t>(j * n + i)] =
                static_cast<float>(uniform_at(2026, 5, static_cast<std::uint64_t>(j * n + i))) *
                (j < config.excitatory_presynaptic ? 0.02f : -0.08f);
    cuda::LifPopulation<float> population(config, {}, {}, propagation);
    const lif::PopulationParameters<float> params{beta.data(), threshold.data(), nullptr, w.data()};
    const lif::PopulationGradients<float> grads{d_beta.data(), d_theta.data(), d_bias.data(),
                                                d_w.data()};
    time_forward_backward(state, population, batch, steps, pristine, d_spikes, params, grads);
}
BENCHMARK(BM_RecurrentLif)
    ->Args({64, 1000, 500, static_cast<int>(cuda::RecurrentPropagation::sparse)})
    ->Args({64, 1000, 500, static_cast<int>(cuda::RecurrentPropagation::dense)})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_SigReg(benchmark::State& state) {
    if (skip_without_gpu(state)) return;
    const Index n = state.range(0), dim = state.range(1), m = state.range(2);
    const jepa::SigRegKnots q =
        jepa::SigRegKnots::make(17, 3.0, jepa::KnotPrecision::official_float32);
    const cuda::DeviceKnots knots(q);
    const cuda::BlasHandle blas;
    const cuda::DeviceBuffer<float> z =
        random_device(static_cast<std::size_t>(n * dim), 6, -2.0f, 2.0f);
    cuda::DeviceBuffer<float> a(static_cast<std::size_t>(dim * m)), dz(z.size()), scratch;
    cuda::DeviceSigRegCache<float> cache;
    std::uint64_t step = 0;
    time_with_events(
        state, [] {},
        [&] {
            cuda::sigreg_directions<float>(a.data(), dim, m, 2026, step++);
            benchmark::DoNotOptimize(
                cuda::sigreg_forward<float>(blas, cache, z.data(), n, dim, a.data(), m, knots));
            cuda::sigreg_backward<float>(blas, dz.data(), cache, a.data(), dim, knots, 1.0,
                                         scratch);
        });
    state.counters["samples_per_s"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SigReg)->Args({4096, 64, 256})->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
