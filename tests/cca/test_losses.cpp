// The differentiable losses: central-difference gradient checks in double over random shapes,
// values and gradients against torch autograd (tests/assets/cca/make_golden.py), agreement of the
// Deep CCA loss with ridge CCA, and the batch-size and input checks.
#include <jepasnn/cca/canonical_correlations.hpp>
#include <jepasnn/cca/deep_cca_loss.hpp>
#include <jepasnn/cca/soft_cca_loss.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>

#include <rapidcheck/catch.h>

#include <functional>

#include "cca_test_data.hpp"
#include "central_differences.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::gaussian;

namespace {

using Loss = std::function<double(const RowMatrix<double>&, const RowMatrix<double>&)>;

/// The central-difference check of central_differences.hpp for the gradient with respect to
/// `which` (1 or 2). `scale` is S of its error model.
jepasnn::test::CentralDifferenceCheck gradient_check(const Loss& loss, RowMatrix<double> h1,
                                                     RowMatrix<double> h2,
                                                     const RowMatrix<double>& analytic, int which,
                                                     double scale) {
    RowMatrix<double>& h_ = which == 1 ? h1 : h2;
    auto evaluate = [&] { return loss(h1, h2); };
    return jepasnn::test::check_central_differences(
        evaluate, std::span<double>(h_.data(), static_cast<std::size_t>(h_.size())),
        std::span<const double>(analytic.data(), static_cast<std::size_t>(analytic.size())), scale);
}

/// Largest condition number of the ridged covariances S + ε·tr(S)/d·I whose inverse square roots
/// the Deep CCA loss takes: rounding in Σ^(−1/2) is amplified by up to that much, so the loss
/// carries errors of κ·ε·|L| (the S of the check is |L|·κ).
double ridged_condition(const RowMatrix<double>& h1, const RowMatrix<double>& h2, double ridge) {
    double worst = 1.0;
    for (const RowMatrix<double>* h : {&h1, &h2}) {
        const RowMatrix<double> centred = h->rowwise() - h->colwise().mean();
        Matrix<double> s = centred.transpose() * centred / static_cast<double>(h->rows() - 1);
        s.diagonal().array() += ridge * s.trace() / static_cast<double>(s.rows());
        const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(s);
        worst = std::max(worst, eig.eigenvalues().maxCoeff() / eig.eigenvalues().minCoeff());
    }
    return worst;
}

/// Related views with some offset, m × d1 and m × d2.
test::ViewPair batch(Index m, Index d1, Index d2, std::uint64_t seed) {
    test::ViewPair v = test::shared_latent_views(m, d1, d2, std::min(d1, d2), 1.0, seed);
    v.x.array() += 2.0;
    return v;
}

Json golden() {
    return read_json(test::test_asset("cca/golden.json"));
}

}  // namespace

TEST_CASE("Deep CCA gradients pass a central-difference check", "[tolerance]") {
    rc::prop("analytic == numeric for random shapes and ridges", [] {
        const Index d1 = *rc::gen::inRange<Index>(1, 6), d2 = *rc::gen::inRange<Index>(1, 6);
        const Index m = *rc::gen::inRange<Index>(std::max(d1, d2) + 2, 30);
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
        cca::DeepCcaOptions o;
        o.ridge = 1e-3 * std::pow(10.0, *rc::gen::inRange(0, 3));
        o.components = *rc::gen::inRange<Index>(0, std::min(d1, d2) + 1);
        const auto v = batch(m, d1, d2, seed);
        cca::DeepCcaCache cache;
        cca::deep_cca_forward(cache, v.x, v.y, o);
        RowMatrix<double> dh1 = RowMatrix<double>::Zero(m, d1),
                          dh2 = RowMatrix<double>::Zero(m, d2);
        cca::deep_cca_backward(&dh1, &dh2, cache);
        const Loss loss = [&](const RowMatrix<double>& a, const RowMatrix<double>& b) {
            cca::DeepCcaCache c;
            return cca::deep_cca_forward(c, a, b, o);
        };
        // The loss is −Σ of the top canonical correlations (each in [0, 1]): |L| sums them.
        const double scale = std::abs(loss(v.x, v.y)) * ridged_condition(v.x, v.y, o.ridge);
        jepasnn::test::rc_assert_central_differences("dh1",
                                                     gradient_check(loss, v.x, v.y, dh1, 1, scale));
        jepasnn::test::rc_assert_central_differences("dh2",
                                                     gradient_check(loss, v.x, v.y, dh2, 2, scale));
    });
}

