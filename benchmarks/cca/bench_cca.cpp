// CCA throughput: the in-memory Björck–Golub fit at the benchmark sizes (n = 100,000 with
// p = q = 16 and 64, n = 10,000 with p = q = 256), the streaming accumulator, a permutation null,
// and one Deep CCA loss step (forward + backward) at distillation sizes. The comparison scripts
// (compare_numpy.py, compare_sklearn.py, compare_deep_cca_torch.py) hand both sides the same data:
// when JEPASNN_BENCH_X / JEPASNN_BENCH_Y name float64 .npy files of the benchmark's shape, they
// are used; otherwise the data are generated here. The fitted canonical correlations are reported
// as counters (rho_sum, rho_sq_sum, rho_min, rho_max, ranks) so that the scripts check the answer.
#include <jepasnn/cca/cca.hpp>
#include <jepasnn/core/npy.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <map>
#include <utility>

using namespace jepasnn;

namespace {

struct Views {
    RowMatrix<double> x, y;
};

/// n × p views sharing p/2 latents (or the files of JEPASNN_BENCH_X / _Y), loaded once.
const Views& views(Index n, Index p, Index q) {
    static std::map<std::array<Index, 3>, Views> cache;
    auto [it, fresh] = cache.try_emplace({n, p, q});
    if (!fresh) return it->second;
    Views& v = it->second;
    const char* fx = std::getenv("JEPASNN_BENCH_X");
    const char* fy = std::getenv("JEPASNN_BENCH_Y");
    if (fx != nullptr && fy != nullptr) {
        v.x = load_npy_matrix<double>(fx);
        v.y = load_npy_matrix<double>(fy);
        require(v.x.rows() == n && v.x.cols() == p && v.y.rows() == n && v.y.cols() == q,
                "bench_cca", "JEPASNN_BENCH_X/_Y are ", v.x.rows(), "x", v.x.cols(), " and ",
                v.y.rows(), "x", v.y.cols(), ", the benchmark wants ", n, "x", p, " and ", n, "x",
                q);
        return v;
    }
    const Index d = std::max<Index>(1, std::min(p, q) / 2);
    RowMatrix<double> z(n, d), lx(d, p), ly(d, q);
    v.x.resize(n, p);
    v.y.resize(n, q);
    auto fill = [](RowMatrix<double>& m, std::uint64_t stream) {
        for (Index i = 0; i < m.size(); ++i)
            m.data()[i] = normal_at(1, stream, static_cast<std::uint64_t>(i));
    };
    fill(z, 1);
    fill(lx, 2);
    fill(ly, 3);
    fill(v.x, 4);
    fill(v.y, 5);
    v.x += z * lx;
    v.y += z * ly;
    return v;
}

void report(benchmark::State& state, const cca::CcaResult& r) {
    state.counters["rho_sum"] = r.correlations.sum();
    state.counters["rho_sq_sum"] = r.correlations.squaredNorm();
    state.counters["rho_min"] = r.correlations.minCoeff();
    state.counters["rho_max"] = r.correlations.maxCoeff();
    state.counters["rank_x"] = static_cast<double>(r.rank_x);
    state.counters["rank_y"] = static_cast<double>(r.rank_y);
}

}  // namespace

/// canonical_correlations(X, Y) with default options: correlations, weights, ranks (no variates),
/// like numpy's closed form; args (n, p = q).
static void BM_cca(benchmark::State& state) {
    const Index n = state.range(0), p = state.range(1);
    const Views& v = views(n, p, p);
    cca::CcaResult r;
    for (auto _ : state) {
        r = cca::canonical_correlations(v.x, v.y);
        benchmark::DoNotOptimize(r.correlations.data());
    }
    report(state, r);
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_cca)
    ->Args({5000, 8})  // the comparison scripts' --quick size
    ->Args({100000, 16})
    ->Args({100000, 64})
    ->Args({10000, 256})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

/// The streaming accumulator fed 10,000-row chunks, then CCA from its factor; args (n, p = q).
static void BM_cca_streaming(benchmark::State& state) {
    const Index n = state.range(0), p = state.range(1), chunk = 10000;
    const Views& v = views(n, p, p);
    cca::CcaResult r;
    for (auto _ : state) {
        cca::CovarianceAccumulator acc(p, p);
        for (Index at = 0; at < n; at += chunk)
            acc.add(v.x.middleRows(at, std::min(chunk, n - at)),
                    v.y.middleRows(at, std::min(chunk, n - at)));
        r = cca::canonical_correlations(acc.factor());
        benchmark::DoNotOptimize(r.correlations.data());
    }
    report(state, r);
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_cca_streaming)->Args({100000, 16})->UseRealTime()->Unit(benchmark::kMillisecond);

/// 100 permutation draws of mean CCA (prepared whitened views: one product per draw).
static void BM_cca_null(benchmark::State& state) {
    const Index n = state.range(0), p = state.range(1);
    const Views& v = views(n, p, p);
    cca::NullOptions o;
    o.samples = 100;
    for (auto _ : state) {
        const cca::NullDistribution d = cca::cca_null(v.x, v.y, o);
        benchmark::DoNotOptimize(d.p_value);
    }
    state.SetItemsProcessed(state.iterations() * o.samples);
}
BENCHMARK(BM_cca_null)->Args({10000, 16})->UseRealTime()->Unit(benchmark::kMillisecond);

/// One Deep CCA loss step: forward and backward to both views; args (batch m, d1 = d2).
static void BM_deep_cca_step(benchmark::State& state) {
    const Index m = state.range(0), d = state.range(1);
    const Views& v = views(m, d, d);
    cca::DeepCcaCache cache;
    RowMatrix<double> dh1(m, d), dh2(m, d);
    double loss = 0.0;
    for (auto _ : state) {
        dh1.setZero();
        dh2.setZero();
        loss = cca::deep_cca_forward(cache, v.x, v.y);
        cca::deep_cca_backward(&dh1, &dh2, cache);
        benchmark::DoNotOptimize(dh1.data());
    }
    state.counters["loss"] = loss;
    state.counters["dh1_norm"] = dh1.norm();
    state.counters["dh2_norm"] = dh2.norm();
}
BENCHMARK(BM_deep_cca_step)->Args({1024, 32})->UseRealTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
