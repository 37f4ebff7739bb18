// train::ShardExchange over the ranks of an MPI communicator: rank r computes ShardTree's shards
// shards_of(r, P), sums go through tree_allreduce (ShardTree's order, so results are bitwise those
// of train::LocalShards for any P), concatenations through MPI_Allgatherv, and an error in one
// rank's local work is raised on every rank (agree()).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "../train/shard_exchange.hpp"
#include "collective_error.hpp"
#include "mpi.hpp"
#include "tree_allreduce.hpp"

namespace jepasnn::dist {

class MpiShards final : public train::ShardExchange {
  public:
    explicit MpiShards(Communicator comm) : comm_(comm) {}

    int processes() const override { return comm_.size(); }
    int rank() const override { return comm_.rank(); }
    const Communicator& communicator() const { return comm_; }

    void agree(const std::function<void()>& work) const override { dist::agree(comm_, work); }
    void sum(const ShardTree& tree, const train::ShardLeaf<float>& leaf,
             std::span<float> out) const override {
        tree_allreduce(comm_, tree, leaf, out, float_work_);
    }
    void sum(const ShardTree& tree, const train::ShardLeaf<double>& leaf,
             std::span<double> out) const override {
        tree_allreduce(comm_, tree, leaf, out, double_work_);
    }
    void gather(std::span<const float> own, std::span<float> all) const override {
        gather_values(own, all);
    }
    void gather(std::span<const double> own, std::span<double> all) const override {
        gather_values(own, all);
    }

  private:
    template <class T>
    void gather_values(std::span<const T> own, std::span<T> all) const {
        const auto p = static_cast<std::size_t>(comm_.size());
        const int mine = mpi_count(own.size(), "a gather");
        std::vector<int> counts(p), offsets(p);
        check_mpi(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_.get()),
                  "MPI_Allgather");
        std::size_t total = 0;
        for (std::size_t r = 0; r < p; ++r) {
            offsets[r] = mpi_count(total, "a gather");
            total += static_cast<std::size_t>(counts[r]);
        }
        require(total == all.size(), "dist::MpiShards::gather", "the ranks hold ", total,
                " values, expected ", all.size());
        check_mpi(MPI_Allgatherv(own.data(), mine, mpi_type<T>(), all.data(), counts.data(),
                                 offsets.data(), mpi_type<T>(), comm_.get()),
                  "MPI_Allgatherv");
    }

    Communicator comm_;
    mutable TreeWorkspace<float> float_work_;  // kept from step to step
    mutable TreeWorkspace<double> double_work_;
};

}  // namespace jepasnn::dist
