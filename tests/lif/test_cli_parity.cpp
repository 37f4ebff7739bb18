// `jepasnn parity lif REF.json --out OUT.json` as a user runs it: the committed snntorch
// reference goes in, the same document with our outputs comes out, matching it; bad input exits
// 1 or 2 with one line on stderr and leaves no output file.
#include <jepasnn/core/json.hpp>

#include "test_support.hpp"

namespace {

using jepasnn::Json;
using jepasnn::test::check_cli_error;
using jepasnn::test::run_cli;
using jepasnn::test::TempDir;

double max_abs_difference(const Json& a, const Json& b) {
    if (a.is_number()) return std::abs(a.get<double>() - b.get<double>());
    REQUIRE(a.size() == b.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, max_abs_difference(a[i], b[i]));
    return worst;
}

}  // namespace

TEST_CASE("parity lif reproduces the committed snntorch reference") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    TempDir tmp;
    const auto reference_path = jepasnn::test::test_asset("reference/snntorch_lif.json");
    const auto result =
        run_cli({"parity", "lif", reference_path.string(), "--out", (tmp / "out.json").string()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK(result.err.empty());
    const Json reference = jepasnn::read_json(reference_path);
    const Json ours = jepasnn::read_json(tmp / "out.json");
    CHECK(ours.at("source") == reference.at("source"));
    CHECK(ours.at("notes") == reference.at("notes"));
    REQUIRE(ours.at("cases").size() == reference.at("cases").size());
    for (std::size_t i = 0; i < reference.at("cases").size(); ++i) {
        const Json& ref = reference["cases"][i];
        const Json& got = ours["cases"][i];
        INFO("case " << i);
        CHECK(got.at("input") == ref.at("input"));  // inputs are carried over untouched
        CHECK(got.at("spk") == ref.at("spk"));
        for (const char* key : {"mem", "grad_input", "grad_w_rec"})
            if (ref.contains(key)) CHECK(max_abs_difference(got.at(key), ref.at(key)) < 1e-10);
    }
}

TEST_CASE("parity lif rejects bad documents with one line and no output") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    TempDir tmp;
    const std::string out = (tmp / "out.json").string();
    auto bad = [&](const std::string& name, const Json& doc, const std::string& needle) {
        const auto path = tmp / name;
        jepasnn::write_json(path, doc);
        const auto r = run_cli({"parity", "lif", path.string(), "--out", out});
        INFO(name);
        check_cli_error(r, needle);
        CHECK(r.status == 1);
        CHECK_FALSE(std::filesystem::exists(out));
    };
    Json reference = jepasnn::read_json(jepasnn::test::test_asset("reference/snntorch_lif.json"));

    bad("no_cases.json", Json::object(), "'cases'");
    Json doc = reference;
    doc["cases"][0]["kind"] = "alpha";
    bad("kind.json", doc, "kind is 'alpha'");
    doc = reference;
    doc["cases"][1]["surrogate"] = "triangular";
    bad("surrogate.json", doc, "case 1: surrogate is 'triangular'");
    doc = reference;
    doc["cases"][0]["input"].erase(3);
    bad("short_input.json", doc, "field 'input' is 29x6, expected 30x6");
    doc = reference;
    doc["cases"][2].erase("w_rec");
    bad("no_weights.json", doc, "missing field 'w_rec'");
    doc = reference;
    doc["cases"][0]["T"] = "thirty";
    bad("wrong_type.json", doc, "field 'T' has the wrong type");
    doc = reference;
    doc["cases"][0]["reset"] = "halve";
    bad("reset.json", doc, "reset is 'halve'");

    const auto garbage = tmp / "garbage.json";
    jepasnn::test::write_text(garbage, "{ not json");
    check_cli_error(run_cli({"parity", "lif", garbage.string(), "--out", out}), "invalid JSON");
    check_cli_error(run_cli({"parity", "lif", (tmp / "missing.json").string(), "--out", out}),
                    "cannot open");
    const auto usage = run_cli({"parity", "lif", garbage.string()});
    check_cli_error(usage, "--out");
    CHECK(usage.status == 2);
    CHECK_FALSE(std::filesystem::exists(out));
}
