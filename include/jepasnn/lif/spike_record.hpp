// Spike records of a batch of sequences, (batch × steps × neurons). Binary spikes are packed one
// bit per neuron-step (at 5–20 Hz and 1 ms steps, 1–2% of bits are set): 32× smaller than float
// storage, and iterating the set bits of a row is how recurrent input is propagated sparsely.
// Graded spikes (non-binary test surrogates) are kept as values behind the same interface.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../core/config.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::lif {

/// One bit per (sequence, step, neuron); each (sequence, step) row starts on a 64-bit word.
class SpikeBits {
  public:
    using Word = std::uint64_t;

    /// Resizes to (batch × steps × neurons) and clears every bit.
    void reset(Index batch, Index steps, Index neurons) {
        batch_ = batch;
        steps_ = steps;
        neurons_ = neurons;
        words_per_row_ = (neurons + 63) / 64;
        words_.assign(static_cast<std::size_t>(batch * steps * words_per_row_), Word{0});
    }

    Index batch() const { return batch_; }
    Index steps() const { return steps_; }
    Index neurons() const { return neurons_; }
    std::size_t bytes() const { return words_.size() * sizeof(Word); }

    bool test(Index b, Index t, Index n) const {
        JEPASNN_DEBUG_ASSERT(in_range(b, t, n), "SpikeBits::test out of range");
        return (row(b, t)[n / 64] >> (n % 64)) & Word{1};
    }
    /// The spike as a number (0 or 1).
    template <class T>
    T value(Index b, Index t, Index n) const {
        return test(b, t, n) ? T(1) : T(0);
    }

    /// Stores row (b, t) from values that are exactly 0 or 1.
    template <class T>
    void store(Index b, Index t, const T* spikes) {
        Word* words = row(b, t);
        for (Index w = 0; w < words_per_row_; ++w) {
            const Index begin = w * 64;
            const Index end = begin + 64 < neurons_ ? begin + 64 : neurons_;
            Word bits = 0;
            for (Index n = begin; n < end; ++n)
                bits |= static_cast<Word>(spikes[n] != T(0)) << (n - begin);
            words[w] = bits;
        }
    }

    /// Row (b, t) as N values 0 or 1 in `out`.
    template <class T>
    void unpack(Index b, Index t, T* out) const {
        const Word* words = row(b, t);
        for (Index w = 0; w < words_per_row_; ++w) {  // one word at a time: the loop vectorises
            const Word bits = words[w];
            const Index begin = w * 64, count = std::min<Index>(64, neurons_ - begin);
            for (Index k = 0; k < count; ++k)
                out[begin + k] = static_cast<T>((bits >> k) & Word{1});
        }
    }

    /// Calls f(neuron, value) for every spike in row (b, t), in increasing neuron order.
    template <class F>
    void for_each_active(Index b, Index t, F&& f) const {
        for_each_active(b, t, 0, neurons_, f);
    }
    /// The same for the neurons in [begin, end) only.
    template <class F>
    void for_each_active(Index b, Index t, Index begin, Index end, F&& f) const {
        const Word* words = row(b, t);
        for (Index w = begin / 64; w * 64 < end; ++w) {
            Word bits = words[w];
            if (w * 64 < begin) bits &= ~Word{0} << (begin - w * 64);
            if (end - w * 64 < 64) bits &= (Word{1} << (end - w * 64)) - 1;
            while (bits != 0) {
                const Index n = w * 64 + std::countr_zero(bits);
                f(n, 1);
                bits &= bits - 1;
            }
        }
    }

    /// Spikes in row (b, t).
    Index count(Index b, Index t) const {
        const Word* words = row(b, t);
        Index total = 0;
        for (Index w = 0; w < words_per_row_; ++w)
            total += std::popcount(words[w]);
        return total;
    }

    /// All spikes in the record.
    Index count() const {
        Index total = 0;
        for (Word w : words_)
            total += std::popcount(w);
        return total;
    }

  private:
    bool in_range(Index b, Index t, Index n) const {
        return b >= 0 && b < batch_ && t >= 0 && t < steps_ && n >= 0 && n < neurons_;
    }
    Word* row(Index b, Index t) { return words_.data() + (b * steps_ + t) * words_per_row_; }
    const Word* row(Index b, Index t) const {
        return words_.data() + (b * steps_ + t) * words_per_row_;
    }

    Index batch_ = 0, steps_ = 0, neurons_ = 0, words_per_row_ = 0;
    std::vector<Word> words_;  // (batch, steps, words_per_row)
};

/// Graded spikes stored as values, with SpikeBits' interface (non-zero entries are "active").
template <class T>
class SpikeValues {
  public:
    void reset(Index batch, Index steps, Index neurons) {
        batch_ = batch;
        steps_ = steps;
        neurons_ = neurons;
        values_.assign(static_cast<std::size_t>(batch * steps * neurons), T(0));
    }

    Index batch() const { return batch_; }
    Index steps() const { return steps_; }
    Index neurons() const { return neurons_; }
    std::size_t bytes() const { return values_.size() * sizeof(T); }

    bool test(Index b, Index t, Index n) const { return row(b, t)[n] != T(0); }
    template <class U>
    U value(Index b, Index t, Index n) const {
        return static_cast<U>(row(b, t)[n]);
    }

    template <class U>
    void store(Index b, Index t, const U* spikes) {
        T* out = values_.data() + (b * steps_ + t) * neurons_;
        for (Index n = 0; n < neurons_; ++n)
            out[n] = static_cast<T>(spikes[n]);
    }

    template <class U>
    void unpack(Index b, Index t, U* out) const {
        const T* values = row(b, t);
        for (Index n = 0; n < neurons_; ++n)
            out[n] = static_cast<U>(values[n]);
    }

    template <class F>
    void for_each_active(Index b, Index t, F&& f) const {
        for_each_active(b, t, 0, neurons_, f);
    }
    template <class F>
    void for_each_active(Index b, Index t, Index begin, Index end, F&& f) const {
        const T* values = row(b, t);
        for (Index n = begin; n < end; ++n)
            if (values[n] != T(0)) f(n, values[n]);
    }

    /// Row (b, t) as a pointer to neurons() values.
    const T* row(Index b, Index t) const { return values_.data() + (b * steps_ + t) * neurons_; }

  private:
    Index batch_ = 0, steps_ = 0, neurons_ = 0;
    AlignedVector<T> values_;  // (batch, steps, neurons)
};

}  // namespace jepasnn::lif
