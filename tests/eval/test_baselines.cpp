// PCA against scikit-learn, the least-squares linear-dynamical baseline against an independent
// numpy implementation, causal exponential smoothing against its closed-form sum, and the
// effective rank against numpy's SVD.
#include <jepasnn/core/rng.hpp>
#include <jepasnn/eval/effective_rank.hpp>
#include <jepasnn/eval/lds.hpp>
#include <jepasnn/eval/pca.hpp>
#include <jepasnn/eval/smoothing.hpp>

#include <cmath>

#include "eval_test_util.hpp"

namespace eval = jepasnn::eval;
using jepasnn::Index;
using jepasnn::test::mat;
using jepasnn::test::max_diff;
using jepasnn::test::row;

TEST_CASE("PCA matches scikit-learn components variances signs and scores") {
    const auto& g = jepasnn::test::sklearn_reference()["pca"];
    const auto pca = eval::Pca::fit(mat(g["x"]), g["k"]);
    CHECK(max_diff(pca.mean, row(g["mean"])) < 1e-12);
    CHECK(max_diff(pca.components, mat(g["components"])) < 1e-9);
    CHECK(max_diff(pca.explained_variance.transpose(), row(g["explained_variance"])) < 1e-9);
    CHECK(max_diff(pca.explained_variance_ratio.transpose(), row(g["explained_variance_ratio"])) <
          1e-12);
    CHECK(max_diff(pca.transform(mat(g["x_test"])), mat(g["scores_test"])) < 1e-9);
    // Fewer rows than columns goes through the SVD.
    const auto wide = eval::Pca::fit(mat(g["wide_x"]), g["wide_k"]);
    CHECK(max_diff(wide.components, mat(g["wide_components"])) < 1e-9);
    CHECK(max_diff(wide.explained_variance.transpose(), row(g["wide_explained_variance"])) < 1e-9);
    CHECK_THROWS_WITH(eval::Pca::fit(mat(g["x"]), 9), Catch::Contains("dimension 9 outside"));
}

TEST_CASE("the least-squares LDS baseline matches the numpy reference") {
    const auto& g = jepasnn::test::sklearn_reference()["lds"];
    const auto y = mat(g["y"]);
    const auto lds = eval::LinearDynamicalBaseline::fit(y, g["q"]);
    CHECK(max_diff(lds.dynamics, mat(g["dynamics"])) < 1e-9);
    CHECK(max_diff(lds.state_noise, mat(g["state_noise"])) < 1e-9);
    CHECK(max_diff(lds.observation_noise.transpose(), row(g["observation_noise"])) < 1e-9);
    CHECK(max_diff(lds.gain, mat(g["gain"])) < 1e-8);
    CHECK(max_diff(lds.filter(y), mat(g["filtered"])) < 1e-8);
    // The recovered dynamics rotate at the generator's rate: eigenvalues 0.97·e^{±0.2i}.
    const Eigen::EigenSolver<jepasnn::Matrix<double>> eig(lds.dynamics);
    for (Index i = 0; i < 2; ++i) {
        CHECK(std::abs(eig.eigenvalues()(i)) == Approx(0.97).margin(0.03));
        CHECK(std::abs(std::arg(eig.eigenvalues()(i))) == Approx(0.2).margin(0.03));
    }
}

TEST_CASE("effective rank matches numpy and separates isotropic from collapsed latents") {
    for (const auto& c : jepasnn::test::sklearn_reference()["effective_rank"]) {
        const auto z = mat(c["z"]);
        CHECK(eval::effective_rank(z) == Approx(c["raw"].get<double>()).epsilon(1e-10));
        CHECK(eval::effective_rank(z, true) == Approx(c["centred"].get<double>()).epsilon(1e-10));
    }
    jepasnn::RowMatrix<double> iso(4000, 8), collapsed(4000, 8);
    for (Index i = 0; i < iso.size(); ++i)
        iso.data()[i] = jepasnn::normal_at(1, 2, static_cast<std::uint64_t>(i));
    for (Index r = 0; r < collapsed.rows(); ++r)
        collapsed.row(r) =
            0.3 * jepasnn::RowVector<double>::LinSpaced(8, 1.0, 2.0) + 1e-3 * iso.row(r);
    CHECK(eval::effective_rank(iso) > 7.8);
    CHECK(eval::effective_rank(collapsed) < 1.1);
    CHECK(eval::effective_rank(jepasnn::RowMatrix<double>::Zero(5, 3)) == 0.0);
}

