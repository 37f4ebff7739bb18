// SIGReg on a batch split into shards (SigRegRegularizer::forward_shards, the data-parallel form):
// the characteristic-function sums of disjoint rows add up to those of their union, and the
// regulariser evaluated from every shard's sums (added in ShardTree's order) is the whole batch's
// value and gradient, per time step and per state, with shards that hold none of a state's rows.
#include <jepasnn/core/shard_tree.hpp>
#include <jepasnn/jepa/regularizers.hpp>

#include <rapidcheck/catch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "jepa_test_util.hpp"

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using Mat = jepasnn::RowMatrix<double>;

namespace {

/// max |a − b| over max(1, max |a|).
double relative_gap(const Mat& a, const Mat& b) {
    return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, a.cwiseAbs().maxCoeff());
}

}  // namespace

TEST_CASE("sigreg sums of disjoint rows add up to the sums of their union", "[tolerance]") {
    rc::prop("random latents, directions and splits", [] {
        const Index n = *rc::gen::inRange(2, 40), d = *rc::gen::inRange(1, 5);
        const Index split = *rc::gen::inRange<Index>(1, n);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const Mat z = jepasnn::test::random_latents(n, d, seed);
        const auto a = jepa::sigreg_directions<double>(d, *rc::gen::inRange(1, 9), seed, 3);
        const auto q = jepa::SigRegKnots::make(17, 3.0, jepa::KnotPrecision::official_float32);
        const auto size = static_cast<std::size_t>(2 * q.size() * a.cols());
        jepa::SigRegCache<double> whole, top, bottom;
        const double expected = jepa::sigreg_forward<double>(whole, z, a, q);
        std::vector<double> s_top(size), s_bottom(size);
        jepa::sigreg_project<double>(top, z.topRows(split), a, q);
        jepa::sigreg_project<double>(bottom, z.bottomRows(n - split), a, q);
        jepa::sigreg_sums<double>(top, q, s_top);
        jepa::sigreg_sums<double>(bottom, q, s_bottom);
        for (std::size_t i = 0; i < size; ++i)
            s_top[i] += s_bottom[i];
        const double found = jepa::sigreg_statistic<double>(top, s_top, n, q);
        // Each sum has ≤ 40 terms of size ≤ 1, so it moves by ≲ 40·2⁻⁵³ between orders; T_m =
        // n·Σ_k w_k(…)² then moves by ≲ n·K·4·40·2⁻⁵³ ≈ 1e-11.
        RC_ASSERT(std::abs(found - expected) <= 1e-10);
        RC_ASSERT((top.c_mean - whole.c_mean).cwiseAbs().maxCoeff() <= 1e-13);
        RC_ASSERT((top.s_mean - whole.s_mean).cwiseAbs().maxCoeff() <= 1e-13);
    });
}

TEST_CASE("sigreg from shards is the whole batch's value and gradient", "[tolerance]") {
    jepasnn::test::SingleThread one;
    rc::prop("random batches, shards, states and time steps", [] {
        const Index steps = *rc::gen::inRange(1, 5), batch = *rc::gen::inRange(1, 10),
                    d = *rc::gen::inRange(1, 5);
        const jepasnn::ShardPlan plan(batch, *rc::gen::inRange<Index>(1, batch + 1));
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        jepa::SigRegConfig config;
        config.directions = *rc::gen::inRange(1, 20);
        config.per_state = *rc::gen::arbitrary<bool>();
        const Mat z = jepasnn::test::random_latents(steps * batch, d, seed);  // time-major
        const auto labels = *rc::gen::container<std::vector<std::uint8_t>>(
            static_cast<std::size_t>(steps * batch), rc::gen::inRange<std::uint8_t>(0, 3));
        const jepa::RegularizerContext ctx{seed, 7, batch, labels};

        jepa::SigRegRegularizer<double> whole(config), sharded(config);
        const double expected = whole.forward(z, ctx);
        Mat dz_whole = Mat::Zero(z.rows(), d);
        whole.backward(dz_whole, 0.5);

        // Shard s holds rows t·B + first(s) + j as its rows t·b_s + j.
        std::vector<Mat> parts, dz;
        std::vector<Index> offset, size;
        for (std::int64_t s = 0; s < plan.shards; ++s) {
            Mat p(steps * plan.count(s), d);
            for (Index t = 0; t < steps; ++t)
                p.middleRows(t * plan.count(s), plan.count(s)) =
                    z.middleRows(t * batch + plan.first(s), plan.count(s));
            parts.push_back(p);
            dz.push_back(Mat::Zero(p.rows(), d));
            offset.push_back(plan.first(s));
            size.push_back(plan.count(s));
        }
        const jepasnn::ShardTree tree(plan.shards);
        const jepa::ShardedLatents<double> latents{
            parts, offset, size, 0,
            [&](const jepasnn::train::ShardLeaf<double>& leaf, std::span<double> out) {
                tree.sum(jepasnn::TreeBlock{0, tree.width()}, leaf, out);
            }};
        const double found = sharded.forward_shards(latents, ctx);
        sharded.backward_shards(dz, 0.5);
        // As above: the sums differ in order only (≲ 10 terms of size ≤ 1 per shard).
        RC_ASSERT(std::abs(found - expected) <= 1e-10 * (1.0 + std::abs(expected)));
        Mat dz_found(z.rows(), d);
        for (std::int64_t s = 0; s < plan.shards; ++s)
            for (Index t = 0; t < steps; ++t)
                dz_found.middleRows(t * batch + plan.first(s), plan.count(s)) =
                    dz[static_cast<std::size_t>(s)].middleRows(t * plan.count(s), plan.count(s));
        RC_ASSERT(relative_gap(dz_whole, dz_found) <= 1e-10);
    });
}

TEST_CASE("sigreg from one shard is forward bit for bit") {
    const Mat z = jepasnn::test::random_latents(24, 3, 11);
    std::vector<std::uint8_t> labels(24);
    for (std::size_t i = 0; i < labels.size(); ++i)
        labels[i] = static_cast<std::uint8_t>(i % 3 == 0);
    for (const bool per_state : {false, true}) {
        jepa::SigRegConfig config;
        config.directions = 12;
        config.per_state = per_state;
        const jepa::RegularizerContext ctx{5, 2, 6, labels};
        jepa::SigRegRegularizer<double> whole(config), sharded(config);
        const double expected = whole.forward(z, ctx);
        Mat dz_whole = Mat::Zero(24, 3);
        whole.backward(dz_whole, 1.5);
        std::vector<Mat> parts{z}, dz{Mat::Zero(24, 3)};
        const std::vector<Index> offset{0}, size{6};
        const jepa::ShardedLatents<double> latents{parts, offset, size, 0,
                                                   [](const jepasnn::train::ShardLeaf<double>& leaf,
                                                      std::span<double> out) { leaf(0, out); }};
        CHECK(sharded.forward_shards(latents, ctx) == expected);
        sharded.backward_shards(dz, 1.5);
        CHECK(dz.front() == dz_whole);
    }
}
