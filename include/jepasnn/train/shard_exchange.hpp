// How the shards of a data-parallel training step meet (DESIGN.md, "Scale"). A step's global batch
// is split into S shards (ShardPlan, core/shard_tree.hpp); the processes sharing the step each
// compute their own contiguous shards, and exchange what the step needs: sums over shards in
// ShardTree's fixed order (gradients, loss parts, SIGReg's characteristic-function sums) and the
// concatenation of per-shard values (the batch's brain states; the latents a regulariser without
// a data-parallel form sees). LocalShards is one process holding every shard;
// dist::MpiShards (dist/mpi_shards.hpp) is the same over MPI ranks, with bitwise equal results.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <utility>

#include "../core/shard_tree.hpp"

namespace jepasnn::train {

/// leaf(s, values): sets shard s's values.
template <class T>
using ShardLeaf = std::function<void(std::int64_t, std::span<T>)>;

class ShardExchange {
  public:
    virtual ~ShardExchange() = default;

    virtual int processes() const = 0;
    virtual int rank() const = 0;
    /// The contiguous shards [first, last) of `tree` that this process computes.
    std::pair<std::int64_t, std::int64_t> own(const ShardTree& tree) const {
        return tree.shards_of(rank(), processes());
    }

    /// Runs `work` (local work, nothing collective inside); when it throws in any process, every
    /// process throws (the lowest failing rank's message).
    virtual void agree(const std::function<void()>& work) const = 0;
    /// out = the sum over all of tree's shards of leaf(s, ·), in ShardTree's order; leaf is called
    /// for this process's own shards only (inside agree()).
    virtual void sum(const ShardTree& tree, const ShardLeaf<float>& leaf,
                     std::span<float> out) const = 0;
    virtual void sum(const ShardTree& tree, const ShardLeaf<double>& leaf,
                     std::span<double> out) const = 0;
    /// all = every process's `own` values, in rank order (all.size() is their total).
    virtual void gather(std::span<const float> own, std::span<float> all) const = 0;
    virtual void gather(std::span<const double> own, std::span<double> all) const = 0;
};

/// One process holding every shard.
class LocalShards final : public ShardExchange {
  public:
    int processes() const override { return 1; }
    int rank() const override { return 0; }
    void agree(const std::function<void()>& work) const override { work(); }
    void sum(const ShardTree& tree, const ShardLeaf<float>& leaf,
             std::span<float> out) const override {
        tree.sum(TreeBlock{0, tree.width()}, leaf, out);
    }
    void sum(const ShardTree& tree, const ShardLeaf<double>& leaf,
             std::span<double> out) const override {
        tree.sum(TreeBlock{0, tree.width()}, leaf, out);
    }
    void gather(std::span<const float> own, std::span<float> all) const override { copy(own, all); }
    void gather(std::span<const double> own, std::span<double> all) const override {
        copy(own, all);
    }

  private:
    template <class T>
    static void copy(std::span<const T> own, std::span<T> all) {
        require(own.size() == all.size(), "train::LocalShards::gather", "own values are ",
                own.size(), ", all ", all.size());
        std::copy(own.begin(), own.end(), all.begin());
    }
};

}  // namespace jepasnn::train
