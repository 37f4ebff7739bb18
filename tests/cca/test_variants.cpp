// The variants against independent numpy implementations (tests/assets/cca/make_golden.py: ridge
// CCA by covariance whitening, SVCCA by SVD of the data, PWCCA from explicit variates, CKA from
// n × n kernels, debiased CKA from the raw-kernel U-statistic, Procrustes by the nuclear norm),
// to 1e-10, plus the report that computes them all from one factor.
#include <jepasnn/cca/similarity_report.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;

namespace {
struct GoldenCase {
    Json expected;
    RowMatrix<double> x, y;
};
std::vector<GoldenCase> golden_cases() {
    const Json doc = read_json(test::test_asset("cca/golden.json"));
    std::vector<GoldenCase> out;
    for (const Json& c : doc.at("cases")) {
        const std::string name = c.at("name");
        out.push_back({c, load_npy_matrix<double>(test::test_asset("cca/" + name + "_X.npy")),
                       load_npy_matrix<double>(test::test_asset("cca/" + name + "_Y.npy"))});
    }
    return out;
}
double golden_ridge() {
    return read_json(test::test_asset("cca/golden.json")).at("ridge").get<double>();
}
}  // namespace

TEST_CASE("ridge CCA matches covariance whitening in numpy") {
    cca::CcaOptions o;
    o.ridge = golden_ridge();
    for (const auto& c : golden_cases()) {
        INFO(c.expected.at("name"));
        const cca::CcaResult r = cca::canonical_correlations(c.x, c.y, o);
        const Vector<double> want =
            vector_from_json<double>(c.expected.at("ridge_correlations"), "golden");
        REQUIRE(r.correlations.size() == want.size());
        CHECK((r.correlations - want).cwiseAbs().maxCoeff() < 1e-10);
        CHECK(r.rank_x == c.expected.at("rank_x").get<Index>());
        CHECK(r.rank_y == c.expected.at("rank_y").get<Index>());
    }
}

TEST_CASE("SVCCA and PWCCA match numpy") {
    for (const auto& c : golden_cases()) {
        INFO(c.expected.at("name"));
        const cca::SvccaResult s = cca::svcca(c.x, c.y);
        CHECK(s.kept_x == c.expected.at("svcca_kept_x").get<Index>());
        CHECK(s.kept_y == c.expected.at("svcca_kept_y").get<Index>());
        CHECK(std::abs(s.similarity - c.expected.at("svcca").get<double>()) < 1e-10);
        const cca::PwccaResult w = cca::pwcca(c.x, c.y);
        CHECK(std::abs(w.similarity - c.expected.at("pwcca").get<double>()) < 1e-10);
        CHECK(w.weights.sum() == Approx(1.0).epsilon(1e-14));
        CHECK(w.weights.minCoeff() >= 0.0);
    }
}

TEST_CASE("linear and debiased CKA and Procrustes match numpy kernels") {
    for (const auto& c : golden_cases()) {
        INFO(c.expected.at("name"));
        CHECK(std::abs(cca::linear_cka(c.x, c.y) - c.expected.at("linear_cka").get<double>()) <
              1e-10);
        CHECK(std::abs(cca::debiased_cka(c.x, c.y) - c.expected.at("debiased_cka").get<double>()) <
              1e-10);
        const cca::ProcrustesResult p = cca::angular_procrustes(c.x, c.y);
        CHECK(std::abs(p.similarity - c.expected.at("procrustes_similarity").get<double>()) <
              1e-10);
        CHECK(std::abs(p.distance - c.expected.at("angular_procrustes_distance").get<double>()) <
              1e-10);
    }
}

TEST_CASE("the report computes every measure from one factor with the same values") {
    for (const auto& c : golden_cases()) {
        INFO(c.expected.at("name"));
        const cca::SimilarityReport r = cca::compare_representations(c.x, c.y);
        CHECK(r.cca.correlations == cca::canonical_correlations(c.x, c.y).correlations);
        CHECK(r.linear_cka == Approx(c.expected.at("linear_cka").get<double>()).epsilon(1e-10));
        CHECK(r.debiased_cka == Approx(c.expected.at("debiased_cka").get<double>()).epsilon(1e-10));
        CHECK(r.svcca.similarity == Approx(c.expected.at("svcca").get<double>()).epsilon(1e-10));
        CHECK(r.pwcca.similarity == Approx(c.expected.at("pwcca").get<double>()).epsilon(1e-10));
        CHECK(r.procrustes.distance ==
              Approx(c.expected.at("angular_procrustes_distance").get<double>()).epsilon(1e-10));
        CHECK(r.chance_sum_r2 == Approx(double(c.x.cols() * c.y.cols()) / double(c.x.rows() - 1)));
    }
}

TEST_CASE("SVCCA keeps the smallest subspace that reaches the variance share") {
    // Column scales 10, 3, 1, 0.1 on nearly orthogonal columns: cumulative shares of s² about
    // 90.9%, 99.1%, 99.99%, 100%.
    RowMatrix<double> x(400, 4);
    for (Index t = 0; t < 400; ++t)
        for (Index j = 0; j < 4; ++j)
            x(t, j) = std::cos(0.37 * double(t * (j + 1)) + double(j));
    const Vector<double> scales = (Vector<double>(4) << 10.0, 3.0, 1.0, 0.1).finished();
    x = x * scales.asDiagonal();
    const RowMatrix<double> y = x.leftCols(2) + 0.1 * x.rightCols(2);
    for (const auto& [keep, dims] : {std::pair{0.5, 1}, {0.95, 2}, {0.995, 3}, {1.0, 4}}) {
        cca::SvccaOptions o;
        o.variance_kept = keep;
        INFO("keep " << keep);
        CHECK(cca::svcca(x, y, o).kept_x == dims);
    }
    cca::SvccaOptions bad;
    bad.variance_kept = 0.0;
    CHECK_THROWS_WITH(cca::svcca(x, y, bad), Catch::Contains("variance_kept must be in (0, 1]"));
}

TEST_CASE("bad input to the variants is a clear error") {
    const RowMatrix<double> x = test::gaussian(10, 3, 4);
    const RowMatrix<double> flat = RowMatrix<double>::Constant(10, 2, 1.0);
    using Catch::Contains;
    CHECK_THROWS_WITH(cca::linear_cka(x, flat), Contains("Y is constant"));
    CHECK_THROWS_WITH(cca::angular_procrustes(flat, x), Contains("X is constant"));
    CHECK_THROWS_WITH(cca::debiased_cka(x.topRows(3), x.topRows(3)),
                      Contains("needs at least 4 samples"));
    CHECK_THROWS_WITH(cca::svcca(x, flat), Contains("Y is constant"));
    CHECK_THROWS_WITH(cca::pwcca(x.topRows(3), x.topRows(3)), Contains("too few samples"));
    CHECK_THROWS_WITH(cca::linear_cka(x, x.topRows(9)), Contains("X has 10 rows and Y has 9"));
}
