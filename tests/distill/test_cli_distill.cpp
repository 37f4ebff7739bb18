// jepasnn distill: a small end-to-end run on the committed NWB fixture (checkpoint, metrics and
// history written; --resume continues; an existing checkpoint is not overwritten; a run killed
// with SIGKILL and resumed ends as an uninterrupted one), bad input (one line on stderr, exit
// 1 or 2, no metrics written), and `mpirun -np 2 jepasnn distill` writing the one-process files.
#include <catch2/catch.hpp>

#include <jepasnn/core/checkpoint.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>
#include <jepasnn/core/rng.hpp>
#include <jepasnn/data/binned_store.hpp>

#include <filesystem>
#include <functional>
#include <limits>

#include "../support/test_support.hpp"

using namespace jepasnn;
namespace fs = std::filesystem;

namespace {
/// A 60 s stand-in latents file for the fixture session and a config distilling it.
fs::path write_setup(const fs::path& dir, const Json& student_overrides = Json::object(),
                     Index bins = 6000) {
    RowMatrix<double> z(bins, 3);
    for (Index i = 0; i < z.size(); ++i)
        z.data()[i] = normal_at(5, 0, std::uint64_t(i));
    save_npy(dir / "latents.npy", z);
    Json student = {{"neurons", 20},      {"steps", 4},
                    {"batch", 4},         {"window_bins", 30},
                    {"burn_in_bins", 5},  {"warmup_steps", 1},
                    {"eval_every", 2},    {"monitor_windows", 4},
                    {"null_samples", 20}, {"checkpoint_every", 2},
                    {"seed", 1}};
    student.update(student_overrides);
    const Json config = {{"nwb", test::test_asset("fixtures/vbn_like_small.nwb").string()},
                         {"latents", "latents.npy"},
                         {"out", "student"},
                         {"student", student}};
    write_json(dir / "distill.json", config);
    return dir / "distill.json";
}
}  // namespace

TEST_CASE("cli distill killed with SIGKILL and resumed ends with the uninterrupted run's metrics",
          "[distill]") {
    if (!test::have_cli) JEPASNN_SKIP("jepasnn CLI not built");
    test::TempDir dir;
    // The first checkpoint comes after 2 of 200 steps, so the kill lands early in the training.
    const fs::path config = write_setup(dir.path(), {{"steps", 200}, {"checkpoint_every", 2}});
    const auto args = [&](const char* out, bool resume) {
        std::vector<std::string> a = {"distill",
                                      "--config",
                                      config.string(),
                                      "--out",
                                      (dir.path() / out).string(),
                                      "--quiet",
                                      "--threads",
                                      "1"};
        if (resume) a.push_back("--resume");
        return a;
    };
    const test::RunResult whole = test::run_cli(args("whole", false));
    INFO(whole.err);
    REQUIRE(whole.status == 0);
    REQUIRE(test::run_cli_killed_when_exists(args("killed", false),
                                             dir.path() / "killed" / "student.ckpt"));
    CHECK_FALSE(fs::exists(dir.path() / "killed" / "metrics.json"));
    const test::RunResult resumed = test::run_cli(args("killed", true));
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    for (const char* file : {"metrics.json", "history.json"})
        CHECK(read_json(dir.path() / "killed" / file) == read_json(dir.path() / "whole" / file));
}

