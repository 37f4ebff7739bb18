// PCA against scikit-learn, the least-squares linear-dynamical baseline against an independent
// numpy implementation, and the effective rank against numpy's SVD.
#include <jepasnn/core/rng.hpp>
#include <jepasnn/eval/effective_rank.hpp>
#include <jepasnn/eval/lds.hpp>
#include <jepasnn/eval/pca.hpp>

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
