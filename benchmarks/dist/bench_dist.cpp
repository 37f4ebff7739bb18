// Data-parallel training over MPI, run under mpirun with P ranks of one thread each
// (compare_allreduce.py does): every rank runs the same benchmarks with fixed iteration counts, so
// their collectives pair up, and each iteration's time is the slowest rank's. Rank 0 reports.
//   BM_tree_allreduce/n   dist::tree_allreduce of n floats, one shard per rank: the fixed-order
//                         sum that makes results independent of P
//   BM_mpi_allreduce/n    MPI_Allreduce(MPI_SUM) of the same n floats: MPI's own, whose order
//                         depends on P and on its algorithm
//   BM_teacher_step/S     one step of the default teacher at the paper's size (D = 128, batch 32
//                         windows of 64 bins, 3 sessions), its batch in S shards shared by the P
//                         ranks: forward, backward, clipping and AdamW
//   BM_student_step/S     one distillation step of the paper's student (256 LIF neurons, 400
//                         input units, 8 target dimensions, batch 16 windows of 60 bins), its
//                         batch in S shards shared by the P ranks: BPTT, Deep CCA, homeostasis,
//                         clipping, AdamW and the sign projection
#include <benchmark/benchmark.h>

#include <jepasnn/core/rng.hpp>
#include <jepasnn/data/count_source.hpp>
#include <jepasnn/dist/dist.hpp>
#include <jepasnn/dist/mpi_shards.hpp>
#include <jepasnn/distill/distill.hpp>
#include <jepasnn/jepa/dataset.hpp>
#include <jepasnn/jepa/model.hpp>
#include <jepasnn/jepa/trainer.hpp>
#include <jepasnn/nn/adamw.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace jepa = jepasnn::jepa;
namespace distill = jepasnn::distill;
using jepasnn::Index;
using jepasnn::dist::Communicator;

namespace {

const Communicator& world() {
    static const Communicator w = Communicator::world();
    return w;
}

/// Seconds of f() on the slowest rank, all ranks starting together.
template <class F>
double slowest(F&& f) {
    MPI_Barrier(world().get());
    const double t0 = MPI_Wtime();
    f();
    const double mine = MPI_Wtime() - t0;
    double worst = 0.0;
    MPI_Allreduce(&mine, &worst, 1, MPI_DOUBLE, MPI_MAX, world().get());
    return worst;
}

std::vector<float> values(std::size_t n) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<float>(
                   jepasnn::uniform_at(1, static_cast<std::uint64_t>(world().rank()), i)) -
               0.5f;
    return v;
}

void BM_tree_allreduce(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const jepasnn::ShardTree tree(world().size());
    const std::vector<float> mine = values(n);
    std::vector<float> out(n);
    const auto leaf = [&](std::int64_t, std::span<float> v) {
        std::copy(mine.begin(), mine.end(), v.begin());
    };
    jepasnn::dist::TreeWorkspace<float> work;  // as MpiShards keeps it from step to step
    for (auto _ : state)
        state.SetIterationTime(slowest([&] {
            jepasnn::dist::tree_allreduce(world(), tree, leaf, std::span<float>(out), work);
        }));
    benchmark::DoNotOptimize(out.data());
    state.counters["bytes_received"] =
        4.0 * static_cast<double>(
                  jepasnn::dist::tree_allreduce_values(tree, world().size(), 0, state.range(0)));
    state.counters["ranks"] = world().size();
}

void BM_mpi_allreduce(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::vector<float> mine = values(n);
    std::vector<float> out(n);
    for (auto _ : state)
        state.SetIterationTime(slowest([&] {
            std::copy(mine.begin(), mine.end(), out.begin());  // as the tree's leaf copies
            MPI_Allreduce(MPI_IN_PLACE, out.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                          world().get());
        }));
    benchmark::DoNotOptimize(out.data());
    state.counters["ranks"] = world().size();
}

