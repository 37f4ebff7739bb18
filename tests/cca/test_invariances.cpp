// The documented invariances and bounds of every measure, as rapidcheck properties over random
// shapes, seeds and noise levels; identical and affinely related views; and the known-ρ
// construction x = z + σε, y = Rz + ση with ρ = 1/(1 + σ²).
#include <jepasnn/cca/similarity_report.hpp>

#include <rapidcheck/catch.h>

#include <numbers>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::random_invertible;
using jepasnn::test::random_offset;
using jepasnn::test::random_orthogonal;
using jepasnn::test::shared_latent_views;

namespace {

/// A random pair of views: n rows, p and q columns, sharing min(p, q) latents.
test::ViewPair random_views(Index& n, Index& p, Index& q, std::uint64_t& seed) {
    p = *rc::gen::inRange<Index>(1, 7);
    q = *rc::gen::inRange<Index>(1, 7);
    n = *rc::gen::inRange<Index>(std::max(p, q) + 6, 90);
    seed = *rc::gen::arbitrary<std::uint64_t>();
    const double noise = 0.3 + 0.1 * *rc::gen::inRange(0, 20);
    return shared_latent_views(n, p, q, std::min(p, q), noise, seed);
}

double max_abs_diff(const Vector<double>& a, const Vector<double>& b) {
    RC_ASSERT(a.size() == b.size());
    return a.size() == 0 ? 0.0 : (a - b).cwiseAbs().maxCoeff();
}

/// Every scalar measure that is invariant to orthogonal maps, isotropic scale and translation.
struct RotationInvariantScores {
    Vector<double> ridge_rho;
    double svcca, linear_cka, debiased_cka, procrustes;
};
RotationInvariantScores rotation_invariant_scores(const RowMatrix<double>& x,
                                                  const RowMatrix<double>& y) {
    cca::CcaOptions ridge;
    ridge.ridge = 0.05;
    return {cca::canonical_correlations(x, y, ridge).correlations, cca::svcca(x, y).similarity,
            cca::linear_cka(x, y), cca::debiased_cka(x, y),
            cca::angular_procrustes(x, y).similarity};
}

}  // namespace

TEST_CASE("CCA is invariant to invertible linear maps and translation", "[tolerance]") {
    rc::prop("rho(XA + b, YB + c) == rho(X, Y)", [] {
        Index n, p, q;
        std::uint64_t seed;
        const auto v = random_views(n, p, q, seed);
        const RowMatrix<double> x2 =
            (v.x * random_invertible(p, seed + 7)).rowwise() + random_offset(p, seed, 100.0);
        const RowMatrix<double> y2 =
            (v.y * random_invertible(q, seed + 9)).rowwise() + random_offset(q, seed + 1, 1e3);
        const cca::CcaResult a = cca::canonical_correlations(v.x, v.y);
        const cca::CcaResult b = cca::canonical_correlations(x2, y2);
        RC_ASSERT(a.rank_x == b.rank_x);
        RC_ASSERT(max_abs_diff(a.correlations, b.correlations) < 1e-9);
    });
}

TEST_CASE("ridge CCA and SVCCA and CKA and Procrustes are invariant to rotation and scale",
          "[tolerance]") {
    rc::prop("scores of (cXQ + b, dYR + e) equal those of (X, Y)", [] {
        Index n, p, q;
        std::uint64_t seed;
        const auto v = random_views(n, p, q, seed);
        const double cx = std::exp(*rc::gen::inRange(-5, 6)),
                     cy = std::exp(*rc::gen::inRange(-5, 6));
        const RowMatrix<double> x2 =
            (cx * v.x * random_orthogonal(p, seed + 3)).rowwise() + random_offset(p, seed, 50.0);
        const RowMatrix<double> y2 =
            (cy * v.y * random_orthogonal(q, seed + 4)).rowwise() + random_offset(q, seed + 2, 5.0);
        const RotationInvariantScores a = rotation_invariant_scores(v.x, v.y);
        const RotationInvariantScores b = rotation_invariant_scores(x2, y2);
        RC_ASSERT(max_abs_diff(a.ridge_rho, b.ridge_rho) < 1e-9);
        RC_ASSERT(std::abs(a.svcca - b.svcca) < 1e-9);
        RC_ASSERT(std::abs(a.linear_cka - b.linear_cka) < 1e-9);
        RC_ASSERT(std::abs(a.debiased_cka - b.debiased_cka) < 1e-9);
        RC_ASSERT(std::abs(a.procrustes - b.procrustes) < 1e-9);
    });
}

TEST_CASE("PWCCA is invariant to unit permutations of X and invertible maps of Y", "[tolerance]") {
    rc::prop("pwcca(c·X·P·S + b, YB + e) == pwcca(X, Y)", [] {
        Index n, p, q;
        std::uint64_t seed;
        const auto v = random_views(n, p, q, seed);
        // Permute X's units and flip some signs: P·S.
        Eigen::PermutationMatrix<Eigen::Dynamic> perm(p);
        perm.setIdentity();
        RandomStream rng(seed, 77);
        rng.shuffle(perm.indices().data(), perm.indices().data() + p);
        Vector<double> signs(p);
        for (Index j = 0; j < p; ++j)
            signs(j) = rng.bernoulli(0.5) ? -1.0 : 1.0;
        const RowMatrix<double> x2 =
            ((3.0 * v.x * perm) * signs.asDiagonal()).rowwise() + random_offset(p, seed, 9.0);
        const RowMatrix<double> y2 = v.y * random_invertible(q, seed + 5);
        RC_ASSERT(std::abs(cca::pwcca(v.x, v.y).similarity - cca::pwcca(x2, y2).similarity) < 1e-9);
    });
}

