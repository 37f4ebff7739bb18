// The data commands as outside tools call them (DESIGN.md "Command-line contract"): info, bin,
// qc and simulate, their JSON keys and files, and on bad input exit status 1 or 2, exactly one
// line on stderr and no partial output left behind.
#include <jepasnn/core/npy.hpp>
#include <jepasnn/data/binned_store.hpp>

#include <fstream>
#include <numeric>
#include <variant>

#include "data_test_support.hpp"

using jepasnn::Json;
using jepasnn::test::check_cli_error;
using jepasnn::test::run_cli;
using jepasnn::test::TempDir;
namespace fs = std::filesystem;

namespace {
std::string fixture_path() {
    return jepasnn::test::fixture_nwb().string();
}
#define REQUIRE_CLI()             \
    if (!jepasnn::test::have_cli) \
    JEPASNN_SKIP(                 \
        "the CLI is not built "   \
        "(JEPASNN_BUILD_EXAMPLES=OFF)")
}  // namespace

TEST_CASE("info json has the contract keys") {
    REQUIRE_CLI();
    const auto r = run_cli({"info", fixture_path(), "--json"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const Json j = Json::parse(r.out);
    CHECK(j["n_units"] == 40);
    CHECK(j["total_spikes"] == 109013);
    REQUIRE(j["units"].size() == 40);
    const Json& u = j["units"][0];
    CHECK(u["id"] == 950001306);
    CHECK(u["n_spikes"] == 9458);
    CHECK(u["location"] == "VISp");
    CHECK(u["quality"] == "good");
    CHECK(u.contains("isi_violations"));
    CHECK(u.contains("presence_ratio"));
    REQUIRE(j["blocks"].size() == 4);
    const Json& b = j["blocks"][3];
    CHECK(b["block"] == 5);
    CHECK(b["active"] == false);
    CHECK(b["start"] == 155.0);
    CHECK(b["stop"] == 274.5);
    CHECK(b["tables"][0] == "Natural_Images_Lum_Matched_set_ophys_G_2019_presentations");
    const auto text = run_cli({"info", fixture_path()});
    CHECK(text.status == 0);
    CHECK(text.out.find("block 5") != std::string::npos);
}

TEST_CASE("bin writes counts in the narrowest exact type and a units csv") {
    REQUIRE_CLI();
    TempDir dir;
    const std::string counts = (dir / "c.npy").string(), units = (dir / "u.csv").string();
    const auto r = run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "0", "--qc",
                            "default", "--out", counts, "--units-out", units});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto a = jepasnn::load_npy<std::uint8_t>(counts);  // 10 ms counts fit uint8
    const Json g = jepasnn::test::golden("fixture_golden.json");
    REQUIRE(a.shape == std::vector<std::size_t>{11950, 15});
    const std::string csv = jepasnn::test::read_text(units);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 16);
    CHECK(csv.rfind("column,unit_index,id,location,n_spikes_in_range,quality", 0) == 0);
    // The same counts through --state, and from the file in chunks.
    const std::string state = (dir / "s.npy").string(), stream = (dir / "t.npy").string();
    REQUIRE(run_cli({"bin", fixture_path(), "--bin-ms", "10", "--state", "active", "--qc",
                     "default", "--out", state})
                .status == 0);
    REQUIRE(run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "0", "--qc", "default",
                     "--stream", "--out", stream})
                .status == 0);
    CHECK(jepasnn::load_npy<std::uint8_t>(state).data == a.data);
    CHECK(jepasnn::load_npy<std::uint8_t>(stream).data == a.data);
    // Asked for int32, the same values.
    const std::string wide = (dir / "w.npy").string();
    REQUIRE(run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "0", "--qc", "default",
                     "--dtype", "int32", "--out", wide})
                .status == 0);
    const auto w = jepasnn::load_npy<std::int32_t>(wide);
    CHECK(std::equal(w.data.begin(), w.data.end(), a.data.begin(), a.data.end()));
    // All units of block 0 match numpy's per-unit sums.
    const std::string all = (dir / "all.npy").string();
    REQUIRE(run_cli({"bin", fixture_path(), "--bin-ms", "10", "--t-start", "5", "--t-stop", "124.5",
                     "--out", all})
                .status == 0);
    const auto every = jepasnn::load_npy<std::uint8_t>(all);
    std::vector<std::int64_t> sums(40, 0);
    for (std::size_t i = 0; i < every.data.size(); ++i)
        sums[i % 40] += every.data[i];
    CHECK(sums == g["block0"]["unit_sums"].get<std::vector<std::int64_t>>());
}

