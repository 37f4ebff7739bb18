// `jepasnn cca` and `jepasnn parity cca` as a user runs them: the JSON against the numpy reference,
// the null and cross-validation fields, the table, and one-line errors for every bad input of the
// issue (row counts, NaN/Inf, too few rows, wrong dtype) and for bad flags.
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::check_cli_error;
using jepasnn::test::run_cli;
using jepasnn::test::test_asset;

namespace {
std::string reference_npy(const std::string& name, char view) {
    return test_asset("reference/" + name + "_" + view + ".npy").string();
}
}  // namespace

TEST_CASE("cca --json reproduces the numpy reference") {
    if (!test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    const Json ref = read_json(test_asset("reference/cca.json"));
    for (const Json& c : ref.at("cases")) {
        const std::string name = c.at("name");
        INFO(name);
        const auto r =
            run_cli({"cca", reference_npy(name, 'X'), reference_npy(name, 'Y'), "--json"});
        REQUIRE(r.status == 0);
        CHECK(r.err.empty());
        const Json out = Json::parse(r.out);
        CHECK(out.at("rank_x") == c.at("rank_x"));
        CHECK(out.at("rank_y") == c.at("rank_y"));
        const Vector<double> got = vector_from_json<double>(out.at("canonical_correlations"), name);
        const Vector<double> want = vector_from_json<double>(c.at("canonical_correlations"), name);
        REQUIRE(got.size() == want.size());
        CHECK((got - want).cwiseAbs().maxCoeff() < 1e-10);
        for (const char* key : {"mean_cca", "r2_cca", "linear_cka"})
            CHECK(std::abs(out.at(key).get<double>() - c.at(key).get<double>()) < 1e-10);
        CHECK_FALSE(out.contains("null"));
    }
}

TEST_CASE("cca --null and --folds add a reproducible null and cross-validated CCA") {
    if (!test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    const std::string x = reference_npy("cca_0_shared_latent", 'X');
    const std::string y = reference_npy("cca_0_shared_latent", 'Y');
    const std::vector<std::string> args{
        "cca",         x,        y,         "--json",      "--null",
        "40",          "--seed", "9",       "--null-kind", "circular-shift",
        "--min-shift", "100",    "--folds", "4",           "--ridge",
        "0.01"};
    const auto a = run_cli(args);
    REQUIRE(a.status == 0);
    const Json out = Json::parse(a.out);
    const Json& null = out.at("null");
    CHECK(null.at("kind") == "circular_shift");
    CHECK(null.at("samples") == 40);
    CHECK(null.at("seed") == 9);
    CHECK(null.at("min_shift") == 100);
    CHECK(null.at("observed").get<double>() == Approx(out.at("mean_cca").get<double>()));
    CHECK(null.at("p_value").get<double>() == Approx(1.0 / 41.0));
    CHECK(out.at("ridge") == 0.01);
    CHECK(out.at("cross_validated").at("folds") == 4);
    CHECK(out.at("cross_validated").at("mean_cca").get<double>() > 0.5);
    CHECK(run_cli(args).out == a.out);  // same seed, same document
}

TEST_CASE("cca prints a readable table without --json") {
    if (!test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    const auto r = run_cli({"cca", reference_npy("cca_1_rotation", 'X'),
                            reference_npy("cca_1_rotation", 'Y'), "--null", "20"});
    REQUIRE(r.status == 0);
    for (const char* text : {"canonical correlations: 1.0000", "mean CCA       1.000000",
                             "linear CKA", "Procrustes", "null of mean CCA (permutation, 20 draws"})
        CHECK(r.out.find(text) != std::string::npos);
}

TEST_CASE("cca refuses each bad input with one line naming the file") {
    if (!test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    test::TempDir dir;
    const RowMatrix<double> x = test::gaussian(30, 3, 1);
    auto save = [&](const std::string& name, const RowMatrix<double>& m) {
        save_npy(dir / name, m);
        return (dir / name).string();
    };
    const std::string good_x = save("x.npy", x);
    const std::string good_y = save("y.npy", test::gaussian(30, 2, 2));

    auto r = run_cli({"cca", good_x, save("short.npy", test::gaussian(29, 2, 2))});
    check_cli_error(r, "x.npy: has 30 rows but");
    CHECK(r.status == 1);
    CHECK(r.err.find("short.npy has 29") != std::string::npos);

    RowMatrix<double> bad = x;
    bad(4, 2) = std::numeric_limits<double>::quiet_NaN();
    r = run_cli({"cca", save("nan.npy", bad), good_y});
    check_cli_error(r, "nan.npy: data has a non-finite value (nan) at row 4, column 2");
    bad(4, 2) = 0.0;
    bad(6, 1) = std::numeric_limits<double>::infinity();
    r = run_cli({"cca", good_x, save("inf.npy", bad.leftCols(2))});
    check_cli_error(r, "inf.npy: data has a non-finite value (inf) at row 6, column 1");

    r = run_cli({"cca", save("wide.npy", test::gaussian(30, 30, 3)),
                 save("y30.npy", test::gaussian(30, 2, 4))});
    check_cli_error(r, "wide.npy: has 30 rows for 30 columns, expected at least columns + 1 = 31");

    const RowMatrix<float> xf = x.cast<float>();
    save_npy(dir / "f32.npy", xf);
    r = run_cli({"cca", (dir / "f32.npy").string(), good_y});
    check_cli_error(r, "f32.npy: expected dtype float64 ('<f8'), found float32");
    CHECK(r.status == 1);

    r = run_cli({"cca", (dir / "missing.npy").string(), good_y});
    check_cli_error(r, "missing.npy");
    r = run_cli({"cca", good_x, test_asset("npy/i4_2x3x4.npy").string()});
    check_cli_error(r, "i4_2x3x4.npy");

    r = run_cli({"cca", good_x, good_y, "--ridge", "-1"});
    check_cli_error(r, "--ridge");
    CHECK(r.status == 2);
    r = run_cli({"cca", good_x, good_y, "--null-kind", "bootstrap"});
    check_cli_error(r, "--null-kind");
    CHECK(r.status == 2);
    r = run_cli({"cca", good_x, good_y, "--null", "1"});
    check_cli_error(r, "at least 2 null samples");
    CHECK(r.status == 1);
}

TEST_CASE("parity cca rewrites the reference document with our values") {
    if (!test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    test::TempDir dir;
    const auto ref_path = test_asset("reference/cca.json");
    const auto r =
        run_cli({"parity", "cca", ref_path.string(), "--out", (dir / "ours.json").string()});
    REQUIRE(r.status == 0);
    const Json ref = read_json(ref_path), ours = read_json(dir / "ours.json");
    REQUIRE(ours.at("cases").size() == ref.at("cases").size());
    for (std::size_t i = 0; i < ref.at("cases").size(); ++i) {
        const Json &a = ref.at("cases")[i], &b = ours.at("cases")[i];
        INFO(a.at("name"));
        CHECK(b.at("rank_x") == a.at("rank_x"));
        CHECK(b.at("rank_y") == a.at("rank_y"));
        CHECK((vector_from_json<double>(b.at("canonical_correlations"), "ours") -
               vector_from_json<double>(a.at("canonical_correlations"), "ref"))
                  .cwiseAbs()
                  .maxCoeff() < 1e-10);
        for (const char* key : {"mean_cca", "r2_cca", "linear_cka"})
            CHECK(std::abs(b.at(key).get<double>() - a.at(key).get<double>()) < 1e-10);
    }
    // A case whose arrays are missing: one line, no output file.
    test::write_text(dir / "lonely.json", R"({"cases": [{"name": "nothing_here"}]})");
    const auto bad = run_cli(
        {"parity", "cca", (dir / "lonely.json").string(), "--out", (dir / "none.json").string()});
    check_cli_error(bad, "nothing_here_X.npy");
    CHECK_FALSE(std::filesystem::exists(dir / "none.json"));
}