/// The default teacher at the paper's latent size, as bench_jepa's BM_teacher_train_step/128.
jepa::ModelConfig teacher_config() {
    jepa::ModelConfig mc;
    mc.latent = 128;
    mc.session_units = {380, 420, 450};
    return mc;
}

std::vector<jepa::SessionRecording<float>> sessions(const std::vector<Index>& units, Index bins) {
    std::vector<jepa::SessionRecording<float>> out;
    for (std::size_t s = 0; s < units.size(); ++s) {
        jepasnn::RowMatrix<double> counts(bins, units[s]);
        for (Index i = 0; i < counts.size(); ++i)
            counts.data()[i] = jepasnn::uniform_at(7, s, static_cast<std::uint64_t>(i)) < 0.05;
        jepasnn::data::CountSource source(jepasnn::data::counts_from_matrix(counts, "bench"));
        std::string name = "s";  // not "s" + to_string(s): GCC 12's -Wrestrict false positive
        name += std::to_string(s);
        out.push_back(jepa::prepare_session<float>(source, jepa::CountTransform::sqrt, {}, name));
    }
    return out;
}

void BM_teacher_step(benchmark::State& state) {
    const jepa::TrainConfig tc;  // batch 32, window 64, clip 1, AdamW
    const jepasnn::ShardPlan plan(tc.batch_size, state.range(0));
    const jepasnn::ShardTree tree(plan.shards);
    const auto exchange = std::make_shared<jepasnn::dist::MpiShards>(world());
    const auto [first, last] = exchange->own(tree);
    const jepa::ModelConfig mc = teacher_config();
    const auto data = sessions(mc.session_units, 4000);
    jepa::Teacher model(mc);
    jepasnn::nn::AdamW<float> adam(model.parameters().size(), tc.optimizer,
                                   model.parameters().layout().decay_mask());
    const jepa::WindowSampler sampler(jepa::runs_of<float>(data, false), tc.window);
    const auto windows = sampler.sample(tc.batch_size, 1, 0);
    const auto own = jepa::shard_batches<float>(data, windows, plan, first, last, tc.window);
    std::uint64_t step = 0;
    for (auto _ : state) {
        state.SetIterationTime(slowest([&] {
            auto& p = model.parameters();
            model.forward_backward_shards(own, plan, *exchange, {1, step});
            jepasnn::nn::clip_global_norm<float>(p.gradients(), tc.clip_norm);
            adam.step(p.values(), p.gradients(), 1e-4);
        }));
        ++step;
    }
    // Per step a rank receives three tree sums (the gradient, SIGReg's characteristic-function
    // sums of every time step, the loss's squared errors) and the batch's states less its own.
    const auto n = static_cast<std::int64_t>(model.parameters().size());
    const jepa::SigRegConfig& sig = model.regularizer().config();
    const std::int64_t sums = (tc.window - mc.burn_in) * 2 * sig.knots * sig.directions;
    const double states = static_cast<double>(tc.window * tc.batch_size);
    const double own_states = states * static_cast<double>(plan.first(last) - plan.first(first)) /
                              static_cast<double>(plan.items);
    const auto received = [&](std::int64_t values) {
        return static_cast<double>(
            jepasnn::dist::tree_allreduce_values(tree, world().size(), 0, values));
    };
    state.counters["bytes_received"] =
        4.0 * received(n) + 8.0 * received(sums) + 8.0 * received(1) + 4.0 * (states - own_states);
    state.counters["sigreg_sums"] = static_cast<double>(sums);
    state.counters["parameters"] = static_cast<double>(n);
    state.counters["ranks"] = world().size();
}

/// The paper's student (paper/config.json, full profile) on a 100 s session of 400 units firing
/// at ~10 Hz, with 32-dimensional teacher latents.
distill::DistillConfig student_config(Index shards) {
    distill::DistillConfig c;
    c.neurons = 256;
    c.batch = 16;
    c.window_bins = 60;
    c.burn_in_bins = 10;
    c.target_components = 8;
    c.shards = shards;
    c.steps = 1000;
    c.eval_every = 0;
    c.prefetch = false;  // the session is in memory
    return c;
}

