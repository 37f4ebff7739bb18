// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011, via Random123) keyed by (seed, stream) and indexed by a counter. Any
// element of any stream can be computed independently, so threads and CUDA kernels reproduce the
// CPU's numbers. The transforms to uniform/normal/Poisson are our own: std:: distributions differ
// between standard libraries.
//
// Layout: key = (seed low 32, seed high 32); counter = (counter low, counter high, stream low,
// stream high). One counter value gives one block of four 32-bit words.
#pragma once

#include <Random123/philox.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

#include "config.hpp"
#include "error.hpp"

namespace jepasnn {

/// Four random 32-bit words.
struct PhiloxBlock {
    std::uint32_t word[4];
};

/// The block at (seed, stream, counter): a pure function, identical on CPU and GPU.
JEPASNN_HOST_DEVICE inline PhiloxBlock philox_block(std::uint64_t seed, std::uint64_t stream,
                                                    std::uint64_t counter) {
    philox4x32_ctr_t ctr = {
        {static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32),
         static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)}};
    philox4x32_key_t key = {
        {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const philox4x32_ctr_t out = philox4x32(ctr, key);
    return PhiloxBlock{{out.v[0], out.v[1], out.v[2], out.v[3]}};
}

/// 52 random bits → (k + ½)·2⁻⁵², strictly inside (0, 1): the extremes 2⁻⁵³ and 1 − 2⁻⁵³ are
/// exactly representable (with 53 bits the top value would round to 1.0), so log(u) and
/// log(1 − u) are always finite.
JEPASNN_HOST_DEVICE inline double uniform_from_bits(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t k = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 12;
    return (static_cast<double>(k) + 0.5) * 0x1p-52;
}

/// 23 random bits → (k + ½)·2⁻²³, strictly inside (0, 1), for float streams.
JEPASNN_HOST_DEVICE inline float uniformf_from_bits(std::uint32_t x) {
    return (static_cast<float>(x >> 9) + 0.5f) * 0x1p-23f;
}

/// Box–Muller (cosine branch) from one block: r = √(−2 ln u₁), θ = 2π u₂.
JEPASNN_HOST_DEVICE inline double normal_from_block(const PhiloxBlock& b) {
    const double u1 = uniform_from_bits(b.word[0], b.word[1]);
    const double u2 = uniform_from_bits(b.word[2], b.word[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// Element-indexed draws for bulk and device code: element i uses block (seed, stream, i).
/// uniform_at is bit-identical everywhere; normal_at goes through log/cos, so a GPU's libm may
/// differ from the CPU's in the last unit in the last place.
JEPASNN_HOST_DEVICE inline double uniform_at(std::uint64_t seed, std::uint64_t stream,
                                             std::uint64_t i) {
    const PhiloxBlock b = philox_block(seed, stream, i);
    return uniform_from_bits(b.word[0], b.word[1]);
}
JEPASNN_HOST_DEVICE inline double normal_at(std::uint64_t seed, std::uint64_t stream,
                                            std::uint64_t i) {
    return normal_from_block(philox_block(seed, stream, i));
}

/// Where a RandomStream stands, for checkpoints: restoring it continues the exact sequence.
struct RngState {
    std::uint64_t seed = 0;
    std::uint64_t stream = 0;
    std::uint64_t counter = 0;  // the next block to generate
    std::uint32_t used = 4;     // words of the current block already consumed (4 = none left)
    PhiloxBlock block{};
};

/// A sequential view of one (seed, stream): words are consumed in order, block after block.
/// uniform() takes two words, normal() four, uniform_index() two per attempt.
class RandomStream {
  public:
    RandomStream(std::uint64_t seed, std::uint64_t stream, std::uint64_t first_counter = 0) {
        state_.seed = seed;
        state_.stream = stream;
        state_.counter = first_counter;
    }
    explicit RandomStream(const RngState& state) : state_(state) {
        require(state.used <= 4, "RandomStream", "state has ", state.used,
                " used words, expected at most 4");
    }

    const RngState& state() const { return state_; }
    std::uint64_t seed() const { return state_.seed; }
    std::uint64_t stream() const { return state_.stream; }

    std::uint32_t next_u32() {
        if (state_.used == 4) {
            state_.block = philox_block(state_.seed, state_.stream, state_.counter++);
            state_.used = 0;
        }
        return state_.block.word[state_.used++];
    }
    std::uint64_t next_u64() {
        const std::uint64_t hi = next_u32();
        return (hi << 32) | next_u32();
    }

    /// Uniform in (0, 1).
    double uniform() {
        const std::uint32_t hi = next_u32();
        return uniform_from_bits(hi, next_u32());
    }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }

    /// Standard normal (Box–Muller, one value per four words).
    double normal() {
        PhiloxBlock b;
        for (auto& w : b.word)
            w = next_u32();
        return normal_from_block(b);
    }
    double normal(double mean, double sd) { return mean + sd * normal(); }

    double exponential(double rate) {
        require(rate > 0.0, "RandomStream::exponential", "rate must be > 0, found ", rate);
        return -std::log(uniform()) / rate;
    }

    bool bernoulli(double p) { return uniform() < p; }

    /// Uniform integer in [0, n), unbiased (Lemire, "Fast random integer generation in an
    /// interval", ACM TOMACS 2019: multiply-shift with rejection of the biased low range).
    std::uint64_t uniform_index(std::uint64_t n) {
        require(n > 0, "RandomStream::uniform_index", "range must be non-empty");
        if (n <= (std::uint64_t{1} << 32)) {
            const std::uint64_t threshold = ((std::uint64_t{1} << 32) - n) % n;
            for (;;) {
                const std::uint64_t m = static_cast<std::uint64_t>(next_u32()) * n;
                if ((m & 0xffffffffu) >= threshold) return m >> 32;
            }
        }
        const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                    std::numeric_limits<std::uint64_t>::max() % n;
        for (;;) {
            const std::uint64_t x = next_u64();
            if (x < limit) return x % n;
        }
    }

    /// Poisson(mean). Inversion by sequential search below mean 12; above, the transformed
    /// rejection method PTRS of Hörmann ("The transformed rejection method for generating
    /// Poisson random variables", Insurance: Mathematics and Economics 12, 1993).
    std::int64_t poisson(double mean) {
        require(mean >= 0.0 && std::isfinite(mean), "RandomStream::poisson",
                "mean must be finite and >= 0, found ", mean);
        if (mean == 0.0) return 0;
        if (mean < 12.0) {
            const double u = uniform();
            double p = std::exp(-mean);
            double cdf = p;
            std::int64_t k = 0;
            // The tail beyond k = 200 has probability far below 2^-53 for mean < 12.
            while (u > cdf && k < 200) {
                ++k;
                p *= mean / static_cast<double>(k);
                cdf += p;
            }
            return k;
        }
        const double sqrt_mean = std::sqrt(mean);
        const double log_mean = std::log(mean);
        const double b = 0.931 + 2.53 * sqrt_mean;
        const double a = -0.059 + 0.02483 * b;
        const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        const double v_r = 0.9277 - 3.6224 / (b - 2.0);
        for (;;) {
            const double u = uniform() - 0.5;
            const double v = uniform();
            const double us = 0.5 - std::fabs(u);
            const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
            if (us >= 0.07 && v <= v_r) return static_cast<std::int64_t>(k);
            if (k < 0.0 || (us < 0.013 && v > us)) continue;
            if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
                -mean + k * log_mean - std::lgamma(k + 1.0))
                return static_cast<std::int64_t>(k);
        }
    }

    /// Fisher–Yates shuffle of [first, last).
    template <class RandomIt>
    void shuffle(RandomIt first, RandomIt last) {
        const auto n = static_cast<std::uint64_t>(last - first);
        for (std::uint64_t i = n; i > 1; --i) {
            const std::uint64_t j = uniform_index(i);
            using std::swap;
            swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
        }
    }

    /// A uniformly random permutation of 0..n-1.
    std::vector<std::size_t> permutation(std::size_t n) {
        std::vector<std::size_t> p(n);
        for (std::size_t i = 0; i < n; ++i)
            p[i] = i;
        shuffle(p.begin(), p.end());
        return p;
    }

  private:
    RngState state_;
};

/// Composes a stream id from a module's tag and an index (a step, a session, a unit), so that
/// every stochastic call site names its own stream and no two sites share one by accident.
constexpr std::uint64_t stream_id(std::uint32_t tag, std::uint32_t index = 0) {
    return (static_cast<std::uint64_t>(tag) << 32) | index;
}

}  // namespace jepasnn
