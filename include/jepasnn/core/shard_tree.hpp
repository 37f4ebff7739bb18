// The fixed summation order of data-parallel training (DESIGN.md, "Scale"). A global batch is
// split into S shards by global sample index; per-shard partial sums (gradients, SIGReg's Σcos and
// Σsin) are combined in one binary tree over the shard index that depends on S alone. Any
// contiguous run of shards is tiled by aligned subtrees ("blocks") whose sums do not depend on who
// computes them, so processes holding contiguous shard ranges that tile [0, S) each sum their own
// blocks and all finish the same tree: the total is bitwise the same for any number of processes,
// and equal to the one-process sum. (Floating-point addition is not associative, so a reduction
// whose order follows the process count would not be; MPI's own reductions give no order.)
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "error.hpp"

namespace jepasnn {

/// A global batch of `items` samples split into `shards` contiguous shards by sample index:
/// shard s holds samples [⌊s·items/S⌋, ⌊(s+1)·items/S⌋) (sizes differ by at most one), whoever
/// computes it.
struct ShardPlan {
    std::int64_t items = 0;
    std::int64_t shards = 1;

    ShardPlan(std::int64_t items_, std::int64_t shards_) : items(items_), shards(shards_) {
        require(items >= 0 && shards >= 1, "ShardPlan", "items/shards are ", items, "/", shards,
                ", expected >= 0/>= 1");
        require(items <= (std::int64_t{1} << 40) && shards <= (std::int64_t{1} << 20), "ShardPlan",
                "items/shards are ", items, "/", shards, ", expected <= 2^40/2^20");
    }
    std::int64_t first(std::int64_t shard) const { return shard * items / shards; }
    std::int64_t count(std::int64_t shard) const { return first(shard + 1) - first(shard); }
};

/// An aligned subtree of a ShardTree: the shards [first, first + width) ∩ [0, S), width a power of
/// two and first a multiple of it.
struct TreeBlock {
    std::int64_t first = 0;
    std::int64_t width = 1;
    bool operator==(const TreeBlock&) const = default;
};

/// The binary tree over shards 0..S−1 (S ≥ 1): the complete tree over [0, 2^⌈log₂S⌉) with the
/// leaves at and beyond S absent. A node's sum is its left child's sum plus its right child's,
/// element by element, or the left child's alone when the right holds no shard.
class ShardTree {
  public:
    explicit ShardTree(std::int64_t shards) : shards_(shards) {
        require(shards >= 1 && shards <= (std::int64_t{1} << 20), "ShardTree", "shards is ", shards,
                ", expected 1 .. 2^20");
        width_ = static_cast<std::int64_t>(std::bit_ceil(static_cast<std::uint64_t>(shards)));
    }
    std::int64_t shards() const { return shards_; }
    /// The root's width: the smallest power of two >= shards().
    std::int64_t width() const { return width_; }

    /// The contiguous shards [first, last) that process `rank` of `processes` computes; every
    /// process gets ⌊S/P⌋ or ⌈S/P⌉ of them. There must be no more processes than shards.
    std::pair<std::int64_t, std::int64_t> shards_of(std::int64_t rank,
                                                    std::int64_t processes) const {
        require(processes >= 1 && processes <= shards_ && rank >= 0 && rank < processes,
                "ShardTree::shards_of", "process ", rank, " of ", processes, " for ", shards_,
                " shards: expected 0 <= rank < processes <= shards");
        return {rank * shards_ / processes, (rank + 1) * shards_ / processes};
    }

    /// The fewest blocks that tile [begin, end) in order: maximal aligned subtrees, each holding
    /// shards of [begin, end) only (a block may reach past S, whose leaves are absent).
    std::vector<TreeBlock> blocks(std::int64_t begin, std::int64_t end) const {
        require(0 <= begin && begin <= end && end <= shards_, "ShardTree::blocks", "shards [",
                begin, ", ", end, ") outside [0, ", shards_, ")");
        std::vector<TreeBlock> out;
        for (std::int64_t x = begin; x < end;) {
            std::int64_t w = 1;
            // Grow while the doubled block stays aligned, inside the root and inside [begin, end)
            // once clipped to S.
            while (x % (2 * w) == 0 && 2 * w <= width_ && std::min(x + 2 * w, shards_) <= end)
                w *= 2;
            out.push_back({x, w});
            x = std::min(x + w, shards_);
        }
        return out;
    }

