#include <jepasnn/core/rng.hpp>

#include <rapidcheck/catch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "test_support.hpp"

using jepasnn::RandomStream;

namespace {
// Sample mean and variance in double.
template <class F>
std::pair<double, double> moments(int n, F&& draw) {
    double sum = 0.0, sum2 = 0.0;
    for (int i = 0; i < n; ++i) {
        const double x = draw();
        sum += x;
        sum2 += x * x;
    }
    const double mean = sum / n;
    return {mean, sum2 / n - mean * mean};
}
}  // namespace

TEST_CASE("philox_block reproduces the Philox4x32-10 known-answer vectors") {
    // Salmon et al. (2011) / Random123 kat_vectors, recomputed by an independent implementation.
    // Our layout: counter = (counter lo, counter hi, stream lo, stream hi), key = (seed lo, hi).
    auto b = jepasnn::philox_block(0, 0, 0);
    CHECK(b.word[0] == 0x6627e8d5u);
    CHECK(b.word[1] == 0xe169c58du);
    CHECK(b.word[2] == 0xbc57ac4cu);
    CHECK(b.word[3] == 0x9b00dbd8u);
    b = jepasnn::philox_block(~0ull, ~0ull, ~0ull);
    CHECK(b.word[0] == 0x408f276du);
    CHECK(b.word[3] == 0x6d5451fdu);
    b = jepasnn::philox_block(0x299f31d0a4093822ull, 0x0370734413198a2eull, 0x85a308d3243f6a88ull);
    CHECK(b.word[0] == 0xd16cfe09u);
    CHECK(b.word[1] == 0x94fdccebu);
    CHECK(b.word[2] == 0x5001e420u);
    CHECK(b.word[3] == 0x24126ea1u);
}

TEST_CASE("uniforms stay strictly inside the open unit interval at the extreme bit patterns") {
    CHECK(jepasnn::uniform_from_bits(0, 0) == 0x1p-53);
    CHECK(jepasnn::uniform_from_bits(~0u, ~0u) == 1.0 - 0x1p-53);
    CHECK(jepasnn::uniform_from_bits(~0u, ~0u) < 1.0);
    CHECK(jepasnn::uniformf_from_bits(0) == 0x1p-24f);
    CHECK(jepasnn::uniformf_from_bits(~0u) == 1.0f - 0x1p-24f);
    CHECK(jepasnn::uniformf_from_bits(~0u) < 1.0f);
}

TEST_CASE("a stream is a pure function of seed and stream and resumes exactly from its state") {
    rc::prop("same seed gives the same sequence; restoring a state continues it", [] {
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const auto stream = *rc::gen::arbitrary<std::uint64_t>();
        const int skip = *rc::gen::inRange(0, 37);
        RandomStream a(seed, stream), b(seed, stream);
        for (int i = 0; i < skip; ++i)
            RC_ASSERT(a.next_u32() == b.next_u32());
        const jepasnn::RngState saved = a.state();
        const double x1 = a.uniform(), x2 = a.normal();
        const auto x3 = a.poisson(30.0);
        RandomStream c(saved);
        RC_ASSERT(c.uniform() == x1);
        RC_ASSERT(c.normal() == x2);
        RC_ASSERT(c.poisson(30.0) == x3);
    });
    RandomStream s1(7, 0), s2(7, 1), s3(8, 0);
    const auto a = s1.next_u64(), b = s2.next_u64(), c = s3.next_u64();
    CHECK(a != b);
    CHECK(a != c);
    // The element-indexed API agrees with the sequential one on block boundaries.
    RandomStream seq(11, 3);
    for (std::uint64_t i = 0; i < 5; ++i) {
        const double u = seq.uniform();
        seq.next_u64();  // the rest of block i
        CHECK(u == jepasnn::uniform_at(11, 3, i));
    }
}