TEST_CASE("every measure stays within its bounds") {
    rc::prop("rho and CKA and SVCCA and PWCCA in [0 1] and debiased CKA in [-1 1]", [] {
        Index n, p, q;
        std::uint64_t seed;
        auto v = random_views(n, p, q, seed);
        if (*rc::gen::arbitrary<bool>()) v.y = test::gaussian(n, q, seed, 99);  // unrelated
        const cca::SimilarityReport r = cca::compare_representations(v.x, v.y);
        RC_ASSERT(r.cca.correlations.minCoeff() >= 0.0);
        RC_ASSERT(r.cca.correlations.maxCoeff() <= 1.0);
        for (double s :
             {r.linear_cka, r.svcca.similarity, r.pwcca.similarity, r.procrustes.similarity}) {
            RC_ASSERT(s >= 0.0);
            RC_ASSERT(s <= 1.0);
        }
        RC_ASSERT(r.debiased_cka >= -1.0);
        RC_ASSERT(r.debiased_cka <= 1.0);
        RC_ASSERT(r.procrustes.distance >= 0.0);
        RC_ASSERT(r.procrustes.distance <= std::numbers::pi / 2.0);
    });
}

TEST_CASE("identical views score 1 on every measure", "[tolerance]") {
    rc::prop("X against X", [] {
        Index n, p, q;
        std::uint64_t seed;
        const auto v = random_views(n, p, q, seed);
        const cca::SimilarityReport r = cca::compare_representations(v.x, v.x);
        RC_ASSERT(r.cca.components() == p);
        RC_ASSERT((r.cca.correlations.array() - 1.0).abs().maxCoeff() < 1e-12);
        RC_ASSERT(std::abs(r.linear_cka - 1.0) < 1e-12);
        RC_ASSERT(std::abs(r.debiased_cka - 1.0) < 1e-12);
        RC_ASSERT(std::abs(r.svcca.similarity - 1.0) < 1e-12);
        RC_ASSERT(std::abs(r.pwcca.similarity - 1.0) < 1e-12);
        RC_ASSERT(r.procrustes.distance < 1e-6);  // acos near 1: √(2·1e-13)
    });
}

TEST_CASE("Y equal to XA plus b gives every canonical correlation 1", "[tolerance]") {
    rc::prop("Y = XA + b with A invertible", [] {
        Index n, p, q;
        std::uint64_t seed;
        const auto v = random_views(n, p, q, seed);
        const RowMatrix<double> y =
            (v.x * random_invertible(p, seed)).rowwise() + random_offset(p, seed, 20.0);
        const cca::CcaResult r = cca::canonical_correlations(v.x, y);
        RC_ASSERT(r.components() == p);
        RC_ASSERT((r.correlations.array() - 1.0).abs().maxCoeff() < 1e-10);
        RC_ASSERT(std::abs(r.mean_cca - 1.0) < 1e-10);
    });
}

TEST_CASE("the known-rho construction gives rho equal to 1 over 1 plus sigma squared",
          "[tolerance]") {
    // x = z + σε, y = Rz + ση with z, ε, η standard normal (n × d) and R orthogonal: every pair
    // z_i + σε_i, (Rᵀy)_i = z_i + σ(Rᵀη)_i has correlation 1/(1 + σ²), and y is an orthogonal map
    // of that, so all d canonical correlations equal it. Sampling error is ~(1 − ρ²)/√n.
    rc::prop("sample canonical correlations near 1/(1 + sigma^2)", [] {
        const Index d = *rc::gen::inRange<Index>(1, 5);
        const double sigma = 0.25 * *rc::gen::inRange(1, 9);
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
        const Index n = 20000;
        const RowMatrix<double> z = test::gaussian(n, d, seed, 1);
        const RowMatrix<double> x = z + sigma * test::gaussian(n, d, seed, 2);
        const RowMatrix<double> y =
            z * random_orthogonal(d, seed).transpose() + sigma * test::gaussian(n, d, seed, 3);
        const double rho = 1.0 / (1.0 + sigma * sigma);
        const cca::CcaResult r = cca::canonical_correlations(x, y);
        RC_ASSERT(r.components() == d);
        const double tolerance = 6.0 * (1.0 - rho * rho) / std::sqrt(double(n)) + 1e-3;
        RC_ASSERT((r.correlations.array() - rho).abs().maxCoeff() < tolerance);
    });
}

TEST_CASE("CKA and Procrustes are not invariant to general invertible maps") {
    // The documented difference from CCA: a strongly anisotropic map changes them.
    const auto v = shared_latent_views(300, 3, 3, 3, 0.5, 4);
    const Vector<double> stretch = (Vector<double>(3) << 20.0, 1.0, 0.05).finished();
    const RowMatrix<double> x2 = v.x * stretch.asDiagonal();
    CHECK(std::abs(cca::linear_cka(v.x, v.y) - cca::linear_cka(x2, v.y)) > 0.05);
    CHECK(std::abs(cca::angular_procrustes(v.x, v.y).distance -
                   cca::angular_procrustes(x2, v.y).distance) > 0.01);
    CHECK((cca::canonical_correlations(v.x, v.y).correlations -
           cca::canonical_correlations(x2, v.y).correlations)
              .cwiseAbs()
              .maxCoeff() < 1e-10);
}