TEST_CASE("causal exponential smoothing is its closed-form weighted sum and never looks ahead") {
    // s_t = a^t·x_0 + Σ_{k<t} (1 − a)·a^k·x_{t−k}, a = exp(−Δt/τ): summed independently in long
    // double from the definition of the filter's impulse response.
    const Index bins = 60, units = 3;
    eval::Mat x(bins, units);
    for (Index i = 0; i < x.size(); ++i)
        x.data()[i] = jepasnn::normal_at(4, 1, static_cast<std::uint64_t>(i));
    const double dt = 0.01, tau = 0.05;
    const eval::Mat s = eval::causal_exponential_smoothing(x, dt, tau);
    const long double a = std::exp(-static_cast<long double>(dt) / tau);
    for (Index t = 0; t < bins; ++t)
        for (Index u = 0; u < units; ++u) {
            long double want = std::pow(a, t) * x(0, u);
            for (Index k = 0; k < t; ++k)
                want += (1 - a) * std::pow(a, k) * x(t - k, u);
            CHECK(std::fabs(static_cast<double>(want) - s(t, u)) < 1e-13);
        }
    // Changing the future leaves the past unchanged; a constant stays constant.
    eval::Mat y = x;
    y.bottomRows(10).setConstant(5.0);
    CHECK(eval::causal_exponential_smoothing(y, dt, tau).topRows(bins - 10) ==
          s.topRows(bins - 10));
    const eval::Mat c =
        eval::causal_exponential_smoothing(eval::Mat::Constant(20, 2, 3.0), dt, tau);
    CHECK((c.array() - 3.0).abs().maxCoeff() < 1e-15);
    CHECK_THROWS_WITH(eval::causal_exponential_smoothing(x, dt, 0.0),
                      Catch::Contains("eval::causal_exponential_smoothing") &&
                          Catch::Contains("time constant 0"));
}

TEST_CASE("smoothing, moments, PCA and LDS streamed in blocks equal their whole-matrix fits") {
    const auto& g = jepasnn::test::sklearn_reference()["lds"];
    const eval::Mat y = mat(g["y"]).array() + 1e4;  // a large mean: the moments stay accurate
    const Index q = g["q"], n = y.rows(), p = y.cols();
    // Uneven blocks, the last one short.
    std::vector<std::pair<Index, Index>> blocks;
    for (Index b = 0, len = 1; b < n; b += len, len = len % 37 + 11)
        blocks.emplace_back(b, std::min(len, n - b));

    eval::CausalExponentialSmoother smoother(0.01, 0.05);
    eval::Mat smoothed(n, p);
    for (const auto& [b, len] : blocks)
        smoothed.middleRows(b, len) = smoother.next(y.middleRows(b, len));
    CHECK(smoothed == eval::causal_exponential_smoothing(y, 0.01, 0.05));  // bit for bit

    // Moments added in reverse block order: the two-pass centred sums.
    eval::AffineMoments moments(p, 1);
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it)
        moments.add(y.middleRows(it->first, it->second),
                    y.middleRows(it->first, it->second).col(0));
    const jepasnn::RowVector<double> mean = y.colwise().mean();
    const eval::Mat yc = y.rowwise() - mean;
    const jepasnn::Matrix<double> scatter = yc.transpose() * yc;
    CHECK(moments.count() == n);
    CHECK(max_diff(moments.mean_x(), mean) < 1e-9);
    CHECK(max_diff(moments.scatter_x(), scatter) < 1e-9 * scatter.cwiseAbs().maxCoeff());
    CHECK(max_diff(moments.cross(), scatter.leftCols(1)) < 1e-9 * scatter.cwiseAbs().maxCoeff());

    // PCA from the scatter: the fit's components up to each one's sign.
    const eval::Pca fit = eval::Pca::fit(y, q);
    const eval::Pca streamed = eval::Pca::from_scatter(moments.mean_x(), moments.scatter_x(), n, q);
    for (Index k = 0; k < q; ++k) {
        const double sign = fit.components.col(k).dot(streamed.components.col(k)) < 0 ? -1 : 1;
        CHECK(max_diff(sign * streamed.components.col(k), fit.components.col(k)) < 1e-9);
    }
    CHECK(max_diff(streamed.explained_variance, fit.explained_variance) < 1e-9);
    CHECK(max_diff(streamed.explained_variance_ratio, fit.explained_variance_ratio) < 1e-12);

    // LDS from lag moments summed block by block, and its filter carried across blocks.
    const auto whole = eval::LinearDynamicalBaseline::fit(y, q);
    eval::LagMoments lags(q);
    for (const auto& [b, len] : blocks)
        lags.add(fit.transform(y.middleRows(b, len)));
    CHECK(lags.pairs == n - 1);
    const auto lds = eval::LinearDynamicalBaseline::from_moments(fit, scatter, lags);
    CHECK(max_diff(lds.dynamics, whole.dynamics) < 1e-12);
    CHECK(max_diff(lds.state_noise, whole.state_noise) < 1e-12);
    CHECK(max_diff(lds.observation_noise, whole.observation_noise) < 1e-9);
    CHECK(max_diff(lds.gain, mat(g["gain"])) < 1e-8);
    jepasnn::RowVector<double> state = jepasnn::RowVector<double>::Zero(q);
    eval::Mat filtered(n, q);
    for (const auto& [b, len] : blocks)
        filtered.middleRows(b, len) = lds.filter(y.middleRows(b, len), state);
    // The blocks' observation terms are matrix products whose rounding may depend on the block's
    // length (a few ulps of |y|·|K|); the stable recursion (spectral radius < 1) does not amplify
    // them beyond 1 / (1 − radius), far inside this bound.
    const eval::Mat whole_filtered = lds.filter(y);
    CHECK(max_diff(filtered, whole_filtered) <= 1e-10 * whole_filtered.cwiseAbs().maxCoeff());
}
