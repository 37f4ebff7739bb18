// One training step of the default teacher (jepa::Teacher: float32, GRU encoder, SIGReg
// per time step, default ModelConfig and TrainConfig sizes: 3 sessions of 380/420/450 units,
// batch 32 windows × 64 bins), with the latent dimension D as the argument (32: the default,
// 128: the paper's teacher) — batch assembly excluded; forward, backward, gradient clipping and
// the AdamW update included. compare_teacher_torch.py runs the same architecture in PyTorch.
#include <benchmark/benchmark.h>

#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/jepa/dataset.hpp>
#include <jepasnn/jepa/model.hpp>
#include <jepasnn/jepa/trainer.hpp>
#include <jepasnn/nn/adamw.hpp>

#include <string>
#include <vector>

namespace jepa = jepasnn::jepa;
using jepasnn::Index;

namespace {

/// Poisson-like counts (bins × units) from the counter-based RNG, prepared as the trainer does.
std::vector<jepa::SessionRecording<float>> sessions(const std::vector<Index>& units, Index bins) {
    std::vector<jepa::SessionRecording<float>> out;
    for (std::size_t s = 0; s < units.size(); ++s) {
        jepasnn::RowMatrix<double> counts(bins, units[s]);
        for (Index i = 0; i < counts.size(); ++i)
            counts.data()[i] = jepasnn::uniform_at(7, static_cast<std::uint32_t>(s),
                                                   static_cast<std::uint64_t>(i)) < 0.05
                                   ? 1.0
                                   : 0.0;
        std::string name = "s";  // not "s" + to_string(s): GCC 12's -Wrestrict false positive
        name += std::to_string(s);
        out.push_back(jepa::prepare_session<float>(counts, jepa::CountTransform::sqrt, {}, name));
    }
    return out;
}

void BM_teacher_train_step(benchmark::State& state) {
    const jepa::TrainConfig tc;  // defaults: batch 32, window 64, clip 1, AdamW
    jepa::ModelConfig mc;        // defaults: H 128, GRU, predictor, K 4
    mc.latent = state.range(0);
    mc.session_units = {380, 420, 450};
    const auto data = sessions(mc.session_units, 4000);
    jepa::Teacher model(mc);  // SIGReg with its default 256 directions
    jepasnn::nn::AdamW<float> adam(model.parameters().size(), tc.optimizer,
                                   model.parameters().layout().decay_mask());
    const jepa::WindowSampler sampler(jepa::runs_of<float>(data, false), tc.window);
    const jepa::Batch<float> batch =
        jepa::make_batch<float>(data, sampler.sample(tc.batch_size, 1, 0), tc.window);
    std::uint64_t step = 0;
    for (auto _ : state) {
        auto& p = model.parameters();
        p.zero_gradients();
        const jepa::LossParts loss = model.forward_backward(batch, {1, step});
        jepasnn::nn::clip_global_norm<float>(p.gradients(), tc.clip_norm);
        adam.step(p.values(), p.gradients(), 1e-4);
        benchmark::DoNotOptimize(loss.total);
        ++step;
    }
    state.counters["steps_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["parameters"] = static_cast<double>(model.parameters().size());
    state.counters["threads"] = jepasnn::thread_count();
}

}  // namespace

BENCHMARK(BM_teacher_train_step)->Arg(32)->Arg(128)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
