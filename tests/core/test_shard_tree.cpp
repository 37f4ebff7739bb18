#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/shard_tree.hpp>

#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "test_support.hpp"

namespace {

using jepasnn::ShardTree;
using jepasnn::TreeBlock;

/// Shard s's n values: random signs and magnitudes spread over 2^-20 .. 2^20, so that a different
/// summation order changes the float sum.
void shard_values(std::uint64_t seed, std::int64_t s, std::span<float> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto b = jepasnn::philox_block(seed, static_cast<std::uint64_t>(s), i);
        const double u = jepasnn::uniform_from_bits(b.word[0], b.word[1]);
        const int exponent = static_cast<int>(b.word[2] % 41) - 20;
        out[i] = static_cast<float>(std::ldexp((b.word[3] & 1U) ? u : -u, exponent));
    }
}

/// The independent reference: the tree built bottom-up, level by level, over 2^k slots with the
/// slots at and beyond S empty (a pair with an empty right slot passes its left one up).
std::vector<float> bottom_up_sum(std::int64_t shards, std::size_t n, std::uint64_t seed) {
    std::int64_t width = 1;
    while (width < shards)
        width *= 2;
    std::vector<std::optional<std::vector<float>>> level(static_cast<std::size_t>(width));
    for (std::int64_t s = 0; s < shards; ++s) {
        level[static_cast<std::size_t>(s)].emplace(n);
        shard_values(seed, s, *level[static_cast<std::size_t>(s)]);
    }
    while (level.size() > 1) {
        std::vector<std::optional<std::vector<float>>> up(level.size() / 2);
        for (std::size_t i = 0; i < up.size(); ++i) {
            auto& left = level[2 * i];
            auto& right = level[2 * i + 1];
            if (left && right)
                for (std::size_t j = 0; j < n; ++j)
                    (*left)[j] += (*right)[j];
            up[i] = std::move(left);
        }
        level = std::move(up);
    }
    return *level[0];
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// What P processes compute together: each sums the blocks of its own shards, then the tree is
/// finished from all of them.
std::vector<float> sum_over_processes(const ShardTree& tree, std::int64_t processes, std::size_t n,
                                      std::uint64_t seed) {
    std::vector<TreeBlock> blocks;
    std::vector<std::vector<float>> sums;
    for (std::int64_t r = 0; r < processes; ++r) {
        const auto [first, last] = tree.shards_of(r, processes);
        for (const TreeBlock& b : tree.blocks(first, last)) {
            blocks.push_back(b);
            sums.emplace_back(n);
            tree.sum(
                b, [&](std::int64_t s, std::span<float> v) { shard_values(seed, s, v); },
                std::span<float>(sums.back()));
        }
    }
    std::vector<float> out(n);
    tree.finish(
        std::span<const TreeBlock>(blocks),
        [&](std::size_t i) { return std::span<const float>(sums[i]); }, std::span<float>(out));
    return out;
}

}  // namespace

TEST_CASE("ShardTree sums in its tree's order and not left to right") {
    // float: 1e8 + 1 rounds to 1e8. Left to right: ((1e8 + 1) − 1e8) + 1 = 1; the tree:
    // (1e8 + 1) + (−1e8 + 1) = 1e8 − 1e8 = 0.
    const float leaves[] = {1e8f, 1.0f, -1e8f, 1.0f, 1.0f};
    const auto leaf = [&](std::int64_t s, std::span<float> v) { v[0] = leaves[s]; };
    float out = -1.0f;
    ShardTree(4).sum(TreeBlock{0, 4}, leaf, std::span<float>(&out, 1));
    CHECK(out == 0.0f);
    // Five shards, a tree over 8 slots: ((l0 + l1) + (l2 + l3)) + l4 = 0 + 1 (left to right: 2).
    ShardTree(5).sum(TreeBlock{0, 8}, leaf, std::span<float>(&out, 1));
    CHECK(out == 1.0f);
}