    /// The sum of block b's shards into `out` (n elements): leaf(s, span) writes shard s's values
    /// (it sets all n; it is called once per shard, in increasing s). `scratch` holds the partial
    /// sums of the depth-first walk (one vector per level), so memory is O(n · log width).
    template <class T, class Leaf>
    void sum(TreeBlock b, Leaf&& leaf, std::span<T> out,
             std::vector<std::vector<T>>& scratch) const {
        check_block(b, "ShardTree::sum");
        sum_node(b.first, b.width, leaf, out, scratch, 0);
    }
    template <class T, class Leaf>
    void sum(TreeBlock b, Leaf&& leaf, std::span<T> out) const {
        std::vector<std::vector<T>> scratch;
        sum(b, std::forward<Leaf>(leaf), out, scratch);
    }

    /// The sum of all S shards into `out` (n elements) from the sums of blocks that tile [0, S)
    /// (in any order: block_sum(i) gives blocks[i]'s n values, as sum() computes them).
    template <class T, class BlockSum>
    void finish(std::span<const TreeBlock> blocks, BlockSum&& block_sum, std::span<T> out) const {
        std::vector<std::vector<T>> scratch;
        finish(blocks, std::forward<BlockSum>(block_sum), out, scratch);
    }
    template <class T, class BlockSum>
    void finish(std::span<const TreeBlock> blocks, BlockSum&& block_sum, std::span<T> out,
                std::vector<std::vector<T>>& scratch) const {
        std::int64_t covered = 0;
        for (const TreeBlock& b : blocks) {
            check_block(b, "ShardTree::finish");
            covered += std::min(b.first + b.width, shards_) - b.first;
        }
        require(covered == shards_, "ShardTree::finish", "the ", blocks.size(), " blocks hold ",
                covered, " shards, expected ", shards_);
        finish_node(0, width_, blocks, block_sum, out, scratch, 0);
    }

  private:
    void check_block(TreeBlock b, const char* where) const {
        require(b.width >= 1 && std::has_single_bit(static_cast<std::uint64_t>(b.width)) &&
                    b.width <= width_ && b.first >= 0 && b.first < shards_ &&
                    b.first % b.width == 0,
                where, "block [", b.first, ", +", b.width, ") is not an aligned subtree of ",
                shards_, " shards");
    }

    template <class T>
    static std::span<T> level(std::vector<std::vector<T>>& scratch, std::size_t depth,
                              std::size_t n) {
        if (scratch.size() <= depth) scratch.resize(depth + 1);
        scratch[depth].resize(n);
        return scratch[depth];
    }

    /// Left child into out, right child (when it holds shards) into scratch, then out += right.
    template <class T, class Leaf>
    void sum_node(std::int64_t first, std::int64_t width, Leaf& leaf, std::span<T> out,
                  std::vector<std::vector<T>>& scratch, std::size_t depth) const {
        if (width == 1) {
            leaf(first, out);
            return;
        }
        const std::int64_t half = width / 2;
        sum_node(first, half, leaf, out, scratch, depth + 1);
        if (first + half >= shards_) return;
        const std::span<T> right = level(scratch, depth, out.size());
        sum_node(first + half, half, leaf, right, scratch, depth + 1);
        add(out, std::span<const T>(right));
    }

    template <class T, class BlockSum>
    void finish_node(std::int64_t first, std::int64_t width, std::span<const TreeBlock> blocks,
                     BlockSum& block_sum, std::span<T> out, std::vector<std::vector<T>>& scratch,
                     std::size_t depth) const {
        for (std::size_t i = 0; i < blocks.size(); ++i)
            if (blocks[i] == TreeBlock{first, width}) {
                const auto value = block_sum(i);
                require(value.size() == out.size(), "ShardTree::finish", "block ", i, " has ",
                        value.size(), " values, expected ", out.size());
                std::copy(value.begin(), value.end(), out.begin());
                return;
            }
        require(width > 1, "ShardTree::finish", "no block holds shard ", first);
        const std::int64_t half = width / 2;
        finish_node(first, half, blocks, block_sum, out, scratch, depth + 1);
        if (first + half >= shards_) return;
        const std::span<T> right = level(scratch, depth, out.size());
        finish_node(first + half, half, blocks, block_sum, right, scratch, depth + 1);
        add(out, std::span<const T>(right));
    }

    template <class T>
    static void add(std::span<T> into, std::span<const T> from) {
        for (std::size_t i = 0; i < into.size(); ++i)
            into[i] += from[i];
    }

    std::int64_t shards_;
    std::int64_t width_;
};

}  // namespace jepasnn
