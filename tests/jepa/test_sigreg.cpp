// SIGReg: parity with the official LeJEPA code (tests/assets/reference/sigreg.json) to 1e-10 in
// double, the official quadrature table against PyTorch, the analytic backward against central
// differences, the sanity values of DESIGN.md, direction drawing, the parity CLI, and the
// collapse diagnostics built on the statistic.
#include <jepasnn/jepa/collapse.hpp>
#include <jepasnn/jepa/parity.hpp>
#include <jepasnn/jepa/sigreg.hpp>

#include <rapidcheck/catch.h>

#include <cmath>

#include "central_differences.hpp"
#include "test_support.hpp"

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using Mat = jepasnn::RowMatrix<double>;

namespace {
Mat gaussian(Index n, Index d, std::uint64_t seed) {
    Mat z(n, d);
    for (Index i = 0; i < z.size(); ++i)
        z.data()[i] = jepasnn::normal_at(seed, 3, static_cast<std::uint64_t>(i));
    return z;
}
}  // namespace

TEST_CASE("sigreg matches the official LeJEPA reference to 1e-10") {
    const auto ref = jepasnn::read_json(jepasnn::test::test_asset("reference/sigreg.json"));
    const auto ours = jepa::sigreg_parity(ref, "sigreg.json");
    REQUIRE(ref["cases"].size() == 2);
    for (std::size_t i = 0; i < ref["cases"].size(); ++i) {
        const auto& r = ref["cases"][i];
        const auto& o = ours["cases"][i];
        INFO("case " << i);
        CHECK(std::abs(o["sigreg"].get<double>() - r["sigreg"].get<double>()) < 1e-10);
        for (std::size_t m = 0; m < r["statistic_per_direction"].size(); ++m)
            CHECK(std::abs(o["statistic_per_direction"][m].get<double>() -
                           r["statistic_per_direction"][m].get<double>()) < 1e-10);
        const Mat g = jepasnn::matrix_from_json<double>(o["grad_z"], "ours");
        const Mat gr = jepasnn::matrix_from_json<double>(r["grad_z"], "reference");
        CHECK((g - gr).cwiseAbs().maxCoeff() < 1e-10);
        // The inputs are passed through untouched.
        CHECK(o["z"] == r["z"]);
        CHECK(o["directions"] == r["directions"]);
    }
}

TEST_CASE("the official knot table reproduces PyTorch float32 linspace and exp") {
    const auto g = jepasnn::read_json(jepasnn::test::test_asset("jepa/knots_torch.json"));
    for (const auto& table : g["tables"]) {
        const Index knots = table["knots"];
        const double t_max = table["t_max"];
        INFO("knots " << knots << ", t_max " << t_max);
        const auto q = jepa::SigRegKnots::make(knots, t_max, jepa::KnotPrecision::official_float32);
        CHECK(q.t == table["t"].get<std::vector<double>>());
        CHECK(q.phi == table["phi"].get<std::vector<double>>());
        CHECK(q.weight == table["weight"].get<std::vector<double>>());
    }
    const auto x = g["exp_x"].get<std::vector<double>>();
    const auto y = g["exp_y"].get<std::vector<double>>();
    std::size_t mismatches = 0, not_correctly_rounded = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float ours = jepa::detail::torch_cpu_expf(static_cast<float>(x[i]));
        mismatches += static_cast<double>(ours) != y[i];
        not_correctly_rounded += static_cast<float>(std::exp(x[i])) != static_cast<float>(y[i]);
    }
    CHECK(mismatches == 0);
    // Why the emulation is needed: torch's float32 exp is not correctly rounded everywhere.
    CHECK(not_correctly_rounded > 0);
    // The default table is uniform (t_k = k·0.1875 exactly); others need not be.
    CHECK(jepa::SigRegKnots::make(17, 3.0, jepa::KnotPrecision::official_float32).uniform);
    CHECK(jepa::SigRegKnots::make(17, 2.9, jepa::KnotPrecision::exact_double).uniform);
}

