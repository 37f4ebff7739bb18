// A step's batch split into shards (forward_backward_shards, TrainConfig::shards): with one shard
// it is forward_backward bit for bit; with several it computes the whole batch's loss and
// gradient (in double, to rounding); shards draw different dropout masks; bad splits are refused.
// That any number of MPI ranks gives the one-process bits is tests/dist's.
#include <jepasnn/jepa/model.hpp>
#include <jepasnn/nn/dropout.hpp>

#include <rapidcheck/catch.h>

#include <cstring>

#include "jepa_test_util.hpp"

namespace jepa = jepasnn::jepa;
using jepasnn::Index;

namespace {

std::vector<jepa::WindowRef> some_windows(const std::vector<jepa::SessionRecording<double>>& data,
                                          Index count, Index length, std::uint64_t seed) {
    const jepa::WindowSampler sampler(jepa::runs_of<double>(data, false), length);
    return sampler.sample(count, seed, 0);
}

template <class T>
std::vector<jepa::SessionRecording<T>> labelled(std::vector<jepa::SessionRecording<T>> data) {
    for (auto& d : data) {
        d.state.resize(static_cast<std::size_t>(d.bins()));
        for (std::size_t k = 0; k < d.state.size(); ++k)
            d.state[k] = static_cast<std::uint8_t>((k / 3) % 2);
    }
    return data;
}

/// forward_backward on one batch against forward_backward_shards with that batch as its one
/// shard: loss parts and gradients with the same bits.
template <class Model>
void require_one_shard_is_forward_backward(Model a, const jepa::Batch<float>& batch) {
    Model b = a;
    const jepa::RegularizerContext ctx{5, 9};
    a.parameters().zero_gradients();
    const jepa::LossParts whole = a.forward_backward(batch, ctx);
    const jepasnn::train::LocalShards local;
    const jepa::LossParts sharded = b.forward_backward_shards(
        std::span(&batch, 1), jepasnn::ShardPlan(batch.size, 1), local, ctx);
    CHECK(sharded.total == whole.total);
    CHECK(sharded.prediction == whole.prediction);
    CHECK(sharded.regularizer == whole.regularizer);
    const auto ga = a.parameters().gradients(), gb = b.parameters().gradients();
    REQUIRE(ga.size() == gb.size());
    CHECK(std::memcmp(ga.data(), gb.data(), ga.size() * sizeof(float)) == 0);
}

}  // namespace

TEST_CASE("one shard is forward_backward bit for bit for every regulariser") {
    auto c = jepasnn::test::tiny_model_config();
    c.dropout = 0.25;
    const auto data = labelled(jepasnn::test::toy_sessions<float>({7, 5}, 160, 4, 40));
    const jepa::WindowSampler sampler(jepa::runs_of<float>(data, false), 9);
    const auto batch = jepa::make_batch<float>(data, sampler.sample(6, 2, 0), 9);
    jepa::SigRegConfig sig;
    sig.directions = 16;
    require_one_shard_is_forward_backward(
        jepa::LeJepa<float, jepa::GruEncoder, jepa::SigRegRegularizer>(
            c, jepa::SigRegRegularizer<float>(sig)),
        batch);
    sig.per_state = true;
    require_one_shard_is_forward_backward(
        jepa::LeJepa<float, jepa::GruEncoder, jepa::SigRegRegularizer>(
            c, jepa::SigRegRegularizer<float>(sig)),
        batch);
    require_one_shard_is_forward_backward(
        jepa::LeJepa<float, jepa::ConvGruEncoder, jepa::VicRegRegularizer>(c), batch);
    require_one_shard_is_forward_backward(
        jepa::LeJepa<float, jepa::GruEncoder, jepa::EmaTargetRegularizer>(c), batch);
}

