// The sum over a global batch's shards across MPI ranks in ShardTree's fixed order
// (core/shard_tree.hpp). Each rank sums the aligned subtrees ("blocks") that tile its own
// contiguous shards. The tree acts element by element, so the elements are split among the ranks:
// one MPI_Alltoallv gives rank r slice r of every block, rank r finishes the tree on that slice,
// and one MPI_Allgatherv assembles the slices. The result is bitwise the same for any number of
// ranks and equals ShardTree's one-process sum; a rank receives about n·(1 + blocks/P) values
// (blocks ≈ P when S = P), against MPI_Allreduce's ~2n with an order that depends on P.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
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

/// Elements [first, last) of n that rank r of `processes` finishes.
inline std::pair<std::size_t, std::size_t> element_slice(std::size_t n, std::size_t r,
                                                         std::size_t processes) {
    return {r * n / processes, (r + 1) * n / processes};
}

/// Values of type T that rank `rank` receives in tree_allreduce of n values over `processes`.
inline std::int64_t tree_allreduce_values(const ShardTree& tree, std::int64_t processes,
                                          std::int64_t rank, std::int64_t n) {
    std::int64_t blocks = 0;
    for (const auto& b : blocks_by_rank(tree, processes))
        blocks += std::ssize(b);
    const auto [first, last] =
        element_slice(static_cast<std::size_t>(n), static_cast<std::size_t>(rank),
                      static_cast<std::size_t>(processes));
    const auto mine = static_cast<std::int64_t>(last - first);
    return blocks * mine + (n - mine);
}

/// The buffers of tree_allreduce, kept between calls so that a training loop does not allocate
/// (and page-fault) them every step.
template <class T>
struct TreeWorkspace {
    std::vector<T> local, send, received;  // (my blocks, n), the same by slice, (blocks, n/P)
    std::vector<std::vector<T>> scratch;   // partial sums of the tree walks
};

/// out (n values) = the sum over all shards s of leaf(s, values), in ShardTree's order, with each
/// rank of `comm` calling leaf for its own shards only (tree.shards_of(rank, size)); leaf sets all
/// n values. A collective. An error in any rank's leaf is thrown on every rank (agree()).
template <class T, class Leaf>
void tree_allreduce(const Communicator& comm, const ShardTree& tree, Leaf&& leaf,
                    std::span<T> out) {
    TreeWorkspace<T> work;
    tree_allreduce(comm, tree, std::forward<Leaf>(leaf), out, work);
}
template <class T, class Leaf>
void tree_allreduce(const Communicator& comm, const ShardTree& tree, Leaf&& leaf, std::span<T> out,
                    TreeWorkspace<T>& work) {
    // Every rank knows every rank's blocks: they follow from (S, P) alone, so only values travel.
    const auto p = static_cast<std::size_t>(comm.size());
    const auto me = static_cast<std::size_t>(comm.rank());
    const auto by_rank = blocks_by_rank(tree, comm.size());
    std::vector<TreeBlock> all;  // every rank's blocks, rank by rank
    for (const auto& blocks : by_rank)
        all.insert(all.end(), blocks.begin(), blocks.end());
    const std::size_t n = out.size(), mine = by_rank[me].size();

    std::vector<T>& local = work.local;
    local.resize(mine * n);
    agree(comm, [&] {
        for (std::size_t i = 0; i < mine; ++i)
            tree.sum(by_rank[me][i], leaf, std::span<T>(local).subspan(i * n, n), work.scratch);
    });

    // Rank r gets elements slice r of each of my blocks; I get my slice of everyone's blocks, in
    // the order of `all`.
    const auto [first, last] = element_slice(n, me, p);
    const std::size_t width = last - first;
    std::vector<T>&send = work.send, &received = work.received;
    send.resize(mine * n);
    received.resize(all.size() * width);
    std::vector<int> send_counts(p), send_offsets(p), receive_counts(p), receive_offsets(p);
    std::size_t sent = 0, taken = 0;
    for (std::size_t r = 0; r < p; ++r) {
        const auto [a, b] = element_slice(n, r, p);
        send_offsets[r] = mpi_count(sent, "a send buffer");
        for (std::size_t i = 0; i < mine; ++i) {
            std::copy(local.begin() + static_cast<std::ptrdiff_t>(i * n + a),
                      local.begin() + static_cast<std::ptrdiff_t>(i * n + b),
                      send.begin() + static_cast<std::ptrdiff_t>(sent));
            sent += b - a;
        }
        send_counts[r] = mpi_count(sent, "a send buffer") - send_offsets[r];
        receive_offsets[r] = mpi_count(taken, "a receive buffer");
        taken += by_rank[r].size() * width;
        receive_counts[r] = mpi_count(taken, "a receive buffer") - receive_offsets[r];
    }
    check_mpi(MPI_Alltoallv(send.data(), send_counts.data(), send_offsets.data(), mpi_type<T>(),
                            received.data(), receive_counts.data(), receive_offsets.data(),
                            mpi_type<T>(), comm.get()),
              "MPI_Alltoallv");

    tree.finish(
        std::span<const TreeBlock>(all),
        [&](std::size_t i) { return std::span<const T>(received).subspan(i * width, width); },
        out.subspan(first, width), work.scratch);

    std::vector<int> counts(p), offsets(p);
    for (std::size_t r = 0; r < p; ++r) {
        const auto [a, b] = element_slice(n, r, p);
        offsets[r] = mpi_count(a, "a result");
        counts[r] = mpi_count(b - a, "a result");
    }
    check_mpi(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out.data(), counts.data(),
                             offsets.data(), mpi_type<T>(), comm.get()),
              "MPI_Allgatherv");
}

}  // namespace jepasnn::dist