TEST_CASE("uniform and normal have the right moments") {
    constexpr int n = 400000;
    RandomStream s(2026, 1);
    auto [mu, var] = moments(n, [&] { return s.uniform(); });
    // 5 standard errors: mean sd 1/sqrt(12n); variance sd ≈ sqrt(1/180n).
    CHECK(std::abs(mu - 0.5) < 5.0 * std::sqrt(1.0 / (12.0 * n)));
    CHECK(std::abs(var - 1.0 / 12.0) < 5.0 * std::sqrt(1.0 / (180.0 * n)));
    auto [nm, nv] = moments(n, [&] { return s.normal(); });
    CHECK(std::abs(nm) < 5.0 / std::sqrt(double(n)));
    CHECK(std::abs(nv - 1.0) < 5.0 * std::sqrt(2.0 / n));
    // Tail mass beyond 3 sd: 0.0026998.
    int tail = 0;
    for (int i = 0; i < n; ++i)
        tail += std::abs(s.normal()) > 3.0;
    const double p = 0.0026998, se = std::sqrt(p * (1 - p) / n);
    CHECK(std::abs(tail / double(n) - p) < 5.0 * se);
}

TEST_CASE("poisson matches its pmf on both sides of the algorithm switch") {
    for (double mean : {0.3, 4.0, 11.9, 12.0, 40.0, 1000.0}) {
        INFO("mean " << mean);
        constexpr int n = 200000;
        RandomStream s(99, static_cast<std::uint64_t>(mean * 10));
        std::map<std::int64_t, int> counts;
        double sum = 0.0, sum2 = 0.0;
        for (int i = 0; i < n; ++i) {
            const auto k = s.poisson(mean);
            REQUIRE(k >= 0);
            ++counts[k];
            sum += double(k);
            sum2 += double(k) * double(k);
        }
        const double m = sum / n, v = sum2 / n - m * m;
        CHECK(std::abs(m - mean) < 5.0 * std::sqrt(mean / n));
        CHECK(std::abs(v / mean - 1.0) < 5.0 * std::sqrt(2.0 / n) + 5.0 / std::sqrt(mean * n));
        // Chi-square over cells with expected count >= 20 (pooled tails excluded).
        double chi2 = 0.0;
        int cells = 0;
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(mean * 3 + 30); ++k) {
            const double pk = std::exp(-mean + double(k) * std::log(mean) - std::lgamma(k + 1.0));
            const double expected = pk * n;
            if (expected < 20) continue;
            const double observed = counts.count(k) ? counts[k] : 0;
            chi2 += (observed - expected) * (observed - expected) / expected;
            ++cells;
        }
        // chi2 with `cells` degrees of freedom: mean cells, sd sqrt(2 cells); allow 6 sd.
        CHECK(chi2 < cells + 6.0 * std::sqrt(2.0 * cells));
    }
    RandomStream s(1, 1);
    CHECK(s.poisson(0.0) == 0);
    CHECK_THROWS_AS(s.poisson(-1.0), jepasnn::Error);
    CHECK_THROWS_AS(s.poisson(std::nan("")), jepasnn::Error);
}

TEST_CASE("uniform_index is unbiased and permutations are permutations") {
    RandomStream s(5, 5);
    constexpr int n = 300000, k = 7;
    std::array<int, k> counts{};
    for (int i = 0; i < n; ++i)
        ++counts[s.uniform_index(k)];
    double chi2 = 0.0;
    for (int c : counts)
        chi2 += (c - n / double(k)) * (c - n / double(k)) / (n / double(k));
    CHECK(chi2 < 6 + 6.0 * std::sqrt(12.0));
    CHECK_THROWS_AS(s.uniform_index(0), jepasnn::Error);
    CHECK(s.uniform_index((1ull << 40) + 3) < (1ull << 40) + 3);

    rc::prop("permutation(n) holds each of 0..n-1 exactly once", [] {
        const auto n = *rc::gen::inRange<std::size_t>(0, 500);
        RandomStream r(*rc::gen::arbitrary<std::uint64_t>(), 0);
        auto p = r.permutation(n);
        std::sort(p.begin(), p.end());
        for (std::size_t i = 0; i < n; ++i)
            RC_ASSERT(p[i] == i);
    });
}