TEST_CASE("soft CCA gradients pass a central-difference check", "[tolerance]") {
    rc::prop("analytic == numeric with and without a running state", [] {
        const Index d = *rc::gen::inRange<Index>(1, 6);
        const Index m = *rc::gen::inRange<Index>(2, 25);  // batch <= width is fine here
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
        cca::SoftCcaOptions o;
        o.decorrelation = 0.25 * *rc::gen::inRange(0, 9);
        o.decay = 0.1 * *rc::gen::inRange(0, 10);
        cca::SoftCcaState state;
        if (*rc::gen::arbitrary<bool>()) {
            cca::SoftCcaCache warmup;
            const auto w = batch(m + 5, d, d, seed + 1);
            cca::soft_cca_forward(warmup, w.x, w.y, state, o);
            state.update(warmup);
        }
        const auto v = batch(m, d, d, seed);
        cca::SoftCcaCache cache;
        cca::soft_cca_forward(cache, v.x, v.y, state, o);
        RowMatrix<double> dh1 = RowMatrix<double>::Zero(m, d), dh2 = RowMatrix<double>::Zero(m, d);
        cca::soft_cca_backward(&dh1, &dh2, cache);
        const Loss loss = [&](const RowMatrix<double>& a, const RowMatrix<double>& b) {
            cca::SoftCcaCache c;
            return cca::soft_cca_forward(c, a, b, state, o);
        };
        // S sums the terms of the expanded ‖z1 − z2‖²/m, Σ(|z1| + |z2|)²/m, and the penalty:
        // |L| alone can vanish by cancellation (a batch of 2 standardizes both views to ±1, so
        // L and its gradient are 0 and the difference quotient is rounding over h).
        const double scale =
            std::abs(cache.loss) +
            (cache.z1.cwiseAbs() + cache.z2.cwiseAbs()).squaredNorm() / static_cast<double>(m);
        jepasnn::test::rc_assert_central_differences("dh1",
                                                     gradient_check(loss, v.x, v.y, dh1, 1, scale));
        jepasnn::test::rc_assert_central_differences("dh2",
                                                     gradient_check(loss, v.x, v.y, dh2, 2, scale));
    });
}

TEST_CASE("Deep CCA value and gradients match torch autograd") {
    const Json g = golden().at("deep_cca");
    const auto h1 = load_npy_matrix<double>(test::test_asset("cca/deep_cca_H1.npy"));
    const auto h2 = load_npy_matrix<double>(test::test_asset("cca/deep_cca_H2.npy"));
    cca::DeepCcaOptions o;
    o.ridge = g.at("ridge").get<double>();
    cca::DeepCcaCache cache;
    CHECK(cca::deep_cca_forward(cache, h1, h2, o) ==
          Approx(g.at("loss").get<double>()).epsilon(1e-12));
    RowMatrix<double> dh1 = RowMatrix<double>::Zero(h1.rows(), h1.cols());
    RowMatrix<double> dh2 = RowMatrix<double>::Zero(h2.rows(), h2.cols());
    cca::deep_cca_backward(&dh1, &dh2, cache);
    const RowMatrix<double> want1 = matrix_from_json<double>(g.at("dH1"), "dH1");
    const RowMatrix<double> want2 = matrix_from_json<double>(g.at("dH2"), "dH2");
    CHECK((dh1 - want1).cwiseAbs().maxCoeff() < 1e-10 * want1.cwiseAbs().maxCoeff());
    CHECK((dh2 - want2).cwiseAbs().maxCoeff() < 1e-10 * want2.cwiseAbs().maxCoeff());
}

