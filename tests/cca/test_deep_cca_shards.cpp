// Deep CCA on a batch split into shards (the data-parallel form of the distillation loss): every
// shard's column sums and scaled centred products, added in ShardTree's order, give the whole
// batch's loss, and each shard's own rows then get the whole batch's gradient; one shard is
// deep_cca_forward bit for bit.
#include <jepasnn/cca/deep_cca_loss.hpp>
#include <jepasnn/core/shard_tree.hpp>

#include <rapidcheck/catch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::gaussian;

namespace {

/// Views sharing k = min(d1, d2) latents through orthonormal loadings with noise 0.5: the
/// covariances have eigenvalues 1.25 and 0.25 and every canonical correlation is near 0.8.
test::ViewPair correlated_views(Index m, Index d1, Index d2, std::uint64_t seed) {
    const Index k = std::min(d1, d2);
    const RowMatrix<double> z = gaussian(m, k, seed, 1);
    const Matrix<double> lx = test::random_orthogonal(d1, seed + 1).topRows(k);
    const Matrix<double> ly = test::random_orthogonal(d2, seed + 2).topRows(k);
    test::ViewPair v;
    v.x = z * lx + 0.5 * gaussian(m, d1, seed, 3);
    v.y = z * ly + 0.5 * gaussian(m, d2, seed, 4);
    return v;
}

struct ShardedResult {
    double loss = 0.0;
    RowMatrix<double> dh1, dh2;  // every shard's rows, in order
};

/// The loss and gradients of `v` split by `plan`, each reduction summed over `tree`.
ShardedResult sharded_deep_cca(const test::ViewPair& v, const ShardPlan& plan,
                               const cca::DeepCcaOptions& options) {
    const Index m = v.x.rows(), d1 = v.x.cols(), d2 = v.y.cols();
    const ShardTree tree(plan.shards);
    std::vector<cca::DeepCcaRows> rows(static_cast<std::size_t>(plan.shards));
    std::vector<double> sums(static_cast<std::size_t>(cca::deep_cca_sums_size(d1, d2)));
    std::vector<double> products(static_cast<std::size_t>(cca::deep_cca_products_size(d1, d2)));
    tree.sum(
        TreeBlock{0, tree.width()},
        [&](std::int64_t s, std::span<double> out) {
            cca::deep_cca_rows(rows[std::size_t(s)], v.x.middleRows(plan.first(s), plan.count(s)),
                               v.y.middleRows(plan.first(s), plan.count(s)), out);
        },
        std::span<double>(sums));
    tree.sum(
        TreeBlock{0, tree.width()},
        [&](std::int64_t s, std::span<double> out) {
            cca::deep_cca_products(rows[std::size_t(s)], sums, m, out);
        },
        std::span<double>(products));
    cca::DeepCcaStatistic st;
    ShardedResult r;
    r.loss = cca::deep_cca_statistic(st, products, m, d1, d2, options);
    r.dh1 = RowMatrix<double>::Zero(m, d1);
    r.dh2 = RowMatrix<double>::Zero(m, d2);
    for (std::int64_t s = 0; s < plan.shards; ++s) {
        RowMatrix<double> g1 = RowMatrix<double>::Zero(plan.count(s), d1);
        RowMatrix<double> g2 = RowMatrix<double>::Zero(plan.count(s), d2);
        cca::deep_cca_backward<double>(&g1, &g2, rows[std::size_t(s)], st, 0.75);
        r.dh1.middleRows(plan.first(s), plan.count(s)) = g1;
        r.dh2.middleRows(plan.first(s), plan.count(s)) = g2;
    }
    return r;
}

}  // namespace

TEST_CASE("deep cca from shards is the whole batch's loss and gradient", "[tolerance]") {
    rc::prop("random views, widths and shard counts", [] {
        const Index d1 = *rc::gen::inRange(1, 7), d2 = *rc::gen::inRange(1, 7);
        const Index m = *rc::gen::inRange<Index>(4 * std::max(d1, d2) + 8, 200);
        const ShardPlan plan(m, *rc::gen::inRange<std::int64_t>(1, 7));
        const auto v = correlated_views(m, d1, d2, *rc::gen::arbitrary<std::uint64_t>());
        cca::DeepCcaOptions options;
        options.ridge = *rc::gen::element(0.0, 1e-3, 0.1);
        cca::DeepCcaCache whole;
        const double expected = cca::deep_cca_forward(whole, v.x, v.y, options);
        RowMatrix<double> dh1 = RowMatrix<double>::Zero(m, d1),
                          dh2 = RowMatrix<double>::Zero(m, d2);
        cca::deep_cca_backward<double>(&dh1, &dh2, whole, 0.75);
        const ShardedResult found = sharded_deep_cca(v, plan, options);
        // Only the order of the additions differs: each sum of m ≤ 200 terms moves by
        // ≲ m·2⁻⁵³·Σ|terms| (Higham 2002, §4.2), ~2e-14 of covariances of size ~1. The covariances'
        // condition numbers are ≤ 5 and the canonical correlations ~0.8 apart from 0, so Σ^{−1/2},
        // the SVD and the gradient amplify that by ≲ 1e2: 1e-10 leaves a margin of ~50.
        RC_ASSERT(std::abs(found.loss - expected) <= 1e-10 * std::abs(expected));
        RC_ASSERT((found.dh1 - dh1).cwiseAbs().maxCoeff() <= 1e-10 * dh1.cwiseAbs().maxCoeff());
        RC_ASSERT((found.dh2 - dh2).cwiseAbs().maxCoeff() <= 1e-10 * dh2.cwiseAbs().maxCoeff());
    });
}

TEST_CASE("deep cca from one shard is deep_cca_forward bit for bit") {
    const auto v = correlated_views(57, 5, 3, 11);
    cca::DeepCcaCache whole;
    const double expected = cca::deep_cca_forward(whole, v.x, v.y);
    RowMatrix<double> dh1 = RowMatrix<double>::Zero(57, 5), dh2 = RowMatrix<double>::Zero(57, 3);
    cca::deep_cca_backward<double>(&dh1, &dh2, whole, 0.75);
    const ShardedResult found = sharded_deep_cca(v, ShardPlan(57, 1), {});
    CHECK(found.loss == expected);
    CHECK(found.dh1 == dh1);
    CHECK(found.dh2 == dh2);
}

TEST_CASE("deep cca's sharded parts check their sizes") {
    using Catch::Contains;
    const auto v = correlated_views(20, 3, 2, 5);
    cca::DeepCcaRows rows;
    std::vector<double> sums(5), products(13);
    std::vector<double> short_sums(4);
    CHECK_THROWS_WITH(cca::deep_cca_rows(rows, v.x, v.y, short_sums),
                      Contains("sums hold 4 values, expected 5"));
    CHECK_THROWS_WITH(cca::deep_cca_rows(rows, v.x, v.y.topRows(19), sums),
                      Contains("H1 has 20 rows and H2 has 19"));
    cca::deep_cca_rows(rows, v.x, v.y, sums);
    std::vector<double> short_products(12);
    CHECK_THROWS_WITH(cca::deep_cca_products(rows, sums, 20, short_products),
                      Contains("expected 5/19"));
    cca::DeepCcaStatistic st;
    CHECK_THROWS_WITH(cca::deep_cca_statistic(st, products, 20, 3, 2),
                      Contains("products hold 13 values, expected 19"));
    CHECK_THROWS_WITH(cca::deep_cca_statistic(st, products, 3, 3, 2),
                      Contains("batch of 3 rows must exceed the latent width 3"));
}