TEST_CASE("S shards give the whole batch's loss and gradient in double to rounding",
          "[tolerance]") {
    jepasnn::test::SingleThread one;
    rc::prop("random batches, shard counts and regularisers", [] {
        auto c = jepasnn::test::tiny_model_config();
        c.init_seed = *rc::gen::arbitrary<std::uint64_t>();
        const Index length = c.burn_in + *rc::gen::inRange(2, 6);
        const auto data = labelled(jepasnn::test::toy_sessions<double>({7, 5}, 160, 1, 40));
        const Index batch = *rc::gen::inRange(2, 9);
        const jepasnn::ShardPlan plan(batch, *rc::gen::inRange<Index>(2, batch + 1));
        // Whole batch in shard order (make_batch groups windows by session, shard by shard).
        const auto windows = some_windows(data, batch, length, c.init_seed);
        const auto shards =
            jepa::shard_batches<double>(data, windows, plan, 0, plan.shards, length);
        const auto whole = jepa::make_batch<double>(data, windows, length);
        jepa::SigRegConfig sig;
        sig.directions = 8;
        sig.per_state = *rc::gen::arbitrary<bool>();
        jepa::LeJepa<double, jepa::GruEncoder, jepa::SigRegRegularizer> a(
            c, jepa::SigRegRegularizer<double>(sig));
        auto b = a;
        const jepa::RegularizerContext ctx{3, 1};
        a.parameters().zero_gradients();
        const double expected = a.forward_backward(whole, ctx).total;
        const jepasnn::train::LocalShards local;
        const double found = b.forward_backward_shards(shards, plan, local, ctx).total;
        // Double sums over ≲ 10³ terms of size ≲ 10: rounding ≲ 10³·10·2⁻⁵³ ≈ 1e-12; the sums
        // differ only in order (windows regrouped by session within each shard).
        RC_ASSERT(std::abs(found - expected) <= 1e-10 * (1.0 + std::abs(expected)));
        const auto ga = a.parameters().gradients(), gb = b.parameters().gradients();
        double scale = 1.0, worst = 0.0;
        for (std::size_t i = 0; i < ga.size(); ++i) {
            scale = std::max(scale, std::abs(ga[i]));
            worst = std::max(worst, std::abs(ga[i] - gb[i]));
        }
        RC_ASSERT(worst <= 1e-10 * scale);
    });
}

TEST_CASE("shards draw their own dropout masks and part 0 is the unsharded mask") {
    jepasnn::nn::Dropout<float> drop(0.5, 77);
    const jepasnn::RowMatrix<float> in = jepasnn::RowMatrix<float>::Ones(8, 16);
    jepasnn::RowMatrix<float> plain, part0, part1;
    drop.forward(plain, in, 1, 2, true);
    drop.forward(part0, in, 1, 2, true, 0);
    drop.forward(part1, in, 1, 2, true, 1);
    CHECK(plain == part0);
    CHECK(part0 != part1);
}

TEST_CASE("forward_backward_shards and the trainer refuse splits that do not fit") {
    const auto c = jepasnn::test::tiny_model_config();
    const auto data = jepasnn::test::toy_sessions<double>({7, 5}, 160, 1, 40);
    const auto windows = some_windows(data, 4, 6, 1);
    jepa::LeJepa<double> m(c);
    const jepasnn::train::LocalShards local;
    const jepasnn::ShardPlan plan(4, 2);
    const auto shards = jepa::shard_batches<double>(data, windows, plan, 0, plan.shards, 6);
    CHECK_THROWS_WITH(m.forward_backward_shards(std::span(shards).first(1), plan, local, {}),
                      Catch::Contains("given 1 shards, expected 2"));
    const std::vector<jepa::Batch<double>> short_shard{
        shards[0], jepa::make_batch<double>(data, {windows[2]}, 6)};
    CHECK_THROWS_WITH(m.forward_backward_shards(short_shard, plan, local, {}),
                      Catch::Contains("shard 1 has 1 windows of 6 bins, expected 2 of 6"));
    auto tc = jepasnn::test::quick_train_config(2);
    tc.shards = tc.batch_size + 1;
    CHECK_THROWS_WITH(tc.validate(), Catch::Contains("shards is 7, expected 1 .. batch_size (6)"));
}