TEST_CASE("soft CCA value and gradients match torch autograd") {
    const Json g = golden().at("soft_cca");
    const auto h1 = load_npy_matrix<double>(test::test_asset("cca/soft_cca_H1.npy"));
    const auto h2 = load_npy_matrix<double>(test::test_asset("cca/soft_cca_H2.npy"));
    cca::SoftCcaOptions o;
    o.decorrelation = g.at("decorrelation").get<double>();
    o.decay = g.at("decay").get<double>();
    cca::SoftCcaState state;
    state.running1 = matrix_from_json<double>(g.at("previous1"), "previous1");
    state.running2 = matrix_from_json<double>(g.at("previous2"), "previous2");
    state.weight = g.at("previous_weight").get<double>();
    cca::SoftCcaCache cache;
    CHECK(cca::soft_cca_forward(cache, h1, h2, state, o) ==
          Approx(g.at("loss").get<double>()).epsilon(1e-12));
    RowMatrix<double> dh1 = RowMatrix<double>::Zero(h1.rows(), h1.cols());
    RowMatrix<double> dh2 = RowMatrix<double>::Zero(h2.rows(), h2.cols());
    cca::soft_cca_backward(&dh1, &dh2, cache);
    const RowMatrix<double> want1 = matrix_from_json<double>(g.at("dH1"), "dH1");
    const RowMatrix<double> want2 = matrix_from_json<double>(g.at("dH2"), "dH2");
    CHECK((dh1 - want1).cwiseAbs().maxCoeff() < 1e-10 * want1.cwiseAbs().maxCoeff());
    CHECK((dh2 - want2).cwiseAbs().maxCoeff() < 1e-10 * want2.cwiseAbs().maxCoeff());
}

TEST_CASE("the Deep CCA loss is minus the sum of ridge canonical correlations") {
    const auto v = batch(80, 6, 4, 5);
    for (double eps : {0.0, 1e-3, 0.1}) {
        cca::DeepCcaOptions o;
        o.ridge = eps;
        cca::CcaOptions c;
        c.ridge = eps;
        cca::DeepCcaCache cache;
        INFO("ridge " << eps);
        CHECK(cca::deep_cca_forward(cache, v.x, v.y, o) ==
              Approx(-cca::canonical_correlations(v.x, v.y, c).correlations.sum()).epsilon(1e-12));
        o.components = 2;
        CHECK(cca::deep_cca_forward(cache, v.x, v.y, o) ==
              Approx(-cca::canonical_correlations(v.x, v.y, c).correlations.head(2).sum())
                  .epsilon(1e-12));
    }
}

