// `mpirun -np 2 jepasnn train-teacher` (a CLI built with MPI): the two ranks share every training
// step and write exactly what one process writes with the same config; a config whose steps
// cannot be shared by that many ranks ends both with one error.
#include <jepasnn/core/checkpoint.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>

#include "teacher_test_util.hpp"

namespace {

namespace fs = std::filesystem;
using jepasnn::Json;

fs::path write_mpi_config(const jepasnn::test::TempDir& tmp, int shards) {
    Json doc = jepasnn::test::small_teacher_config_json("cohort");
    doc["train"]["steps"] = 30;
    doc["train"]["shards"] = shards;
    doc["readin"]["steps"] = 20;
    const fs::path path = tmp / ("teacher_" + std::to_string(shards) + ".json");
    jepasnn::write_json(path, doc);
    return path;
}

}  // namespace

TEST_CASE("mpirun -np 2 train-teacher writes the one-process teacher bit for bit") {
#if !defined(JEPASNN_MPIEXEC) || !defined(JEPASNN_CLI_PATH)
    JEPASNN_SKIP("the CLI is not built with MPI (apt-get install openmpi-bin libopenmpi-dev)");
#else
    jepasnn::test::TempDir tmp;
    jepasnn::test::simulate_small_cohort(tmp / "cohort");
    const auto config = write_mpi_config(tmp, 2);
    const auto args = [&](const char* out) {
        return std::vector<std::string>{"train-teacher",
                                        "--config",
                                        config.string(),
                                        "--out",
                                        (tmp / out).string(),
                                        "--latents",
                                        "--threads",
                                        "1",
                                        "--quiet"};
    };
    const auto one = jepasnn::test::run_cli(args("one"));
    INFO(one.err);
    REQUIRE(one.status == 0);
    const auto two = jepasnn::test::run_cli_on_ranks(2, args("two"));
    INFO(two.out << two.err);
    REQUIRE(two.status == 0);
    CHECK(jepasnn::read_json(tmp / "two" / "metrics.json") ==
          jepasnn::read_json(tmp / "one" / "metrics.json"));
    CHECK(jepasnn::read_checkpoint<float>(tmp / "two" / "teacher.ckpt").arrays ==
          jepasnn::read_checkpoint<float>(tmp / "one" / "teacher.ckpt").arrays);
    CHECK(jepasnn::load_npy_matrix<double>(tmp / "two" / "latents_session_002.npy") ==
          jepasnn::load_npy_matrix<double>(tmp / "one" / "latents_session_002.npy"));
    // Rank 0 alone prints the summary line.
    CHECK(two.out.find("wrote ") == two.out.rfind("wrote "));

    // One shard cannot be shared by two ranks: both end with the error, nothing is written.
    const auto refused = jepasnn::test::run_cli_on_ranks(
        2, {"train-teacher", "--config", write_mpi_config(tmp, 1).string(), "--out",
            (tmp / "refused").string(), "--threads", "1", "--quiet"});
    CHECK(refused.status != 0);
    CHECK(refused.err.find("cannot be shared by 2 processes") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "refused" / "metrics.json"));
#endif
}
