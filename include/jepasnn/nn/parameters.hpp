// Parameters of a model in one contiguous buffer, with a second buffer of the same layout for
// their gradients (llm.c style): layers declare named (rows × cols) blocks in a ParameterLayout,
// the model allocates Parameters<T> once, and every layer reads typed Eigen views of its blocks.
// Gradients are zeroed once per step and accumulated with +=, so a block used twice sums.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/rng.hpp"
#include "../core/streams.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::nn {

/// How a block is initialised by Parameters::initialize.
enum class Init {
    zeros,
    ones,
    uniform,  // U(−scale, scale): PyTorch's default for Linear, Conv1d and GRU with scale =
              // 1/√fan_in
    normal    // N(0, scale²)
};

/// One named (rows × cols) row-major block inside the flat buffer. Layers keep copies of their
/// blocks (a handle: offset and shape), never pointers, so models stay copyable.
struct ParameterBlock {
    std::string name;
    Index rows = 0;
    Index cols = 0;
    std::size_t offset = 0;
    bool decay = true;  // AdamW weight decay applies (weights); false for biases and norm gains
    Init init = Init::zeros;
    double scale = 0.0;

    std::size_t size() const { return static_cast<std::size_t>(rows * cols); }
};

/// The list of blocks, in declaration order, packed back to back.
class ParameterLayout {
  public:
    /// Declares a block and returns its handle. Names must be unique.
    ParameterBlock add(std::string name, Index rows, Index cols, bool decay, Init init,
                       double scale = 0.0) {
        require(rows >= 0 && cols >= 0, "ParameterLayout::add", "block '", name, "' has shape ",
                rows, "x", cols, ", expected non-negative dimensions");
        for (const auto& b : blocks_)
            require(b.name != name, "ParameterLayout::add", "block '", name, "' declared twice");
        ParameterBlock b{std::move(name), rows, cols, size_, decay, init, scale};
        size_ += b.size();
        blocks_.push_back(b);
        return b;
    }

    const std::vector<ParameterBlock>& blocks() const { return blocks_; }
    std::size_t size() const { return size_; }

    const ParameterBlock& find(std::string_view name) const {
        for (const auto& b : blocks_)
            if (b.name == name) return b;
        fail("ParameterLayout::find", "no block named '", name, "'");
    }
    bool contains(std::string_view name) const {
        return std::any_of(blocks_.begin(), blocks_.end(),
                           [&](const ParameterBlock& b) { return b.name == name; });
    }

    /// One byte per element: 1 where AdamW's weight decay applies (the per-group mask the
    /// optimizer takes).
    std::vector<std::uint8_t> decay_mask() const {
        std::vector<std::uint8_t> mask(size_, 0);
        for (const auto& b : blocks_)
            std::fill_n(mask.begin() + static_cast<std::ptrdiff_t>(b.offset), b.size(),
                        std::uint8_t{b.decay});
        return mask;
    }

    /// Names and shapes, for checkpoints (a checkpoint is only loaded into the same layout).
    Json to_json() const {
        Json out = Json::array();
        for (const auto& b : blocks_)
            out.push_back({{"name", b.name}, {"rows", b.rows}, {"cols", b.cols}});
        return out;
    }

  private:
    std::vector<ParameterBlock> blocks_;
    std::size_t size_ = 0;
};

/// A view of a block: row-major (the nn layers, whose rows are output features) unless the view
/// type says otherwise (the LIF network reads its [post][pre] weights column-major, so a
/// presynaptic neuron's outgoing weights are contiguous). The storage order is the view's alone.
template <class T, class View = RowMatrix<T>>
using BlockMap = Eigen::Map<View>;
template <class T, class View = RowMatrix<T>>
using ConstBlockMap = Eigen::Map<const View>;

/// Parameter values and gradients of one layout: two contiguous aligned buffers with typed views.
template <class T>
class Parameters {
  public:
    Parameters() = default;
    explicit Parameters(ParameterLayout layout)
        : layout_(std::move(layout)),
          value_(layout_.size(), T(0)),
          gradient_(layout_.size(), T(0)) {}

    const ParameterLayout& layout() const { return layout_; }
    std::size_t size() const { return value_.size(); }

    template <class View = RowMatrix<T>>
    BlockMap<T, View> value(const ParameterBlock& b) {
        return {value_.data() + b.offset, b.rows, b.cols};
    }
    template <class View = RowMatrix<T>>
    ConstBlockMap<T, View> value(const ParameterBlock& b) const {
        return {value_.data() + b.offset, b.rows, b.cols};
    }
    template <class View = RowMatrix<T>>
    BlockMap<T, View> gradient(const ParameterBlock& b) {
        return {gradient_.data() + b.offset, b.rows, b.cols};
    }
    template <class View = RowMatrix<T>>
    ConstBlockMap<T, View> gradient(const ParameterBlock& b) const {
        return {gradient_.data() + b.offset, b.rows, b.cols};
    }

    /// Every parameter, flat: what an optimizer updates.
    std::span<T> values() { return value_; }
    std::span<const T> values() const { return value_; }
    /// Every gradient, flat, same layout; backward passes add (+=) into it.
    std::span<T> gradients() { return gradient_; }
    std::span<const T> gradients() const { return gradient_; }
    void zero_gradients() { std::fill(gradient_.begin(), gradient_.end(), T(0)); }

    /// Fills every block by its Init rule. Block i draws element j from
    /// uniform_at/normal_at(seed, stream_id(tag, i), j): a pure function of (seed, layout).
    void initialize(std::uint64_t seed, std::uint32_t tag = streams::nn_init) {
        const auto& blocks = layout_.blocks();
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const ParameterBlock& b = blocks[i];
            const std::uint64_t stream = stream_id(tag, static_cast<std::uint32_t>(i));
            T* v = value_.data() + b.offset;
            for (std::size_t j = 0; j < b.size(); ++j) {
                switch (b.init) {
                    case Init::zeros:
                        v[j] = T(0);
                        break;
                    case Init::ones:
                        v[j] = T(1);
                        break;
                    case Init::uniform:
                        v[j] = static_cast<T>(b.scale * (2.0 * uniform_at(seed, stream, j) - 1.0));
                        break;
                    case Init::normal:
                        v[j] = static_cast<T>(b.scale * normal_at(seed, stream, j));
                        break;
                }
            }
        }
    }

  private:
    // Aligned: every block sits at a fixed offset from an aligned base (see AlignedVector).
    ParameterLayout layout_;
    AlignedVector<T> value_;     // (size)
    AlignedVector<T> gradient_;  // (size), same layout
};

}  // namespace jepasnn::nn
