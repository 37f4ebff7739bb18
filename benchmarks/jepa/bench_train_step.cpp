// One training step of the default teacher (jepa::Teacher: float32, GRU encoder, SIGReg
// per time step, default ModelConfig and TrainConfig sizes: 3 sessions of 380/420/450 units,
// batch 32 windows × 64 bins), with the latent dimension D as the argument (32: the default,
// 128: the paper's teacher) — batch assembly excluded; forward, backward, gradient clipping and
// the AdamW update included. compare_teacher_torch.py runs the same architecture in PyTorch.
// BM_teacher_make_batch times what the step excludes: assembling one batch from counts held in
// memory (0) or read from binned stores (1, warm page cache), each window transformed and
// z-scored as it is read, so the two can be set against a step.
#include <benchmark/benchmark.h>

#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/data/count_source.hpp>
#include <jepasnn/jepa/dataset.hpp>
#include <jepasnn/jepa/model.hpp>
#include <jepasnn/jepa/trainer.hpp>
#include <jepasnn/nn/adamw.hpp>

#include <unistd.h>
#include <filesystem>
#include <string>
#include <vector>

namespace jepa = jepasnn::jepa;
using jepasnn::Index;

namespace {

/// Poisson-like counts (bins × units) from the counter-based RNG, prepared as the trainer does:
/// held in memory, or (with `store_dir`) written to a binned store there and read from it.
std::vector<jepa::SessionRecording<float>> sessions(const std::vector<Index>& units, Index bins,
                                                    const std::filesystem::path& store_dir = {}) {
    namespace data = jepasnn::data;
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
        data::CountSource source(data::counts_from_matrix(counts, "bench"));
        if (!store_dir.empty()) {
            data::StoreHeader h;  // a made-up header: no NWB file behind these counts
            h.grid = {0.0, 0.01, static_cast<std::size_t>(bins)};
            for (Index u = 0; u < units[s]; ++u) {
                h.unit_ids.push_back(u);
                h.unit_rows.push_back(u);
            }
            h.state.assign(static_cast<std::size_t>(bins), 0);
            h.qc = "none";
            const std::filesystem::path path = store_dir / (name + ".h5");
            data::write_store(path, h, data::counts_from_matrix(counts, "bench"));
            source = data::CountSource::open_store(path);
        }
        out.push_back(jepa::prepare_session<float>(source, jepa::CountTransform::sqrt, {}, name));
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

void BM_teacher_make_batch(benchmark::State& state) {
    const jepa::TrainConfig tc;
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("jepasnn-bench-batch-" + std::to_string(::getpid()));
    if (state.range(0) == 1) std::filesystem::create_directories(dir);
    {
        const auto data = sessions({380, 420, 450}, 4000, state.range(0) == 1 ? dir : "");
        const jepa::WindowSampler sampler(jepa::runs_of<float>(data, false), tc.window);
        std::uint64_t step = 0;
        for (auto _ : state) {
            const jepa::Batch<float> batch =
                jepa::make_batch<float>(data, sampler.sample(tc.batch_size, 1, step++), tc.window);
            benchmark::DoNotOptimize(batch.inputs.data());
        }
    }
    std::filesystem::remove_all(dir);
    state.counters["batches_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_teacher_make_batch)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_teacher_train_step)->Arg(32)->Arg(128)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