TEST_CASE("sigreg backward matches central differences", "[tolerance]") {
    rc::prop("random shapes and both knot tables", [] {
        const Index n = *rc::gen::inRange(1, 12), d = *rc::gen::inRange(1, 5),
                    m = *rc::gen::inRange(1, 6), knots = *rc::gen::inRange(2, 20);
        const double t_max = *rc::gen::element(3.0, 2.9, 1.3);
        const auto precision = *rc::gen::element(jepa::KnotPrecision::official_float32,
                                                 jepa::KnotPrecision::exact_double);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const double scale = *rc::gen::element(1.0, 0.3);
        Mat z = gaussian(n, d, seed) * 1.3;
        const Mat a = jepa::sigreg_directions<double>(d, m, seed, 4);
        const auto q = jepa::SigRegKnots::make(knots, t_max, precision);
        jepa::SigRegCache<double> cache;
        auto loss = [&] { return scale * jepa::sigreg_forward<double>(cache, z, a, q); };
        // S of central_differences.hpp: the statistic sums nonnegative weighted squares.
        const double magnitude = std::abs(loss());
        Mat dz = Mat::Zero(n, d);
        jepa::sigreg_backward<double>(dz, cache, a, q, scale);
        RC_LOG() << "uniform knots: " << q.uniform << "\n";
        jepasnn::test::rc_assert_central_differences(
            "dz", jepasnn::test::check_central_differences(
                      loss, std::span<double>(z.data(), static_cast<std::size_t>(z.size())),
                      std::span<const double>(dz.data(), static_cast<std::size_t>(dz.size())),
                      magnitude));
    });
}

TEST_CASE("sigreg gives about 1.06 on Gaussian input at any batch size") {
    jepa::SigRegConfig config;
    config.directions = 512;
    // E[T_m] = Σ_k w_k (1 − φ_k²) = 1.052 for N(0, I) input, whatever N. One batch's value
    // scatters by 0.1–0.18 (its sample covariance is not exactly I), so average 16 batches.
    for (Index n : {256, 2048}) {
        double mean = 0.0;
        for (std::uint64_t rep = 0; rep < 16; ++rep)
            mean += jepa::sigreg<double>(gaussian(n, 16, 100 * rep + static_cast<std::uint64_t>(n)),
                                         config, 1, rep) /
                    16.0;
        INFO("N = " << n);
        CHECK(mean == Approx(1.052).margin(0.15));
    }
}

TEST_CASE("sigreg of a collapsed batch grows as 0.402 N") {
    jepa::SigRegConfig config;
    config.directions = 64;
    for (Index n : {100, 1000}) {
        const Mat z = Mat::Zero(n, 8);  // every embedding identical
        const double value = jepa::sigreg<double>(z, config, 1, 0);
        CHECK(value / static_cast<double>(n) == Approx(0.40205).epsilon(1e-4));
    }
    // Float embeddings give the same statistic to float precision.
    const jepasnn::RowMatrix<float> zf = gaussian(512, 8, 9).cast<float>();
    const Mat zd = zf.cast<double>();
    CHECK(jepa::sigreg<float>(zf, config, 2, 5) ==
          Approx(jepa::sigreg<double>(zd, config, 2, 5)).epsilon(1e-5));
}

TEST_CASE("sigreg directions are unit norm and keyed by seed and step") {
    const auto a = jepa::sigreg_directions<double>(7, 33, 5, 10);
    for (Index m = 0; m < a.cols(); ++m)
        CHECK(a.col(m).norm() == Approx(1.0).epsilon(1e-14));
    CHECK(a == jepa::sigreg_directions<double>(7, 33, 5, 10));
    CHECK(a != jepa::sigreg_directions<double>(7, 33, 5, 11));
    CHECK(a != jepa::sigreg_directions<double>(7, 33, 6, 10));
    // Isotropic on average: the mean outer product of many directions is I/D.
    const auto many = jepa::sigreg_directions<double>(4, 20000, 1, 0);
    const Mat cov = many * many.transpose() / 20000.0;
    CHECK((cov - Mat::Identity(4, 4) / 4.0).cwiseAbs().maxCoeff() < 0.01);
}

