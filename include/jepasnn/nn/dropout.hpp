// Inverted dropout (Srivastava et al. 2014) with a counter-based mask: element i of the call for
// `step` is kept iff word i of Philox(seed, stream_id(tag, step)) ≥ p·2³², so the mask is a pure
// function of (seed, tag, step, i) — the same on any thread count, after a resume, and on a GPU.
// A step whose batch is split into shards gives each shard its own `part` of the counter space
// (counters part·2⁴⁰ + i/4), so no two shards share a mask.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "../core/rng.hpp"
#include "common.hpp"

namespace jepasnn::nn {

template <class T>
class Dropout {
  public:
    Dropout() = default;
    /// Drops with probability p ∈ [0, 1); `tag` names this layer's random stream.
    Dropout(double p, std::uint32_t tag) : p_(p), tag_(tag) {
        require(p >= 0.0 && p < 1.0, "nn::Dropout", "probability is ", p, ", expected [0, 1)");
        threshold_ = static_cast<std::uint64_t>(std::llround(p * 4294967296.0));
    }

    double probability() const { return p_; }

    /// out = in ⊙ mask / (1 − p) when training and p > 0; otherwise out = in. `part`: the shard
    /// of the step's batch (0 when it is not split).
    void forward(RowMatrix<T>& out, ConstMatRef<T> in, std::uint64_t seed, std::uint64_t step,
                 bool training, std::uint64_t part = 0) {
        active_ = training && p_ > 0.0;
        out = in;
        if (!active_) return;
        const Index n = in.size();
        require(n / 4 < (Index{1} << 40) && part < (std::uint64_t{1} << 24), "nn::Dropout",
                "input of ", n, " elements in part ", part, ", expected < 2^42 and < 2^24");
        const std::uint64_t first = part << 40;
        keep_.resize(static_cast<std::size_t>(n));  // (R·C) 1 = kept
        const T scale = static_cast<T>(1.0 / (1.0 - p_));
        const std::uint64_t stream = stream_id(tag_, static_cast<std::uint32_t>(step));
        const Index blocks = (n + 3) / 4;
        detail::for_row_chunks(blocks, 4, [&](Index b0, Index b1) {
            for (Index b = b0; b < b1; ++b) {
                // Each Philox block gives the decisions for four consecutive elements.
                const PhiloxBlock words =
                    philox_block(seed, stream, first + static_cast<std::uint64_t>(b));
                for (Index k = 0; k < 4 && 4 * b + k < n; ++k) {
                    const Index i = 4 * b + k;
                    const bool keep = words.word[k] >= threshold_;
                    keep_[static_cast<std::size_t>(i)] = keep;
                    out.data()[i] = keep ? out.data()[i] * scale : T(0);
                }
            }
        });
    }

    /// din += dout ⊙ mask / (1 − p) (or dout when the last forward was not dropping).
    void backward(MatRef<T> din, ConstMatRef<T> dout) const {
        if (!active_) {
            din += dout;
            return;
        }
        const T scale = static_cast<T>(1.0 / (1.0 - p_));
        const Index cols = dout.cols();
        for (Index r = 0; r < dout.rows(); ++r)
            for (Index c = 0; c < cols; ++c)
                if (keep_[static_cast<std::size_t>(r * cols + c)]) din(r, c) += dout(r, c) * scale;
    }

  private:
    double p_ = 0.0;
    std::uint32_t tag_ = 0;
    std::uint64_t threshold_ = 0;
    bool active_ = false;
    std::vector<std::uint8_t> keep_;  // (R·C) mask of the last forward
};

}  // namespace jepasnn::nn