TEST_CASE("backward passes add into the buffers and skip a constant view") {
    const auto v = batch(40, 5, 3, 9);
    cca::DeepCcaCache cache;
    cca::deep_cca_forward(cache, v.x, v.y);
    RowMatrix<double> once = RowMatrix<double>::Zero(40, 5);
    cca::deep_cca_backward<double>(&once, nullptr, cache);
    RowMatrix<double> twice = RowMatrix<double>::Zero(40, 5);
    cca::deep_cca_backward<double>(&twice, nullptr, cache);
    cca::deep_cca_backward<double>(&twice, nullptr, cache, 1.0);
    CHECK((twice - 2.0 * once).cwiseAbs().maxCoeff() < 1e-15);
    // Float batches and gradient buffers, computed in double.
    const RowMatrix<float> xf = v.x.cast<float>();
    cca::DeepCcaCache float_cache;
    cca::deep_cca_forward(float_cache, xf, v.y);
    RowMatrix<float> df = RowMatrix<float>::Zero(40, 5);
    cca::deep_cca_backward<float>(&df, nullptr, float_cache, 0.5);
    CHECK((df.cast<double>() - 0.5 * once).cwiseAbs().maxCoeff() < 1e-5);

    const RowMatrix<double> y4 = gaussian(40, 5, 2);
    cca::SoftCcaCache soft;
    cca::soft_cca_forward(soft, v.x, y4);
    RowMatrix<double> ds = RowMatrix<double>::Zero(40, 5);
    cca::soft_cca_backward<double>(nullptr, &ds, soft);
    CHECK(ds.norm() > 0.0);
    // Column sums vanish: the loss does not see a shift of any column.
    CHECK(ds.colwise().sum().cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("soft CCA without decorrelation is the paired correlation distance") {
    const auto v = batch(30, 4, 4, 12);
    cca::SoftCcaOptions o;
    o.decorrelation = 0.0;
    cca::SoftCcaCache cache;
    const double loss = cca::soft_cca_forward(cache, v.x, v.y, {}, o);
    double expected = 0.0;
    for (Index i = 0; i < 4; ++i) {
        const Vector<double> a = v.x.col(i).array() - v.x.col(i).mean();
        const Vector<double> b = v.y.col(i).array() - v.y.col(i).mean();
        expected += 1.0 - a.dot(b) / (a.norm() * b.norm());
    }
    CHECK(loss == Approx(2.0 * 29.0 / 30.0 * expected).epsilon(1e-12));
    // A state committed from the same batch leaves Φ = (αC + C)/(α + 1) = C unchanged.
    o.decorrelation = 0.7;
    const double fresh = cca::soft_cca_forward(cache, v.x, v.y, {}, o);
    cca::SoftCcaState state;
    state.update(cache);
    CHECK(cca::soft_cca_forward(cache, v.x, v.y, state, o) == Approx(fresh).epsilon(1e-12));
    CHECK(cache.weight == Approx(1.0 + o.decay));
}

TEST_CASE("a batch not larger than the latent width is an error not a NaN") {
    using Catch::Contains;
    cca::DeepCcaCache cache;
    CHECK_THROWS_WITH(cca::deep_cca_forward(cache, gaussian(8, 8, 1), gaussian(8, 3, 2)),
                      Contains("batch of 8 rows must exceed the latent width 8"));
    CHECK_THROWS_WITH(cca::deep_cca_forward(cache, gaussian(6, 2, 1), gaussian(6, 7, 2)),
                      Contains("batch of 6 rows must exceed the latent width 7"));
    CHECK_THROWS_WITH(cca::deep_cca_forward(cache, gaussian(9, 2, 1), gaussian(8, 2, 2)),
                      Contains("H1 has 9 rows and H2 has 8"));
    RowMatrix<double> bad = gaussian(20, 3, 1);
    bad(4, 2) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(cca::deep_cca_forward(cache, bad, gaussian(20, 3, 2)),
                      Contains("H1 has a non-finite value"));
    CHECK_THROWS_WITH(
        cca::deep_cca_forward(cache, gaussian(20, 3, 1), RowMatrix<double>::Ones(20, 2)),
        Contains("H2 is constant over the batch"));
    cca::DeepCcaOptions o;
    o.ridge = 0.0;
    RowMatrix<double> collinear = gaussian(20, 3, 1);
    collinear.col(2) = collinear.col(0);
    CHECK_THROWS_WITH(cca::deep_cca_forward(cache, collinear, gaussian(20, 2, 2), o),
                      Contains("singular covariance"));
    o.ridge = 1e-3;
    o.components = 4;
    CHECK_THROWS_WITH(cca::deep_cca_forward(cache, gaussian(20, 3, 1), gaussian(20, 4, 2), o),
                      Contains("components must be in [0, 3]"));
    RowMatrix<double> wrong = RowMatrix<double>::Zero(5, 5);
    cca::deep_cca_forward(cache, gaussian(20, 3, 1), gaussian(20, 2, 2));
    CHECK_THROWS_WITH(cca::deep_cca_backward<double>(&wrong, nullptr, cache),
                      Contains("dh1 is 5x5, expected 20x3"));
    CHECK_THROWS_WITH(cca::deep_cca_backward<double>(&wrong, nullptr, cca::DeepCcaCache{}),
                      Contains("call deep_cca_forward first"));

    cca::SoftCcaCache soft;
    CHECK_THROWS_WITH(cca::soft_cca_forward(soft, gaussian(10, 3, 1), gaussian(10, 2, 2)),
                      Contains("expected the same shape"));
    CHECK_THROWS_WITH(cca::soft_cca_forward(soft, gaussian(1, 3, 1), gaussian(1, 3, 2)),
                      Contains("at least 2 rows"));
    RowMatrix<double> flat = gaussian(10, 3, 1);
    flat.col(1).setConstant(2.0);
    CHECK_THROWS_WITH(cca::soft_cca_forward(soft, gaussian(10, 3, 2), flat),
                      Contains("H2 column 1 is constant"));
    cca::SoftCcaState state;
    state.running1 = Matrix<double>::Identity(4, 4);
    state.running2 = Matrix<double>::Identity(4, 4);
    CHECK_THROWS_WITH(cca::soft_cca_forward(soft, gaussian(10, 3, 1), gaussian(10, 3, 2), state),
                      Contains("state is for width 4, expected 3"));
    cca::SoftCcaOptions bad_decay;
    bad_decay.decay = 1.0;
    CHECK_THROWS_WITH(
        cca::soft_cca_forward(soft, gaussian(10, 3, 1), gaussian(10, 3, 2), {}, bad_decay),
        Contains("decay must be in [0, 1)"));
}
