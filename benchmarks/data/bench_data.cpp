// Phase 0 throughput on a VBN-size synthetic session (2,000 units × 2.5 h, ~9.6e7 spikes, the
// scale the issue quotes for numpy): binning the whole units table at 10 ms (into a reused output
// and into a fresh one), the memory-bandwidth limit (a plain copy of the same spike bytes),
// binning at 100 ms, streaming from the file, reading the units table from NWB, and writing and
// reading windows of a binned store of the session (uint8, 10 ms).
// Competitors run side by side in compare_binning.py (numpy np.histogram per unit),
// compare_nwb_read.py (h5py) and compare_store.py (h5py slicing the same store; numpy memory-
// mapping the same counts as .npy).
//
// The session is generated in memory from a fixed seed (Poisson trains, log-normal rates scaled
// to a 5.33 Hz mean) and written once as NWB to $JEPASNN_BENCH_DATA/vbn_size.nwb (a temporary
// directory, removed at exit, when the variable is unset), so the Python competitors read the
// very same bytes. JEPASNN_BENCH_QUICK=1 shrinks it to 200 units × 30 min for a smoke run.
#include <jepasnn/core/npy.hpp>
#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/data/binned_store.hpp>
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/nwb_writer.hpp>
#include <jepasnn/data/streaming_binning.hpp>

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

namespace data = jepasnn::data;
namespace fs = std::filesystem;

namespace {

struct Scale {
    std::size_t units;
    double duration_s;
};

Scale scale() {
    const char* quick = std::getenv("JEPASNN_BENCH_QUICK");
    if (quick != nullptr && std::string(quick) == "1") return {200, 1800.0};
    return {2000, 9000.0};
}

/// Poisson trains with log-normal rates scaled to a 5.33 Hz mean (9.6e7 spikes at full scale).
const data::UnitTable& session() {
    static const data::UnitTable table = [] {
        const Scale s = scale();
        constexpr std::uint64_t seed = 20261124;
        std::vector<double> rate(s.units);
        double mean = 0.0;
        for (std::size_t u = 0; u < s.units; ++u)
            mean += rate[u] = std::exp(0.8 * jepasnn::normal_at(seed, 1, u));
        for (double& r : rate)
            r *= 5.33 / (mean / static_cast<double>(s.units));
        std::vector<std::vector<double>> trains(s.units);
        jepasnn::parallel_for(0, static_cast<std::int64_t>(s.units), [&](std::int64_t i) {
            const auto u = static_cast<std::size_t>(i);
            jepasnn::RandomStream rng(seed, jepasnn::stream_id(2, static_cast<std::uint32_t>(u)));
            auto& t = trains[u];
            t.reserve(static_cast<std::size_t>(rate[u] * s.duration_s * 1.1) + 16);
            for (double now = rng.exponential(rate[u]); now < s.duration_s;
                 now += rng.exponential(rate[u]))
                t.push_back(now);
        });
        std::vector<std::int64_t> ids(s.units);
        for (std::size_t u = 0; u < s.units; ++u)
            ids[u] = 950000000 + 17 * static_cast<std::int64_t>(u);
        return data::UnitTable::from_trains(ids, trains);
    }();
    return table;
}

/// The session as NWB, written once per directory.
const fs::path& session_file() {
    static const struct File {
        fs::path dir, path;
        bool owned = false;
        File() {
            const char* env = std::getenv("JEPASNN_BENCH_DATA");
            if (env != nullptr && *env != '\0') {
                dir = env;
            } else {
                dir = fs::temp_directory_path() / ("jepasnn-bench-" + std::to_string(::getpid()));
                owned = true;
            }
            fs::create_directories(dir);
            path = dir / (scale().units == 2000 ? "vbn_size.nwb" : "vbn_size_quick.nwb");
            if (!fs::exists(path)) {
                data::NwbWriter w(path, {"vbn-size", "synthetic VBN-size session", "", ""}, 1);
                w.write_units(session());
                w.finish();
            }
        }
        ~File() {
            std::error_code ec;
            if (owned) fs::remove_all(dir, ec);
        }
    } file;
    return file.path;
}

data::BinGrid grid(double bin_width) {
    return data::BinGrid::covering({0.0, scale().duration_s}, bin_width);
}

void set_counters(benchmark::State& state, std::uint64_t spikes) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spikes));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * spikes * 8));
    state.counters["spikes"] = static_cast<double>(spikes);
    state.counters["threads"] = jepasnn::thread_count();
}

}  // namespace

