#include <catch2/catch.hpp>
#include <jepasnn/core/rng.hpp>
#include <jepasnn/dist/dist.hpp>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

using jepasnn::ShardTree;
using jepasnn::dist::Communicator;

/// Shard s's values, the same on every rank: random signs and magnitudes over 2^-20 .. 2^20, so a
/// different summation order changes the sum.
template <class T>
void shard_values(std::int64_t s, std::span<T> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto b = jepasnn::philox_block(20261207, static_cast<std::uint64_t>(s), i);
        const double u = jepasnn::uniform_from_bits(b.word[0], b.word[1]);
        const int exponent = static_cast<int>(b.word[2] % 41) - 20;
        out[i] = static_cast<T>(std::ldexp((b.word[3] & 1U) ? u : -u, exponent));
    }
}

/// True on every rank when `ok` is true on every rank: a test's verdict agreed before REQUIRE, so
/// that no rank leaves a test case while the others go on to its collectives.
bool on_all_ranks(const Communicator& comm, bool ok) {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm.get());
    return all == 1;
}

template <class T>
bool sums_like_one_process(const Communicator& world, std::int64_t shards, std::size_t n) {
    const ShardTree tree(shards);
    const auto leaf = [](std::int64_t s, std::span<T> v) { shard_values<T>(s, v); };
    std::vector<T> together(n), alone(n);
    jepasnn::dist::tree_allreduce(world, tree, leaf, std::span<T>(together));
    tree.sum(jepasnn::TreeBlock{0, tree.width()}, leaf, std::span<T>(alone));
    return std::memcmp(together.data(), alone.data(), n * sizeof(T)) == 0;
}

}  // namespace

TEST_CASE("tree_allreduce is bitwise the one-process tree sum for any number of ranks") {
    const auto world = Communicator::world();
    bool ok = true;
    for (std::int64_t shards : {1, 2, 3, 4, 5, 7, 8, 13, 64}) {
        if (shards < world.size()) continue;
        for (std::size_t n : {0, 1, 2, 3, 33, 1000}) {
            ok = ok && sums_like_one_process<float>(world, shards, n);
            ok = ok && sums_like_one_process<double>(world, shards, n);
        }
    }
    REQUIRE(on_all_ranks(world, ok));
}

TEST_CASE("tree_allreduce moves about 2n values per rank when every rank holds one shard") {
    const auto world = Communicator::world();
    const std::int64_t n = 1000, p = world.size();
    // S = P: P blocks, each rank receives its slice of every block, then the other slices.
    const auto values = jepasnn::dist::tree_allreduce_values(ShardTree(p), p, world.rank(), n);
    const std::int64_t slice = (world.rank() + 1) * n / p - world.rank() * n / p;
    REQUIRE(values == p * slice + (n - slice));
    REQUIRE(values <= 2 * n);
    // S = 64 over P ranks: at most 2·log₂64 = 12 blocks per rank.
    REQUIRE(jepasnn::dist::tree_allreduce_values(ShardTree(64), p, world.rank(), n) <=
            12 * p * slice + n);
}

TEST_CASE("an error in one rank's shard is thrown on every rank and MPI goes on") {
    const auto world = Communicator::world();
    const ShardTree tree(8);
    const std::int64_t bad = 7;  // on the last rank
    const auto last = world.size() - 1;
    std::vector<float> out(16);
    std::string seen;
    try {
        jepasnn::dist::tree_allreduce(
            world, tree,
            [&](std::int64_t s, std::span<float> v) {
                if (s == bad) jepasnn::fail("shard", "window ", s, " holds NaN");
                shard_values<float>(s, v);
            },
            std::span<float>(out));
    } catch (const jepasnn::dist::CollectiveError& e) {
        seen = e.what();
    }
    const std::string expected = "rank " + std::to_string(last) + ": shard: window 7 holds NaN";
    const bool agreed = on_all_ranks(world, seen == expected);
    INFO("seen '" << seen << "', expected '" << expected << "'");
    REQUIRE(agreed);
    // The lowest failing rank speaks when several fail.
    seen.clear();
    try {
        jepasnn::dist::agree(world, [&] {
            if (world.rank() >= 1 || world.size() == 1)
                jepasnn::fail("read", "rank ", world.rank(), " failed");
        });
    } catch (const jepasnn::dist::CollectiveError& e) {
        seen = e.what();
    }
    const int lowest = world.size() == 1 ? 0 : 1;
    REQUIRE(on_all_ranks(world, seen == "rank " + std::to_string(lowest) + ": read: rank " +
                                            std::to_string(lowest) + " failed"));
    // The communicator still works afterwards.
    REQUIRE(on_all_ranks(world, sums_like_one_process<float>(world, 8, 5)));
}

TEST_CASE("more ranks than shards is refused the same way on every rank") {
    const auto world = Communicator::world();
    const ShardTree tree(1);
    std::vector<float> out(1);
    std::string seen;
    try {
        jepasnn::dist::tree_allreduce(
            world, tree, [](std::int64_t, std::span<float> v) { v[0] = 1; }, std::span<float>(out));
    } catch (const jepasnn::Error& e) {
        seen = e.what();
    }
    const bool refused = world.size() > 1 ? seen.find("expected 0 <= rank < processes <= shards") !=
                                                std::string::npos
                                          : seen.empty() && out[0] == 1.0f;
    REQUIRE(on_all_ranks(world, refused));
}
