// Classical and ridge CCA: what the weights and variates mean, precision of the inputs, thread
// independence, rank detection, and errors for bad input.
#include <jepasnn/cca/canonical_correlations.hpp>
#include <jepasnn/core/threads.hpp>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::gaussian;
using jepasnn::test::shared_latent_views;

TEST_CASE("variates have unit variance and cross-correlate as diag rho") {
    const auto v = shared_latent_views(500, 7, 5, 3, 0.7, 11);
    cca::CcaOptions o;
    o.variates = true;
    const cca::CcaResult r = cca::canonical_correlations(v.x, v.y, o);
    const Index k = r.components();
    REQUIRE(k == 5);
    REQUIRE(r.variates_x.rows() == 500);
    REQUIRE(r.variates_x.cols() == k);
    const Matrix<double> uu = r.variates_x.transpose() * r.variates_x / 499.0;
    const Matrix<double> vv = r.variates_y.transpose() * r.variates_y / 499.0;
    const Matrix<double> uv = r.variates_x.transpose() * r.variates_y / 499.0;
    CHECK((uu - Matrix<double>::Identity(k, k)).cwiseAbs().maxCoeff() < 1e-12);
    CHECK((vv - Matrix<double>::Identity(k, k)).cwiseAbs().maxCoeff() < 1e-12);
    const Matrix<double> diag_rho = r.correlations.asDiagonal();
    CHECK((uv - diag_rho).cwiseAbs().maxCoeff() < 1e-12);
    // Descending, in [0, 1], summaries consistent.
    for (Index i = 1; i < k; ++i)
        CHECK(r.correlations(i) <= r.correlations(i - 1));
    CHECK(r.correlations.minCoeff() >= 0.0);
    CHECK(r.correlations.maxCoeff() <= 1.0);
    CHECK(r.mean_cca == Approx(r.correlations.mean()).epsilon(1e-15));
    CHECK(r.r2_cca == Approx(r.correlations.squaredNorm() / double(k)).epsilon(1e-15));
    // The sign convention: the largest-magnitude entry of each X weight column is positive.
    for (Index i = 0; i < k; ++i) {
        Index at = 0;
        r.weights_x.col(i).cwiseAbs().maxCoeff(&at);
        CHECK(r.weights_x(at, i) > 0.0);
    }
    // project_x on the training rows reproduces the variates.
    CHECK((r.project_x(v.x) - r.variates_x).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(r.mean_x.size() == 7);
    CHECK((r.mean_y.transpose() - v.y.colwise().mean()).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("float input gives exactly the answer of the same values in double") {
    const auto v = shared_latent_views(300, 4, 3, 2, 1.0, 5);
    const RowMatrix<float> xf = v.x.cast<float>(), yf = v.y.cast<float>();
    const RowMatrix<double> xd = xf.cast<double>(), yd = yf.cast<double>();
    const cca::CcaResult a = cca::canonical_correlations(xf, yf);
    const cca::CcaResult b = cca::canonical_correlations(xd, yd);
    CHECK(a.correlations == b.correlations);
    CHECK(a.weights_x == b.weights_x);
    // Mixed precision, expressions and column-major storage are read the same way.
    const Matrix<double> ycol = yd;
    const cca::CcaResult c = cca::canonical_correlations(xf, ycol);
    CHECK(c.correlations == b.correlations);
    const cca::CcaResult d = cca::canonical_correlations(2.0 * xd, yd.leftCols(2));
    CHECK(d.components() == 2);
}

TEST_CASE("the answer does not depend on the thread count") {
    // Several leaves of the tall-skinny QR (2048 rows each at this width) and a merge tree.
    const auto v = shared_latent_views(3 * 2048 + 77, 6, 5, 3, 0.9, 21);
    set_thread_count(1);
    const cca::CcaResult one = cca::canonical_correlations(v.x, v.y);
    set_thread_count(2);
    const cca::CcaResult two = cca::canonical_correlations(v.x, v.y);
    set_thread_count(1);
    CHECK(one.correlations == two.correlations);
    CHECK(one.weights_x == two.weights_x);
    CHECK(one.weights_y == two.weights_y);
}

TEST_CASE("rank is detected with the stated tolerance") {
    auto v = shared_latent_views(400, 6, 4, 3, 0.5, 8);
    v.x.col(5) = 2.0 * v.x.col(1) - 0.5 * v.x.col(2);  // rank 5 of 6
    v.y.col(3) = v.y.col(0);                           // rank 3 of 4
    const cca::CcaResult r = cca::canonical_correlations(v.x, v.y);
    CHECK(r.rank_x == 5);
    CHECK(r.rank_y == 3);
    CHECK(r.components() == 3);
    // The weights never use the dropped column's direction twice: variates stay unit variance.
    cca::CcaOptions o;
    o.variates = true;
    const cca::CcaResult w = cca::canonical_correlations(v.x, v.y, o);
    const Matrix<double> uu = w.variates_x.transpose() * w.variates_x / 399.0;
    CHECK((uu - Matrix<double>::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-10);
    // A near-dependence at 1e-9 is a real direction at the default tolerance, not at 1e-6.
    v.x.col(5) += 1e-9 * gaussian(400, 1, 3);
    CHECK(cca::canonical_correlations(v.x, v.y).rank_x == 6);
    o.rank_tolerance = 1e-6;
    CHECK(cca::canonical_correlations(v.x, v.y, o).rank_x == 5);
}

TEST_CASE("ridge zero is classical CCA and a ridge shrinks every correlation") {
    const auto v = shared_latent_views(200, 8, 6, 3, 1.0, 13);
    const cca::CcaResult plain = cca::canonical_correlations(v.x, v.y);
    cca::CcaOptions o;
    o.ridge = 0.0;
    CHECK(cca::canonical_correlations(v.x, v.y, o).correlations == plain.correlations);
    Vector<double> previous = plain.correlations;
    for (double eps : {1e-3, 1e-1, 1.0, 10.0}) {
        o.ridge = eps;
        const cca::CcaResult r = cca::canonical_correlations(v.x, v.y, o);
        INFO("ridge " << eps);
        REQUIRE(r.components() == plain.components());
        CHECK((r.correlations.array() <= previous.array() + 1e-12).all());
        previous = r.correlations;
    }
    // Scale-relative: rescaling a view does not change the ridge answer.
    o.ridge = 0.1;
    const Vector<double> a = cca::canonical_correlations(v.x, v.y, o).correlations;
    const Vector<double> b = cca::canonical_correlations(1e4 * v.x, 1e-3 * v.y, o).correlations;
    CHECK((a - b).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("bad input to canonical_correlations is a clear error") {
    const RowMatrix<double> x = gaussian(20, 3, 1), y = gaussian(20, 2, 2);
    using Catch::Contains;
    CHECK_THROWS_WITH(cca::canonical_correlations(x, gaussian(19, 2, 2)),
                      Contains("X has 20 rows and Y has 19, expected the same"));
    CHECK_THROWS_WITH(cca::canonical_correlations(gaussian(3, 3, 1), gaussian(3, 2, 2)),
                      Contains("too few samples: 3 rows for 3 and 2 columns, expected at least 4"));
    CHECK_THROWS_WITH(cca::canonical_correlations(RowMatrix<double>(20, 0), y),
                      Contains("empty view"));
    RowMatrix<double> bad = x;
    bad(7, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(cca::canonical_correlations(bad, y),
                      Contains("X has a non-finite value (nan) at row 7, column 1"));
    bad(7, 1) = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(cca::canonical_correlations(y, bad), Contains("Y has a non-finite value"));
    CHECK_THROWS_WITH(cca::canonical_correlations(RowMatrix<double>::Constant(20, 3, 4.0), y),
                      Contains("X is constant"));
    bad = RowMatrix<double>::Constant(20, 3, 1e300);
    bad(0, 0) = -1e300;
    CHECK_THROWS_WITH(cca::canonical_correlations(bad, y), Contains("values too large"));
    cca::CcaOptions o;
    o.ridge = -1.0;
    CHECK_THROWS_WITH(cca::canonical_correlations(x, y, o), Contains("ridge must be finite"));
    o.ridge = 0.0;
    o.rank_tolerance = 1.5;
    CHECK_THROWS_WITH(cca::canonical_correlations(x, y, o), Contains("rank_tolerance"));
    const cca::CcaResult r = cca::canonical_correlations(x, y);
    CHECK_THROWS_WITH(r.project_x(y), Contains("data has 2 columns, expected 3"));
    CHECK_THROWS_WITH(cca::chance_level(3, 2, 1), Contains("n >= 2"));
    CHECK(cca::chance_level(3, 2, 7) == Approx(1.0));
}
