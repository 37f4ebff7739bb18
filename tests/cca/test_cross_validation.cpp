// Held-out CCA: contiguous folds with gaps, equal to fitting by hand; near 0 for unrelated data
// (where in-sample CCA is not) and near ρ for the known-ρ construction; the student metric with
// its circular-shift null.
#include <jepasnn/cca/cross_validation.hpp>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::gaussian;
using jepasnn::test::shared_latent_views;

TEST_CASE("folds partition the rows into contiguous blocks") {
    for (Index n : {10, 11, 57}) {
        for (Index k : {2, 3, 5}) {
            Index next = 0;
            for (Index f = 0; f < k; ++f) {
                const auto [begin, end] = cca::detail::fold_rows(n, k, f);
                CHECK(begin == next);
                CHECK(end - begin >= n / k);
                CHECK(end - begin <= n / k + 1);
                next = end;
            }
            CHECK(next == n);
        }
    }
}

TEST_CASE("cross-validated CCA equals fitting each fold by hand") {
    const auto v = shared_latent_views(300, 4, 3, 2, 1.0, 41);
    cca::CrossValidationOptions o;
    o.folds = 4;
    o.gap = 7;
    o.cca.ridge = 0.01;
    const cca::CrossValidatedCcaResult cv = cca::cross_validated_cca(v.x, v.y, o);
    REQUIRE(cv.fold_correlations.rows() == 4);
    REQUIRE(cv.fold_correlations.cols() == 3);
    for (Index f = 0; f < 4; ++f) {
        const auto [begin, end] = cca::detail::fold_rows(300, 4, f);
        const Index before = std::max<Index>(0, begin - 7), after = std::min<Index>(300, end + 7);
        RowMatrix<double> xt(before + 300 - after, 4), yt(before + 300 - after, 3);
        xt << v.x.topRows(before), v.x.bottomRows(300 - after);
        yt << v.y.topRows(before), v.y.bottomRows(300 - after);
        const cca::HeldoutCca h = cca::heldout_cca(xt, yt, v.x.middleRows(begin, end - begin),
                                                   v.y.middleRows(begin, end - begin), o.cca);
        INFO("fold " << f);
        CHECK((cv.fold_correlations.row(f).transpose() - h.correlations).cwiseAbs().maxCoeff() <
              1e-10);
    }
    CHECK(cv.mean_cca == Approx(cv.fold_correlations.mean()));
}

TEST_CASE("held-out correlations of unrelated data are near 0 while in-sample ones are not") {
    const RowMatrix<double> x = gaussian(400, 10, 1), y = gaussian(400, 10, 2);
    const double in_sample = cca::canonical_correlations(x, y).mean_cca;
    const double held_out = cca::cross_validated_cca(x, y).mean_cca;
    INFO("in-sample " << in_sample << ", held-out " << held_out);
    CHECK(in_sample > 0.1);            // chance pq/(n − 1) in Σρ²
    CHECK(std::abs(held_out) < 0.05);  // ≈ 1/√80 per fold and component, averaged
}

TEST_CASE("held-out correlations recover the known rho") {
    const double sigma = 0.7, rho = 1.0 / (1.0 + sigma * sigma);
    const RowMatrix<double> z = gaussian(3000, 2, 5);
    const RowMatrix<double> x = z + sigma * gaussian(3000, 2, 6);
    const RowMatrix<double> y = z * test::random_orthogonal(2, 3) + sigma * gaussian(3000, 2, 7);
    const cca::CrossValidatedCcaResult cv = cca::cross_validated_cca(x, y);
    CHECK((cv.correlations.array() - rho).abs().maxCoeff() < 0.03);
}

TEST_CASE("the held-out report beats its circular-shift null for related views only") {
    cca::NullOptions o{cca::NullKind::circular_shift, 400, 17};
    const auto v = shared_latent_views(1000, 5, 4, 2, 1.0, 61);
    const cca::HeldoutReport related = cca::heldout_cca_with_null(
        v.x.topRows(700), v.y.topRows(700), v.x.bottomRows(300), v.y.bottomRows(300), o);
    CHECK(related.cca_heldout > related.null_p95);
    CHECK(related.null.p_value == Approx(1.0 / 401.0));
    CHECK(related.null.statistic == "heldout_mean_cca");
    CHECK(related.null.observed == Approx(related.cca_heldout));
    CHECK(related.heldout.variates_x.rows() == 300);

    const RowMatrix<double> other = gaussian(1000, 4, 62);
    const cca::HeldoutReport unrelated = cca::heldout_cca_with_null(
        v.x.topRows(700), other.topRows(700), v.x.bottomRows(300), other.bottomRows(300), o);
    CHECK(std::abs(unrelated.null.mean) < 0.02);
    CHECK(unrelated.null.p_value > 0.01);
}

TEST_CASE("cross-validated CCA is a measure with a null") {
    const auto v = shared_latent_views(200, 3, 3, 2, 0.8, 71);
    cca::CrossValidatedCca measure;
    measure.options.folds = 3;
    const cca::NullDistribution d =
        cca::null_distribution(measure, v.x, v.y, {cca::NullKind::circular_shift, 12, 3});
    CHECK(d.statistic == "cv_mean_cca");
    CHECK(d.observed > d.quantile(1.0));
    CHECK(std::abs(d.mean) < 0.15);
}

TEST_CASE("bad cross-validation settings are clear errors") {
    const RowMatrix<double> x = gaussian(30, 3, 1), y = gaussian(30, 2, 2);
    cca::CrossValidationOptions o;
    using Catch::Contains;
    o.folds = 1;
    CHECK_THROWS_WITH(cca::cross_validated_cca(x, y, o), Contains("at least 2 folds"));
    o.folds = 20;
    CHECK_THROWS_WITH(cca::cross_validated_cca(x, y, o), Contains("too few for 20 folds"));
    o.folds = 2;
    o.gap = 14;
    CHECK_THROWS_WITH(cca::cross_validated_cca(x, y, o), Contains("training rows"));
    CHECK_THROWS_WITH(cca::heldout_cca(x, y, x.topRows(1), y.topRows(1)),
                      Contains("at least 2 test rows"));
    CHECK_THROWS_WITH(cca::heldout_cca(x, y, x.topRows(5), y.topRows(4)),
                      Contains("X_test has 5 rows and Y_test has 4"));
    CHECK_THROWS_WITH(cca::heldout_cca(x, y, y.topRows(5), y.topRows(5)),
                      Contains("data has 2 columns, expected 3"));
}