distill::DistillData student_data(const distill::DistillConfig& c) {
    const Index bins = 10000, units = 400, latent = 32;
    jepasnn::RowMatrix<double> counts(bins, units), z(bins, latent);
    for (Index i = 0; i < counts.size(); ++i)
        counts.data()[i] = jepasnn::uniform_at(9, 0, static_cast<std::uint64_t>(i)) < 0.1;
    for (Index i = 0; i < z.size(); ++i)
        z.data()[i] = jepasnn::normal_at(9, 1, static_cast<std::uint64_t>(i));
    return distill::make_distill_data(std::move(counts), std::move(z), c);
}

void BM_student_step(benchmark::State& state) {
    const distill::DistillConfig c = student_config(state.range(0));
    const distill::DistillData data = student_data(c);
    const auto exchange = std::make_shared<jepasnn::dist::MpiShards>(world());
    distill::Distiller<> student(data, c);
    student.share_steps(exchange);
    for (auto _ : state)
        state.SetIterationTime(slowest([&] { student.step(); }));
    // Per step a rank receives four tree sums: the spike counts (N doubles), the Deep CCA column
    // sums with the non-finite flag (1 + D + d), its covariances (D² + d² + D·d) and the
    // gradient (n floats).
    const jepasnn::ShardTree tree(c.shards);
    const auto received = [&](std::int64_t values) {
        return static_cast<double>(
            jepasnn::dist::tree_allreduce_values(tree, world().size(), 0, values));
    };
    const Index n = static_cast<Index>(student.network().parameters().size());
    const Index dy = student.network().config().readout_dim, dz = data.latent_dim();
    state.counters["bytes_received"] = 8.0 * received(c.neurons) + 8.0 * received(1 + dy + dz) +
                                       8.0 * received(dy * dy + dz * dz + dy * dz) +
                                       4.0 * received(n);
    state.counters["parameters"] = static_cast<double>(n);
    state.counters["ranks"] = world().size();
}

/// Benchmarks discard what ranks other than 0 would print.
class Silent : public benchmark::BenchmarkReporter {
  public:
    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>&) override {}
};

void register_benchmarks() {
    // Fixed iteration counts: every rank must run as many collectives as the others.
    const std::pair<std::int64_t, int> sizes[] = {
        {1, 2000}, {4096, 1000}, {65536, 200}, {391552, 50}, {39418752, 3}};
    for (const auto& [n, iterations] : sizes) {
        benchmark::RegisterBenchmark("BM_tree_allreduce", BM_tree_allreduce)
            ->Arg(n)
            ->Iterations(iterations)
            ->UseManualTime();
        benchmark::RegisterBenchmark("BM_mpi_allreduce", BM_mpi_allreduce)
            ->Arg(n)
            ->Iterations(iterations)
            ->UseManualTime();
    }
    // Shards: P (each rank one) and, on one rank, also the plain one-shard step.
    std::vector<std::int64_t> shards{std::max(2, world().size())};
    if (world().size() == 1) shards.insert(shards.begin(), 1);
    for (const std::int64_t s : shards) {
        benchmark::RegisterBenchmark("BM_teacher_step", BM_teacher_step)
            ->Arg(s)
            ->Iterations(30)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark("BM_student_step", BM_student_step)
            ->Arg(s)
            ->Iterations(20)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
    jepasnn::dist::Environment mpi(argc, argv);
    return jepasnn::dist::guarded_main(world(), "bench_dist", [&] {
        register_benchmarks();
        benchmark::Initialize(&argc, argv);
        if (world().is_root()) {
            benchmark::RunSpecifiedBenchmarks();
        } else {
            Silent silent;
            benchmark::RunSpecifiedBenchmarks(&silent);
        }
        benchmark::Shutdown();
        return 0;
    });
}