TEST_CASE("sigreg parity rejects malformed documents with the file and case named") {
    auto ref = jepasnn::read_json(jepasnn::test::test_asset("reference/sigreg.json"));
    CHECK_THROWS_WITH(jepa::sigreg_parity(jepasnn::Json::object(), "r.json"),
                      Catch::Contains("r.json") && Catch::Contains("'cases'"));
    auto missing = ref;
    missing["cases"][1].erase("z");
    CHECK_THROWS_WITH(jepa::sigreg_parity(missing, "r.json"),
                      Catch::Contains("r.json: case 1") && Catch::Contains("'z'"));
    auto wrong = ref;
    wrong["cases"][0]["D"] = 9;
    CHECK_THROWS_WITH(jepa::sigreg_parity(wrong, "r.json"),
                      Catch::Contains("case 0") && Catch::Contains("expected 64x9"));
    auto nan = ref;
    nan["cases"][0]["z"][3][2] = "x";
    CHECK_THROWS_WITH(jepa::sigreg_parity(nan, "r.json"), Catch::Contains("not a number"));
}

TEST_CASE("parity sigreg CLI writes the reference schema with our values") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built");
    jepasnn::test::TempDir tmp;
    const auto ref_path = jepasnn::test::test_asset("reference/sigreg.json");
    const auto out = tmp / "out.json";
    const auto r =
        jepasnn::test::run_cli({"parity", "sigreg", ref_path.string(), "--out", out.string()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto ours = jepasnn::read_json(out);
    const auto ref = jepasnn::read_json(ref_path);
    CHECK(ours["source"] == ref["source"]);
    for (std::size_t i = 0; i < ref["cases"].size(); ++i)
        CHECK(std::abs(ours["cases"][i]["sigreg"].get<double>() -
                       ref["cases"][i]["sigreg"].get<double>()) < 1e-10);

    // Errors: one line, exit 1, no output file.
    jepasnn::test::write_text(tmp / "bad.json", "{\"cases\": [{\"N\": 2}]}");
    const auto bad = jepasnn::test::run_cli(
        {"parity", "sigreg", (tmp / "bad.json").string(), "--out", (tmp / "o2.json").string()});
    jepasnn::test::check_cli_error(bad, "bad.json: case 0");
    CHECK(bad.status == 1);
    CHECK_FALSE(std::filesystem::exists(tmp / "o2.json"));
    const auto missing = jepasnn::test::run_cli(
        {"parity", "sigreg", (tmp / "none.json").string(), "--out", (tmp / "o3.json").string()});
    jepasnn::test::check_cli_error(missing, "none.json");
    const auto usage = jepasnn::test::run_cli({"parity", "sigreg", ref_path.string()});
    jepasnn::test::check_cli_error(usage, "--out");
    CHECK(usage.status == 2);
}

TEST_CASE("collapse diagnostics separate isotropic from collapsed latents") {
    Mat iso(4000, 8), collapsed(4000, 8);
    for (Index i = 0; i < iso.size(); ++i)
        iso.data()[i] = jepasnn::normal_at(1, 2, static_cast<std::uint64_t>(i));
    for (Index r = 0; r < collapsed.rows(); ++r)
        collapsed.row(r) =
            0.3 * jepasnn::RowVector<double>::LinSpaced(8, 1.0, 2.0) + 1e-3 * iso.row(r);
    const auto good = jepa::collapse_diagnostics(iso);
    const auto bad = jepa::collapse_diagnostics(collapsed);
    CHECK(good.effective_rank > 7.8);
    CHECK(good.sigreg == Approx(1.05).margin(0.25));
    CHECK(good.sigreg_samples == 4000);
    CHECK(good.variance.minCoeff() > 0.9);
    CHECK(bad.effective_rank < 1.1);
    CHECK(bad.variance.maxCoeff() < 1e-5);
    CHECK(bad.sigreg > 100.0);
    // Every 3rd of the 4000 rows: 1334 samples. The statistic is scaled by N, so for Gaussian
    // samples it has the same limiting law at any N and the same margin applies.
    const auto thinned = jepa::collapse_diagnostics(iso, {}, 0, 3);
    CHECK(thinned.sigreg_samples == 1334);
    CHECK(thinned.sigreg == Approx(1.05).margin(0.25));
    CHECK(thinned.effective_rank == good.effective_rank);
}