TEST_CASE("bin writes a binned store that info describes") {
    REQUIRE_CLI();
    TempDir dir;
    const std::string nwb = (dir / "session.nwb").string(), store = (dir / "s.h5").string(),
                      counts = (dir / "c.npy").string();
    fs::copy_file(fixture_path(), nwb);
    const auto r = run_cli({"bin", nwb, "--bin-ms", "10", "--t-start", "0", "--t-stop", "279",
                            "--qc", "default", "--store", store, "--out", counts});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto info = run_cli({"info", store, "--json"});
    INFO(info.err);
    REQUIRE(info.status == 0);
    const Json j = Json::parse(info.out);
    CHECK(j["dtype"] == "uint8");
    CHECK(j["n_bins"] == 27900);
    CHECK(j["n_units"] == 15);
    CHECK(j["qc"] == "default");
    CHECK(j["unit_ids"].size() == 15);
    const auto a = jepasnn::load_npy<std::uint8_t>(counts);
    CHECK(j["total_spikes"] == std::accumulate(a.data.begin(), a.data.end(), std::int64_t{0}));
    CHECK(j["bins_per_state"]["active"].get<std::int64_t>() > 0);
    CHECK(j["bins_per_state"]["passive"].get<std::int64_t>() > 0);
    CHECK(j["source"]["status"] == "unchanged");
    CHECK(run_cli({"info", store}).out.find("binned store") != std::string::npos);
    // A store alone is binned straight from the file (bounded memory): the same counts, and
    // the whole session without naming a range.
    const std::string alone = (dir / "alone.h5").string(), whole = (dir / "whole.h5").string();
    REQUIRE(run_cli({"bin", nwb, "--bin-ms", "10", "--t-start", "0", "--t-stop", "279", "--qc",
                     "default", "--store", alone})
                .status == 0);
    const jepasnn::data::Counts streamed = jepasnn::data::BinnedStore(alone).read_all();
    REQUIRE(std::holds_alternative<jepasnn::Tensor<std::uint8_t, 2>>(streamed));
    const auto& alone_counts = std::get<jepasnn::Tensor<std::uint8_t, 2>>(streamed);
    CHECK(std::equal(a.data.begin(), a.data.end(), alone_counts.begin(), alone_counts.end()));
    const auto r_whole = run_cli({"bin", nwb, "--bin-ms", "10", "--store", whole});
    INFO(r_whole.err);
    CHECK(r_whole.status == 0);
    CHECK(r_whole.out.find("uint8") != std::string::npos);
    // The NWB file changes: info says so.
    std::ofstream(nwb, std::ios::app) << 'x';
    CHECK(Json::parse(run_cli({"info", store, "--json"}).out)["source"]["status"] == "changed");
    // Neither --out nor --store is a usage error, and a store that cannot be written leaves no
    // counts file behind.
    const auto neither = run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "0"});
    check_cli_error(neither, "--store");
    CHECK(neither.status == 2);
    TempDir empty;
    check_cli_error(
        run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "0", "--out",
                 (empty / "c.npy").string(), "--store", (empty / "no/such/dir/s.h5").string()}),
        "s.h5");
    CHECK(fs::is_empty(empty.path()));
}

TEST_CASE("bin rejects bad input with one line and no output") {
    REQUIRE_CLI();
    TempDir dir;
    const std::string out = (dir / "c.npy").string(), csv = (dir / "u.csv").string();
    check_cli_error(
        run_cli({"bin", (dir / "missing.nwb").string(), "--bin-ms", "10", "--out", out}),
        "missing.nwb");
    check_cli_error(run_cli({"bin", fixture_path(), "--bin-ms", "0", "--out", out}), "--bin-ms");
    check_cli_error(
        run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "3", "--out", out}),
        "no stimulus block 3");
    // 10 s bins hold more than 255 spikes of the busiest units: uint8 is refused, in memory and
    // streamed; narrowest widens to uint16.
    for (const char* stream : {"--threads=1", "--stream"})
        check_cli_error(run_cli({"bin", fixture_path(), "--bin-ms", "10000", "--block", "0",
                                 "--dtype", "uint8", stream, "--out", out}),
                        "more than 255 spikes in bin");
    check_cli_error(
        run_cli({"bin", fixture_path(), "--bin-ms", "10", "--dtype", "int8", "--out", out}),
        "--dtype");
    const auto usage =
        run_cli({"bin", fixture_path(), "--bin-ms", "10", "--t-start", "1", "--out", out});
    check_cli_error(usage, "--t-stop");
    CHECK(usage.status == 2);
    const auto both = run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "0", "--t-start",
                               "1", "--t-stop", "2", "--out", out});
    CHECK(both.status == 2);
    check_cli_error(run_cli({"bin", fixture_path(), "--bin-ms", "10", "--t-start", "9", "--t-stop",
                             "2", "--out", out}),
                    "empty");
    // The units CSV cannot be written: the counts file must not stay behind either.
    check_cli_error(run_cli({"bin", fixture_path(), "--bin-ms", "10", "--block", "0", "--out", out,
                             "--units-out", (dir / "no/such/dir/u.csv").string()}),
                    "u.csv");
    CHECK(fs::is_empty(dir.path()));
    const auto shared = jepasnn::test::shared_dir();
    if (shared && fs::exists(*shared / "fixtures/external/A8604-211122.nwb")) {
        check_cli_error(run_cli({"bin", (*shared / "fixtures/external/A8604-211122.nwb").string(),
                                 "--bin-ms", "10", "--qc", "default", "--out", out}),
                        "'quality'");
        CHECK(fs::is_empty(dir.path()));
    }
}

