// Helpers for the nn tests: seeded random matrices, batch-first ↔ time-major conversion of the
// PyTorch goldens, and a gradient-check assertion usable inside rapidcheck properties.
#pragma once

#include <jepasnn/core/json.hpp>
#include <jepasnn/core/rng.hpp>
#include <jepasnn/nn/parameters.hpp>

#include <rapidcheck.h>

#include <span>
#include <string>

#include "central_differences.hpp"
#include "test_support.hpp"

namespace jepasnn::test {

using jepasnn::Index;
using Mat = jepasnn::RowMatrix<double>;

/// (rows × cols) of N(0, scale²) drawn from (seed, stream).
inline Mat random_matrix(Index rows, Index cols, std::uint64_t seed, std::uint64_t stream,
                         double scale = 1.0) {
    Mat m(rows, cols);
    for (Index i = 0; i < m.size(); ++i)
        m.data()[i] = scale * jepasnn::normal_at(seed, stream, static_cast<std::uint64_t>(i));
    return m;
}

/// Σ out ⊙ w: a scalar loss whose gradient with respect to out is w (gradient checks).
inline double weighted_sum(const Mat& out, const Mat& w) {
    return (out.array() * w.array()).sum();
}

/// Fills every parameter with N(0, scale²) so that checks see general values (not the init).
inline void randomize(jepasnn::nn::Parameters<double>& p, std::uint64_t seed, double scale = 0.5) {
    auto v = p.values();
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = scale * jepasnn::normal_at(seed, 99, i);
}

/// A batch-first [B][T][C] JSON array as a time-major (T·B, C) matrix.
inline Mat time_major(const jepasnn::Json& btc) {
    const auto b = static_cast<Index>(btc.size());
    const auto t = static_cast<Index>(btc[0].size());
    const auto c = static_cast<Index>(btc[0][0].size());
    Mat m(t * b, c);
    for (Index i = 0; i < b; ++i)
        for (Index s = 0; s < t; ++s)
            for (Index j = 0; j < c; ++j)
                m(s * b + i, j) = btc[static_cast<std::size_t>(i)][static_cast<std::size_t>(s)]
                                     [static_cast<std::size_t>(j)]
                                         .get<double>();
    return m;
}

inline Mat json_matrix(const jepasnn::Json& rows) {
    return jepasnn::matrix_from_json<double>(rows, "golden");
}
inline Mat json_row(const jepasnn::Json& values) {
    const auto v = jepasnn::vector_from_json<double>(values, "golden");
    return v.transpose();
}

inline double max_abs_diff(const Mat& a, const Mat& b) {
    REQUIRE(a.rows() == b.rows());
    REQUIRE(a.cols() == b.cols());
    return a.size() ? (a - b).cwiseAbs().maxCoeff() : 0.0;
}

/// Σ |out ⊙ w|: the magnitude of the terms summed by weighted_sum, the scale S of the
/// central-difference bound (central_differences.hpp).
inline double weighted_magnitude(const Mat& out, const Mat& w) {
    return (out.array() * w.array()).abs().sum();
}

/// Central-difference check of `analytic` against loss() over the elements of x (rapidcheck), with
/// the bound c·ε^(2/3)·max(S, |a|, |n|) of central_differences.hpp; `scale` is S at x.
template <class Loss>
void rc_check_gradient(const std::string& what, Loss&& loss, std::span<double> x,
                       std::span<const double> analytic, double scale) {
    jepasnn::test::rc_assert_central_differences(
        what, jepasnn::test::check_central_differences(loss, x, analytic, scale));
}

inline std::span<double> span_of(Mat& m) {
    return {m.data(), static_cast<std::size_t>(m.size())};
}
inline std::span<const double> span_of(const Mat& m) {
    return {m.data(), static_cast<std::size_t>(m.size())};
}

}  // namespace jepasnn::test
