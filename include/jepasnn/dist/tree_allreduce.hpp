// The sum over a global batch's shards across MPI ranks in ShardTree's fixed order
// (core/shard_tree.hpp): each rank sums the aligned subtrees ("blocks") that tile its own
// contiguous shards, one MPI_Allgatherv gives every rank every block, and each finishes the same
// tree. The result is bitwise the same for any number of ranks and equals ShardTree's one-process
// sum, at the price of sending whole blocks (a rank receives every block: about
// n·(P + log₂ S) values) where MPI_Allreduce moves ~2n with an order that depends on P.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../core/shard_tree.hpp"
#include "collective_error.hpp"
#include "mpi.hpp"

namespace jepasnn::dist {

/// The blocks every rank of `processes` computes, rank by rank (rank r's blocks tile its shards).
inline std::vector<std::vector<TreeBlock>> blocks_by_rank(const ShardTree& tree,
                                                          std::int64_t processes) {
    std::vector<std::vector<TreeBlock>> out;
    for (std::int64_t r = 0; r < processes; ++r) {
        const auto [first, last] = tree.shards_of(r, processes);
        out.push_back(tree.blocks(first, last));
    }
    return out;
}

/// Values of type T each rank receives in tree_allreduce of n values over `processes` ranks.
inline std::int64_t tree_allreduce_values(const ShardTree& tree, std::int64_t processes,
                                          std::int64_t n) {
    std::int64_t blocks = 0;
    for (const auto& b : blocks_by_rank(tree, processes))
        blocks += std::ssize(b);
    return blocks * n;
}

/// out (n values) = the sum over all shards s of leaf(s, values), in ShardTree's order, with each
/// rank of `comm` calling leaf for its own shards only (tree.shards_of(rank, size)); leaf sets all
/// n values. A collective. An error in any rank's leaf is thrown on every rank (agree()).
template <class T, class Leaf>
void tree_allreduce(const Communicator& comm, const ShardTree& tree, Leaf&& leaf,
                    std::span<T> out) {
    // Every rank knows every rank's blocks: they follow from (S, P) alone, so only values travel.
    const auto by_rank = blocks_by_rank(tree, comm.size());
    std::vector<TreeBlock> all;
    std::vector<int> counts, offsets;
    for (const auto& blocks : by_rank) {
        offsets.push_back(static_cast<int>(all.size()));
        counts.push_back(static_cast<int>(blocks.size()));
        all.insert(all.end(), blocks.begin(), blocks.end());
    }
    const std::size_t n = out.size();
    std::vector<T> values(all.size() * n);  // (blocks, n), rank by rank
    const auto block_values = [&](std::size_t i) { return std::span<T>(values).subspan(i * n, n); };

    const auto me = static_cast<std::size_t>(comm.rank());
    agree(comm, [&] {
        std::vector<std::vector<T>> scratch;
        for (std::size_t i = 0; i < by_rank[me].size(); ++i)
            tree.sum(by_rank[me][i], leaf, block_values(offsets[me] + i), scratch);
    });

    MPI_Datatype block_type = MPI_DATATYPE_NULL;
    check_mpi(MPI_Type_contiguous(mpi_count(n, "a block"), mpi_type<T>(), &block_type),
              "MPI_Type_contiguous");
    check_mpi(MPI_Type_commit(&block_type), "MPI_Type_commit");
    const int code = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values.data(),
                                    counts.data(), offsets.data(), block_type, comm.get());
    MPI_Type_free(&block_type);
    check_mpi(code, "MPI_Allgatherv");

    tree.finish(
        std::span<const TreeBlock>(all),
        [&](std::size_t i) { return std::span<const T>(block_values(i)); }, out);
}

}  // namespace jepasnn::dist