TEST_CASE("qc prints the funnel and the recomputed metrics") {
    REQUIRE_CLI();
    const auto r = run_cli({"qc", fixture_path(), "--json"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const Json j = Json::parse(r.out);
    const Json g = jepasnn::test::golden("fixture_golden.json");
    CHECK(j["funnel"]["total"] == 40);
    CHECK(j["funnel"]["kept"] == g["kept"]);
    CHECK(j["kept_ids"].size() == g["kept"].get<std::size_t>());
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(j["funnel"]["steps"][i]["removed"] == g["funnel"][i]["removed"]);
    CHECK(j["recomputed"]["firing_rate"].size() == 40);
    REQUIRE(j["comparison"].size() == 3);
    CHECK(j["comparison"][0]["metric"] == "firing_rate");
    CHECK(j["comparison"][0]["stored"].size() == 40);
    const auto text = run_cli({"qc", fixture_path()});
    CHECK(text.status == 0);
    CHECK(text.out.find("presence_ratio > 0.9") != std::string::npos);
    const auto shared = jepasnn::test::shared_dir();
    if (shared && fs::exists(*shared / "fixtures/external/A8604-211122.nwb"))
        check_cli_error(run_cli({"qc", (*shared / "fixtures/external/A8604-211122.nwb").string()}),
                        "needs the units column 'quality'");
    TempDir dir;
    jepasnn::test::write_text(dir / "bad.nwb", "not hdf5");
    check_cli_error(run_cli({"qc", (dir / "bad.nwb").string()}), "not an HDF5 file");
}

TEST_CASE("simulate writes a cohort that the other commands read") {
    REQUIRE_CLI();
    TempDir dir;
    const std::string out = (dir / "cohort").string();
    const auto r = run_cli({"simulate", "--seed", "5", "--out", out, "--profile", "quick",
                            "--sessions", "1", "--units", "40", "--minutes", "2", "--quiet"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());  // --quiet
    CHECK(fs::exists(dir / "cohort/cohort.json"));
    CHECK(fs::exists(dir / "cohort/session_000/latents.npy"));
    const auto info = run_cli({"info", (dir / "cohort/session_000.nwb").string(), "--json"});
    REQUIRE(info.status == 0);
    const Json j = Json::parse(info.out);
    CHECK(j["blocks"].size() == 6);
    CHECK(j["blocks"][0]["active"] == true);
    CHECK(run_cli({"qc", (dir / "cohort/session_000.nwb").string()}).status == 0);
    // A second run into the same directory is refused and changes nothing.
    const std::string before = jepasnn::test::read_text(dir / "cohort/cohort.json");
    check_cli_error(run_cli({"simulate", "--seed", "6", "--out", out, "--quiet"}),
                    "not an empty directory");
    CHECK(jepasnn::test::read_text(dir / "cohort/cohort.json") == before);
    check_cli_error(run_cli({"simulate", "--seed", "6", "--out", (dir / "x").string(), "--minutes",
                             "0", "--quiet"}),
                    "minutes is 0");
    CHECK_FALSE(fs::exists(dir / "x"));
    check_cli_error(run_cli({"simulate", "--out", (dir / "y").string()}), "--seed");
    check_cli_error(run_cli({"simulate", "--seed", "6", "--out", (dir / "z").string(),
                             "--state-regime", "hard"}),
                    "--state-regime");
    CHECK_FALSE(fs::exists(dir / "z"));
}

TEST_CASE("simulate --state-regime realistic records the regime and the state it drew") {
    REQUIRE_CLI();
    TempDir dir;
    const auto r = run_cli({"simulate", "--seed", "5", "--out", (dir / "cohort").string(),
                            "--profile", "quick", "--sessions", "1", "--units", "40", "--minutes",
                            "2", "--state-regime", "realistic", "--quiet"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const Json manifest = jepasnn::read_json(dir / "cohort/cohort.json");
    CHECK(manifest["config"]["state_regime"] == "realistic");
    CHECK(fs::exists(dir / "cohort/session_000/engagement.npy"));
    CHECK(fs::exists(dir / "cohort/session_000/task_mode.npy"));
}
