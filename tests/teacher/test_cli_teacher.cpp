// `jepasnn train-teacher --config FILE` and `jepasnn embed CHECKPOINT FILE.nwb --out LATENTS.npy`
// as a user runs them: outputs written, embed says on stderr whether it used a trained read-in or
// fitted one, a run killed with SIGKILL and resumed ends as an uninterrupted one, and bad input
// exits 1 or 2 with one line on stderr and no output left behind.
#include <jepasnn/core/checkpoint.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>

#include "teacher_test_util.hpp"

namespace {

using jepasnn::Json;
using jepasnn::test::check_cli_error;
using jepasnn::test::run_cli;
using jepasnn::test::TempDir;
namespace fs = std::filesystem;

/// The small test config with a relative cohort path and output, written beside the cohort.
fs::path write_config(const TempDir& tmp, const std::function<void(Json&)>& edit = {}) {
    Json doc = jepasnn::test::small_teacher_config_json("cohort");
    doc["train"]["steps"] = 40;
    doc["readin"]["steps"] = 20;
    doc["output"] = "run";
    if (edit) edit(doc);
    jepasnn::write_json(tmp / "teacher.json", doc);
    return tmp / "teacher.json";
}

}  // namespace

TEST_CASE("train-teacher writes a checkpoint and metrics that embed uses") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    TempDir tmp;
    jepasnn::test::simulate_small_cohort(tmp / "cohort");
    const auto config = write_config(tmp);
    const auto r = run_cli(
        {"train-teacher", "--config", config.string(), "--latents", "--threads", "1", "--quiet"});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("gt_recovery_r2") != std::string::npos);
    const Json m = jepasnn::read_json(tmp / "run" / "metrics.json");
    CHECK(m["evaluated_on"] == "heldout_sessions");
    CHECK(m["gt_recovery_r2"].is_number());
    CHECK(m["sessions"].size() == 3);
    CHECK(fs::exists(tmp / "run" / "teacher.ckpt"));
    const auto saved = jepasnn::load_npy_matrix<double>(tmp / "run" / "latents_session_002.npy");
    CHECK(saved.rows() == 12000);
    CHECK(saved.cols() == 8);

    // A trained (here: held-out, read-in fitted during training) session: its stored read-in.
    const auto known = run_cli({"embed", (tmp / "run" / "teacher.ckpt").string(),
                                (tmp / "cohort" / "session_002.nwb").string(), "--out",
                                (tmp / "z2.npy").string(), "--threads", "1"});
    INFO(known.err);
    REQUIRE(known.status == 0);
    CHECK(known.err.find("session_002 is in the checkpoint") != std::string::npos);
    CHECK(jepasnn::load_npy_matrix<double>(tmp / "z2.npy") == saved);

    // An unseen session: a read-in fitted with the encoder frozen.
    jepasnn::test::simulate_small_cohort(tmp / "other", 77);
    const auto unseen = run_cli({"embed", (tmp / "run" / "teacher.ckpt").string(),
                                 (tmp / "other" / "session_001.nwb").string(), "--out",
                                 (tmp / "z_other.npy").string(), "--threads", "1"});
    INFO(unseen.err);
    REQUIRE(unseen.status == 0);
    CHECK(unseen.err.find("session_001 is not in the checkpoint: fitted its read-in") !=
          std::string::npos);
    const auto z = jepasnn::load_npy_matrix<double>(tmp / "z_other.npy");
    CHECK(z.rows() == 12000);
    CHECK(z.cols() == 8);
}

TEST_CASE(
    "train-teacher killed with SIGKILL and resumed ends with the uninterrupted run's metrics") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    TempDir tmp;
    jepasnn::test::simulate_small_cohort(tmp / "cohort");
    // The first checkpoint comes after 5 of 150 steps, so the kill lands early in the training.
    const auto config = write_config(tmp, [](Json& j) {
        j["train"]["steps"] = 150;
        j["train"]["checkpoint_every"] = 5;
    });
    const auto train = [&](const char* out, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {
            "train-teacher", "--config", config.string(), "--out", (tmp / out).string(),
            "--threads",     "1",        "--quiet"};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    const auto whole = run_cli(train("whole"));
    INFO(whole.err);
    REQUIRE(whole.status == 0);

    REQUIRE(
        jepasnn::test::run_cli_killed_when_exists(train("killed"), tmp / "killed" / "train.ckpt"));
    CHECK_FALSE(fs::exists(tmp / "killed" / "metrics.json"));
    const auto step = jepasnn::read_checkpoint<float>(tmp / "killed" / "train.ckpt").header["step"];
    CHECK(step.get<int>() < 150);
    check_cli_error(run_cli(train("killed")), "--resume");
    const auto resumed = run_cli(train("killed", {"--resume"}));
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(jepasnn::read_json(tmp / "killed" / "metrics.json") ==
          jepasnn::read_json(tmp / "whole" / "metrics.json"));
    CHECK(jepasnn::read_checkpoint<float>(tmp / "killed" / "teacher.ckpt").arrays ==
          jepasnn::read_checkpoint<float>(tmp / "whole" / "teacher.ckpt").arrays);

    // A checkpoint of other settings is refused.
    const auto other = write_config(tmp, [](Json& j) { j["train"]["learning_rate"] = 1e-3; });
    check_cli_error(run_cli({"train-teacher", "--config", other.string(), "--out",
                             (tmp / "killed").string(), "--resume", "--quiet"}),
                    "other settings");
}

TEST_CASE("train-teacher and embed reject bad input with one line and no output") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    TempDir tmp;
    const auto train = [&](const fs::path& config) {
        return run_cli({"train-teacher", "--config", config.string(), "--quiet"});
    };
    check_cli_error(train(tmp / "absent.json"), "absent.json");
    jepasnn::test::write_text(tmp / "broken.json", "{\"data\": ");
    check_cli_error(train(tmp / "broken.json"), "broken.json");
    check_cli_error(train(write_config(tmp, [](Json& j) { j["train"]["stepz"] = 3; })),
                    "unknown field 'stepz'");
    check_cli_error(train(write_config(tmp, [](Json& j) { j["regularizer"] = "barlow"; })),
                    "regularizer is 'barlow'");
    // The cohort directory does not exist (no cohort simulated here).
    check_cli_error(train(write_config(tmp)), "cohort.json");
    CHECK_FALSE(fs::exists(tmp / "run"));
    check_cli_error(run_cli({"train-teacher"}), "--config");

    jepasnn::test::write_text(tmp / "not.ckpt", "hello");
    const auto out = (tmp / "z.npy").string();
    check_cli_error(run_cli({"embed", (tmp / "absent.ckpt").string(), "x.nwb", "--out", out}),
                    "absent.ckpt");
    check_cli_error(run_cli({"embed", (tmp / "not.ckpt").string(), "x.nwb", "--out", out}),
                    "not.ckpt");
    check_cli_error(run_cli({"embed", (tmp / "not.ckpt").string(), "x.nwb"}), "--out");
    CHECK_FALSE(fs::exists(out));
}
