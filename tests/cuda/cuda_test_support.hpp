// Helpers of the CUDA parity tests: the visible skip without a GPU, fresh random inputs from a
// rapidcheck-drawn seed, and relative comparisons that name the first offending element.
#pragma once

#include <jepasnn/core/rng.hpp>
#include <jepasnn/cuda/runtime.cuh>

#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "test_support.hpp"

/// Leaves the test case, reported as skipped by CTest, when no GPU is present.
#define JEPASNN_REQUIRE_GPU()                                                                   \
    do {                                                                                        \
        if (jepasnn::cuda::device_count() == 0) JEPASNN_SKIP("no CUDA device on this machine"); \
    } while (false)

namespace jepasnn::test {

/// n values mean + sd·N(0, 1) from (seed, stream).
template <class T>
std::vector<T> normal_values(std::size_t n, std::uint64_t seed, std::uint64_t stream, double mean,
                             double sd) {
    RandomStream rng(seed, stream);
    std::vector<T> v(n);
    for (T& x : v)
        x = static_cast<T>(rng.normal(mean, sd));
    return v;
}

/// Largest |a − b| / (|b|_max + floor) over the arrays (a norm-wise relative error); asserts
/// the sizes agree.
template <class T>
double relative_error(const T* a, const T* b, std::size_t n, double floor = 1.0) {
    double scale = floor, worst = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        scale = std::max(scale, std::abs(static_cast<double>(b[i])));
    for (std::size_t i = 0; i < n; ++i)
        worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    return worst / scale;
}

template <class T>
double relative_error(const std::vector<T>& a, const std::vector<T>& b, double floor = 1.0) {
    RC_ASSERT(a.size() == b.size());
    return relative_error(a.data(), b.data(), a.size(), floor);
}

/// Parity tolerance of a kernel in T: ~1e-5 relative in float, 1e-10 in double.
template <class T>
constexpr double tolerance() {
    return sizeof(T) == 4 ? 1e-5 : 1e-10;
}

}  // namespace jepasnn::test