/// The whole units table at state.range(0) ms into a count type C, into an output that is reused
/// between calls (the steady state of a pipeline that bins repeatedly: no page faults).
template <class C>
void bin_session_reused(benchmark::State& state) {
    const data::UnitTable& u = session();
    const data::BinGrid g = grid(static_cast<double>(state.range(0)) * 1e-3);
    const std::vector<std::size_t> all = data::all_units(u.size());
    jepasnn::Tensor<C, 2> out;
    data::bin_spikes_into(out, u.trains(), g, all);  // first touch outside the timing
    for (auto _ : state) {
        data::bin_spikes_into(out, u.trains(), g, all);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, u.total_spikes());
    state.counters["bins"] = static_cast<double>(g.n_bins);
    state.counters["output_bytes"] = static_cast<double>(out.size() * sizeof(C));
}

/// int32 output (4 bytes per count).
static void BM_bin_session(benchmark::State& state) {
    bin_session_reused<std::int32_t>(state);
}
BENCHMARK(BM_bin_session)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);

/// uint8 output (1 byte per count: the narrowest exact type of VBN's 10 ms counts).
static void BM_bin_session_uint8(benchmark::State& state) {
    bin_session_reused<std::uint8_t>(state);
}
BENCHMARK(BM_bin_session_uint8)->Arg(10)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The same with a fresh output each call: includes the operating system's first touch of
/// n_bins × units × 4 bytes.
static void BM_bin_session_fresh_output(benchmark::State& state) {
    const data::UnitTable& u = session();
    const data::BinGrid g = grid(0.01);
    for (auto _ : state) {
        const auto out = data::bin_spikes(u, g);
        benchmark::DoNotOptimize(out.data());
    }
    set_counters(state, u.total_spikes());
}
BENCHMARK(BM_bin_session_fresh_output)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The bandwidth limit: one copy of the spike times (8 bytes per spike read once, written once).
static void BM_copy_spike_bytes(benchmark::State& state) {
    const std::span<const double> t = session().all_spike_times();
    std::unique_ptr<double[]> copy(new double[t.size()]);
    std::memcpy(copy.get(), t.data(), t.size_bytes());  // first touch outside the timing
    for (auto _ : state) {
        std::memcpy(copy.get(), t.data(), t.size_bytes());
        benchmark::DoNotOptimize(copy.get());
        benchmark::ClobberMemory();
    }
    set_counters(state, t.size());
}
BENCHMARK(BM_copy_spike_bytes)->UseRealTime()->Unit(benchmark::kMillisecond);

/// Reading the units table (ids, index, spike times: bulk read plus full validation).
static void BM_read_units(benchmark::State& state) {
    const fs::path& path = session_file();
    data::ReadOptions o;
    o.ragged_columns = false;
    std::uint64_t spikes = 0;
    for (auto _ : state) {
        const data::UnitTable u = data::NwbFile(path).read_units(o);
        spikes = u.total_spikes();
        benchmark::DoNotOptimize(u.all_spike_times().data());
    }
    set_counters(state, spikes);
}
BENCHMARK(BM_read_units)->UseRealTime()->Unit(benchmark::kMillisecond);