TEST_CASE("ShardTree's blocks tile a shard range with aligned subtrees") {
    rc::prop("blocks(begin, end) are aligned, in order, inside the range and cover it", [] {
        const auto shards = *rc::gen::inRange<std::int64_t>(1, 200);
        const auto begin = *rc::gen::inRange<std::int64_t>(0, shards + 1);
        const auto end = *rc::gen::inRange<std::int64_t>(begin, shards + 1);
        const ShardTree tree(shards);
        std::int64_t x = begin;
        int levels = 0;
        while ((std::int64_t{1} << levels) < tree.width())
            ++levels;
        const auto blocks = tree.blocks(begin, end);
        for (const TreeBlock& b : blocks) {
            RC_ASSERT(b.first == x);
            RC_ASSERT(b.width >= 1 && (b.width & (b.width - 1)) == 0 && b.first % b.width == 0);
            x = std::min(b.first + b.width, shards);
            RC_ASSERT(x <= end);
        }
        RC_ASSERT(x == std::max(begin, end));
        RC_ASSERT(std::ssize(blocks) <= 2 * levels + 1);  // a run of a binary tree: ≤ 2 per level
    });
    const ShardTree tree(6);
    CHECK(tree.width() == 8);
    CHECK(tree.blocks(0, 6) == std::vector<TreeBlock>{{0, 8}});
    CHECK(tree.blocks(1, 6) == std::vector<TreeBlock>{{1, 1}, {2, 2}, {4, 4}});
    CHECK(tree.blocks(3, 3).empty());
}

TEST_CASE("ShardTree gives the same bits for any number of processes") {
    rc::prop("P processes finish the tree bitwise equal to the bottom-up reference", [] {
        const auto shards = *rc::gen::inRange<std::int64_t>(1, 70);
        const auto processes = *rc::gen::inRange<std::int64_t>(1, shards + 1);
        const auto n = *rc::gen::inRange<std::size_t>(1, 9);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const ShardTree tree(shards);
        const std::vector<float> reference = bottom_up_sum(shards, n, seed);
        RC_ASSERT(same_bits(sum_over_processes(tree, processes, n, seed), reference));
        RC_ASSERT(same_bits(sum_over_processes(tree, 1, n, seed), reference));
    });
}

TEST_CASE("ShardTree and ShardPlan reject what is not a tree or a partition") {
    CHECK_THROWS_WITH(ShardTree(0), Catch::Contains("shards is 0"));
    const ShardTree tree(5);
    CHECK_THROWS_WITH(tree.blocks(2, 6), Catch::Contains("shards [2, 6) outside [0, 5)"));
    CHECK_THROWS_WITH(tree.shards_of(0, 6), Catch::Contains("process 0 of 6 for 5 shards"));
    std::vector<float> out(1);
    const auto leaf = [](std::int64_t, std::span<float> v) { v[0] = 1.0f; };
    CHECK_THROWS_WITH(tree.sum(TreeBlock{2, 4}, leaf, std::span<float>(out)),
                      Catch::Contains("block [2, +4) is not an aligned subtree"));
    const std::vector<TreeBlock> gap{{0, 4}};
    const auto one = [&](std::size_t) { return std::span<const float>(out); };
    CHECK_THROWS_WITH(tree.finish(std::span<const TreeBlock>(gap), one, std::span<float>(out)),
                      Catch::Contains("the 1 blocks hold 4 shards, expected 5"));
    CHECK_THROWS_WITH(jepasnn::ShardPlan(-1, 2), Catch::Contains("items/shards are -1/2"));
}

TEST_CASE("ShardPlan splits a batch into contiguous shards that differ by at most one") {
    rc::prop("shards tile [0, items) in order", [] {
        const auto items = *rc::gen::inRange<std::int64_t>(0, 1000);
        const auto shards = *rc::gen::inRange<std::int64_t>(1, 100);
        const jepasnn::ShardPlan plan(items, shards);
        std::int64_t next = 0;
        for (std::int64_t s = 0; s < shards; ++s) {
            RC_ASSERT(plan.first(s) == next);
            RC_ASSERT(plan.count(s) == items / shards || plan.count(s) == items / shards + 1);
            next += plan.count(s);
        }
        RC_ASSERT(next == items);
    });
}
