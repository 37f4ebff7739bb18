// Parity with ../shared/reference/cca.json (an independent numpy implementation: SVD bases of the
// centred data, then the SVD of Q_xᵀQ_y), rank-deficient case included, to 1e-10.
#include <jepasnn/cca/canonical_correlations.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>

#include "test_support.hpp"

using namespace jepasnn;

TEST_CASE("canonical correlations match the numpy reference to 1e-10") {
    const Json doc = read_json(test::test_asset("reference/cca.json"));
    for (const Json& c : doc.at("cases")) {
        const std::string name = c.at("name");
        INFO(name);
        const auto x = load_npy_matrix<double>(test::test_asset("reference/" + name + "_X.npy"));
        const auto y = load_npy_matrix<double>(test::test_asset("reference/" + name + "_Y.npy"));
        const cca::CcaResult r = cca::canonical_correlations(x, y);
        const Vector<double> want = vector_from_json<double>(c.at("canonical_correlations"), name);
        CHECK(r.rank_x == c.at("rank_x").get<Index>());
        CHECK(r.rank_y == c.at("rank_y").get<Index>());
        REQUIRE(r.correlations.size() == want.size());
        CHECK((r.correlations - want).cwiseAbs().maxCoeff() < 1e-10);
        CHECK(std::abs(r.mean_cca - c.at("mean_cca").get<double>()) < 1e-10);
        CHECK(std::abs(r.r2_cca - c.at("r2_cca").get<double>()) < 1e-10);
    }
}