/// Binning at 100 ms straight from the file in 4 Mi-spike chunks (bounded input memory).
static void BM_bin_file_streaming(benchmark::State& state) {
    const data::NwbFile file(session_file());
    const data::BinGrid g = grid(0.1);
    std::uint64_t spikes = 0;
    for (auto _ : state) {
        const auto out = data::bin_file(file, g);
        spikes = file.read_unit_index().total_spikes();
        benchmark::DoNotOptimize(out.data());
    }
    set_counters(state, spikes);
}
BENCHMARK(BM_bin_file_streaming)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The session's 10 ms counts as uint8 and the header of their store.
struct StoreInput {
    data::StoreHeader header;
    data::Counts counts;
};
const StoreInput& store_input() {
    static const StoreInput input = [] {
        const data::Session s = data::load_session(session_file());
        const data::BinGrid g = grid(0.01);
        const std::vector<std::size_t> all = data::all_units(s.units.size());
        return StoreInput{data::StoreHeader::of(s, session_file(), g, all, "none"),
                          data::bin_spikes_as(data::CountDType::uint8, s.units, g, all)};
    }();
    return input;
}

/// The binned store of the session (and the same counts as .npy for numpy's memory map), written
/// once beside the NWB file.
const fs::path& store_file() {
    static const fs::path path = [] {
        const fs::path p = session_file().parent_path() / "vbn_size_store.h5";
        if (!fs::exists(p)) {
            data::write_store(p, store_input().header, store_input().counts);
            jepasnn::save_npy(session_file().parent_path() / "vbn_size_counts.npy",
                              std::get<jepasnn::Tensor<std::uint8_t, 2>>(store_input().counts));
        }
        return p;
    }();
    return path;
}

/// Writing the store: 1.8 GB of uint8 counts in 256 KiB chunks, atomically (the source's CRC-32
/// is computed outside the timing).
static void BM_store_write(benchmark::State& state) {
    const StoreInput& input = store_input();
    const fs::path path = session_file().parent_path() / "store_write_bench.h5";
    for (auto _ : state)
        data::write_store(path, input.header, input.counts);
    state.counters["file_bytes"] = static_cast<double>(fs::file_size(path));
    state.counters["count_bytes"] =
        static_cast<double>(std::get<jepasnn::Tensor<std::uint8_t, 2>>(input.counts).size());
    fs::remove(path);
}
BENCHMARK(BM_store_write)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

/// Starts of the random windows every reader uses (the compare script draws the same ones).
std::vector<std::size_t> window_starts(std::size_t bins, std::size_t window, std::size_t n) {
    std::vector<std::size_t> starts(n);
    jepasnn::RandomStream rng(20261205, 0);
    for (auto& s : starts)
        s = rng.uniform_index(bins - window + 1);
    return starts;
}

/// Reading random windows of state.range(0) bins × all units from the store (uint8).
static void BM_store_read_window(benchmark::State& state) {
    const data::BinnedStore store(store_file());
    const auto window = static_cast<std::size_t>(state.range(0));
    const std::vector<std::size_t> starts = window_starts(store.bins(), window, 1000);
    std::vector<std::uint8_t> out(window * store.units());
    std::size_t i = 0;
    for (auto _ : state) {
        store.read_window<std::uint8_t>(starts[i++ % starts.size()], window, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
    state.counters["window_bytes"] = static_cast<double>(out.size());
    state.counters["chunk_rows"] =
        static_cast<double>(data::store_chunk_rows(store.units(), sizeof(std::uint8_t)));
}
BENCHMARK(BM_store_read_window)
    ->Arg(64)
    ->Arg(256)
    ->Arg(1024)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

/// Writes the session file (if needed) and prints its path: the compare scripts call this first.
static void BM_prepare_session_file(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(session_file().c_str());
    state.SetLabel(session_file().string());
    state.counters["spikes"] = static_cast<double>(session().total_spikes());
    if (std::getenv("JEPASNN_BENCH_STORE") != nullptr) (void)store_file();
}
BENCHMARK(BM_prepare_session_file)->Iterations(1);

BENCHMARK_MAIN();