TEST_CASE("cli distill writes checkpoint metrics and history", "[distill]") {
    if (!test::have_cli) JEPASNN_SKIP("jepasnn CLI not built");
    test::TempDir dir;
    const fs::path config = write_setup(dir.path());
    const test::RunResult r =
        test::run_cli({"distill", "--config", config.string(), "--quiet", "--threads", "1"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const fs::path out = dir.path() / "student";
    CHECK(fs::exists(out / "student.ckpt"));
    const Json m = read_json(out / "metrics.json");
    for (const char* key : {"cca_heldout", "cca_null_95", "frac_neurons_in_band", "dale_violations",
                            "mean_rate_hz_exc", "mean_rate_hz_inh"})
        CHECK(m.contains(key));
    CHECK(m["steps"].get<int>() == 4);
    CHECK(m["dale_violations"].get<int>() == 0);
    const Json h = read_json(out / "history.json");
    CHECK(h["steps"].size() == 4);
    CHECK(h["monitor"].size() == 2);

    // A second run refuses to overwrite; --resume with more steps continues.
    const test::RunResult again =
        test::run_cli({"distill", "--config", config.string(), "--quiet"});
    test::check_cli_error(again, "--resume");
    Json doc = read_json(config);
    doc["student"]["steps"] = 6;
    write_json(config, doc);
    const test::RunResult resumed = test::run_cli(
        {"distill", "--config", config.string(), "--quiet", "--resume", "--threads", "1"});
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(read_json(out / "metrics.json")["steps"].get<int>() == 6);
}

TEST_CASE("cli distill rejects bad input with one line", "[distill]") {
    if (!test::have_cli) JEPASNN_SKIP("jepasnn CLI not built");
    test::TempDir dir;
    const fs::path config = write_setup(dir.path());
    const auto with = [&](const std::function<void(Json&)>& edit) {
        Json doc = read_json(config);
        edit(doc);
        write_json(dir.path() / "bad.json", doc);
        return test::run_cli({"distill", "--config", (dir.path() / "bad.json").string()});
    };
    test::check_cli_error(test::run_cli({"distill"}), "--config");
    test::check_cli_error(test::run_cli({"distill", "--config", "missing.json"}), "missing.json");
    test::check_cli_error(with([](Json& d) { d["student"]["lr"] = 1; }), "unknown distillation");
    test::check_cli_error(with([](Json& d) { d["colour"] = 1; }), "unknown key");
    test::check_cli_error(with([](Json& d) { d.erase("nwb"); }), "missing 'nwb'");
    test::check_cli_error(with([](Json& d) { d["latents"] = "nope.npy"; }), "nope.npy");
    test::check_cli_error(with([](Json& d) { d["qc"] = "strict"; }), "qc");
    test::check_cli_error(with([](Json& d) { d["ablations"] = {"no_such"}; }), "no_such");
    test::check_cli_error(with([](Json& d) { d["student"]["batch"] = 0; }), "batch");
    RowMatrix<double> nan = RowMatrix<double>::Zero(6000, 2);
    nan(10, 1) = std::numeric_limits<double>::quiet_NaN();
    save_npy(dir.path() / "nan.npy", nan);
    test::check_cli_error(with([](Json& d) { d["latents"] = "nan.npy"; }), "nan.npy");
    CHECK_FALSE(fs::exists(dir.path() / "student" / "metrics.json"));
}

TEST_CASE("cli distill from a store directory bins the session once and matches memory",
          "[distill]") {
    if (!test::have_cli) JEPASNN_SKIP("jepasnn CLI not built");
    test::TempDir dir;
    const fs::path config = write_setup(dir.path());
    Json doc = read_json(config);
    doc["stores"] = "stores";
    write_json(config, doc);
    const auto run = [&](const char* out) {
        return test::run_cli({"distill", "--config", config.string(), "--out",
                              (dir.path() / out).string(), "--quiet", "--threads", "1"});
    };
    // The store covers the session (280 s): 6000 rows of latents do not match its grid.
    test::check_cli_error(run("short"), "latents.npy");
    const fs::path store = dir.path() / "stores" / "vbn_like_small.h5";
    REQUIRE(fs::exists(store));
    const Index bins = static_cast<Index>(data::BinnedStore(store).header().grid.n_bins);
    CHECK(bins == 27999);                           // 0 .. 279.996 s
    write_setup(dir.path(), Json::object(), bins);  // rewrites latents.npy and the config
    const test::RunResult memory = run("memory");
    INFO(memory.err);
    REQUIRE(memory.status == 0);
    doc["latents"] = "latents.npy";
    write_json(config, doc);
    const test::RunResult stored = run("stored");
    INFO(stored.err);
    REQUIRE(stored.status == 0);
    const Json a = read_json(dir.path() / "memory" / "metrics.json");
    const Json b = read_json(dir.path() / "stored" / "metrics.json");
    for (const char* key : {"cca_heldout", "cca_null_95", "mean_rate_hz_exc", "isi_cv_mean",
                            "canonical_correlations_heldout", "units", "bins"})
        CHECK(a[key] == b[key]);
    CHECK(read_json(dir.path() / "memory" / "history.json") ==
          read_json(dir.path() / "stored" / "history.json"));
}

TEST_CASE("mpirun -np 2 distill writes the one-process student bit for bit", "[distill]") {
#if !defined(JEPASNN_MPIEXEC) || !defined(JEPASNN_CLI_PATH)
    JEPASNN_SKIP("the CLI is not built with MPI (apt-get install openmpi-bin libopenmpi-dev)");
#else
    test::TempDir dir;
    const fs::path config = write_setup(dir.path(), {{"shards", 2}});
    const auto args = [&](const char* out) {
        return std::vector<std::string>{
            "distill",   "--config", config.string(), "--out", (dir.path() / out).string(),
            "--threads", "1",        "--quiet"};
    };
    const test::RunResult one = test::run_cli(args("one"));
    INFO(one.err);
    REQUIRE(one.status == 0);
    const test::RunResult two = test::run_cli_on_ranks(2, args("two"));
    INFO(two.out << two.err);
    REQUIRE(two.status == 0);
    for (const char* file : {"metrics.json", "history.json"})
        CHECK(read_json(dir.path() / "two" / file) == read_json(dir.path() / "one" / file));
    CHECK(read_checkpoint<float>(dir.path() / "two" / "student.ckpt").arrays ==
          read_checkpoint<float>(dir.path() / "one" / "student.ckpt").arrays);

    // One shard cannot be shared by two ranks: both end with the error, nothing is written.
    fs::create_directories(dir.path() / "single");
    const fs::path single = write_setup(dir.path() / "single", {{"shards", 1}});
    const test::RunResult refused = test::run_cli_on_ranks(
        2, {"distill", "--config", single.string(), "--threads", "1", "--quiet"});
    CHECK(refused.status != 0);
    CHECK(refused.err.find("cannot be shared by 2 processes") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.path() / "single" / "student" / "metrics.json"));
#endif
}
