// Trainable parameters in one contiguous buffer, with a gradient buffer of the same layout and
// named, typed views (llm.c style): an optimizer sees two flat spans, the model sees matrices.
// Matrices are column-major, so a weight matrix stored [post][pre] keeps each presynaptic
// neuron's outgoing weights contiguous (sparse spike propagation, Dale projection per column).
#pragma once

#include "../core/eigen.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::lif {

template <class T>
class ParameterSet {
  public:
    /// A named (rows × cols) block at `offset` in the buffers.
    struct Block {
        std::string name;
        std::size_t offset = 0;
        Index rows = 0;
        Index cols = 0;
        std::size_t size() const { return static_cast<std::size_t>(rows * cols); }
    };

    /// Appends a zero-initialised block and returns its index. Views taken before are invalid
    /// afterwards (the buffers grow).
    std::size_t add(std::string name, Index rows, Index cols = 1) {
        require(rows >= 0 && cols >= 0, "ParameterSet::add", "block '", name, "' has shape ", rows,
                "x", cols);
        require(!find(name).has_value(), "ParameterSet::add", "block '", name, "' already exists");
        blocks_.push_back({std::move(name), values_.size(), rows, cols});
        values_.resize(values_.size() + blocks_.back().size(), T(0));
        gradients_.resize(values_.size(), T(0));
        return blocks_.size() - 1;
    }

    /// The index of the block called `name`, if any.
    std::optional<std::size_t> find(std::string_view name) const {
        for (std::size_t i = 0; i < blocks_.size(); ++i)
            if (blocks_[i].name == name) return i;
        return std::nullopt;
    }

    const std::vector<Block>& blocks() const { return blocks_; }
    const Block& block(std::size_t i) const { return blocks_.at(i); }
    std::size_t size() const { return values_.size(); }

    /// Every parameter, flat: what an optimizer updates.
    std::span<T> values() { return values_; }
    std::span<const T> values() const { return values_; }
    /// Every gradient, flat, same layout; backward passes add (+=) into it.
    std::span<T> gradients() { return gradients_; }
    std::span<const T> gradients() const { return gradients_; }
    void zero_gradients() { std::fill(gradients_.begin(), gradients_.end(), T(0)); }

    Eigen::Map<Matrix<T>> value(std::size_t i) {
        const Block& b = block(i);
        return {values_.data() + b.offset, b.rows, b.cols};
    }
    Eigen::Map<const Matrix<T>> value(std::size_t i) const {
        const Block& b = block(i);
        return {values_.data() + b.offset, b.rows, b.cols};
    }
    Eigen::Map<Matrix<T>> gradient(std::size_t i) {
        const Block& b = block(i);
        return {gradients_.data() + b.offset, b.rows, b.cols};
    }
    Eigen::Map<const Matrix<T>> gradient(std::size_t i) const {
        const Block& b = block(i);
        return {gradients_.data() + b.offset, b.rows, b.cols};
    }

  private:
    std::vector<Block> blocks_;
    AlignedVector<T> values_;     // every block, concatenated (aligned: see AlignedVector)
    AlignedVector<T> gradients_;  // same layout as values_
};

}  // namespace jepasnn::lif
