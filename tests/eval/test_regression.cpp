// Affine maps, R² and ridge cross-validation against scikit-learn; contiguous folds against KFold.
#include <jepasnn/eval/probes.hpp>
#include <jepasnn/eval/regression.hpp>

#include <rapidcheck/catch.h>

#include "eval_test_util.hpp"

namespace eval = jepasnn::eval;
using jepasnn::Index;
using jepasnn::test::mat;
using jepasnn::test::max_diff;
using jepasnn::test::row;

TEST_CASE("ridge and least-squares maps match scikit-learn") {
    const auto& g = jepasnn::test::sklearn_reference()["regression"];
    const auto x = mat(g["x"]), y = mat(g["y"]);
    const Index n = g["train_rows"];
    const auto ridge = eval::fit_affine(x.topRows(n), y.topRows(n), g["ridge_alpha"].get<double>());
    CHECK(max_diff(ridge.weight, mat(g["ridge_coef"])) < 1e-10);
    CHECK(max_diff(ridge.bias, row(g["ridge_intercept"])) < 1e-10);
    const auto ols = eval::fit_affine(x.topRows(n), y.topRows(n));
    CHECK(max_diff(ols.weight, mat(g["ols_coef"])) < 1e-10);
    CHECK(max_diff(ols.bias, row(g["ols_intercept"])) < 1e-10);
    // Rank-deficient features: the minimum-norm solution, as scipy's lstsq.
    const auto xd = mat(g["deficient_x"]);
    const auto def = eval::fit_affine(xd.topRows(n), y.topRows(n));
    CHECK(max_diff(def.weight, mat(g["deficient_coef"])) < 1e-9);
    CHECK(max_diff(def.bias, row(g["deficient_intercept"])) < 1e-9);
}

TEST_CASE("held-out R2 matches r2_score overall per output and per group") {
    const auto& g = jepasnn::test::sklearn_reference()["regression"];
    const auto x = mat(g["x"]), y = mat(g["y"]);
    const Index n = g["train_rows"];
    const auto map = eval::fit_affine(x.topRows(n), y.topRows(n), g["ridge_alpha"].get<double>());
    const jepasnn::RowMatrix<double> xt = x.bottomRows(x.rows() - n);
    const jepasnn::RowMatrix<double> yt = y.bottomRows(y.rows() - n);
    const auto pred = map.predict(xt);
    CHECK(eval::r2_score(yt, pred) == Approx(g["test_r2_uniform"].get<double>()).epsilon(1e-12));
    CHECK(eval::r2_score(yt, pred, eval::R2Average::variance_weighted) ==
          Approx(g["test_r2_variance_weighted"].get<double>()).epsilon(1e-12));
    CHECK(max_diff(eval::r2_per_output(yt, pred).transpose(), row(g["test_r2_per_output"])) <
          1e-12);
    const auto groups = jepasnn::test::labels(g["test_groups"]);
    const auto r = eval::heldout_r2(map, xt, yt, groups);
    CHECK(r.overall == Approx(g["test_r2_uniform"].get<double>()).epsilon(1e-12));
    REQUIRE(r.per_group.size() == 3);
    for (const auto& [label, value] : r.per_group)
        CHECK(value ==
              Approx(g["test_r2_per_group"][std::to_string(label)].get<double>()).epsilon(1e-12));
}

TEST_CASE("a fit on runs of rows is the fit on those rows copied") {
    // Rows with well-conditioned features (sines of distinct frequencies, near-orthogonal over
    // any 200 rows: the centred Gram's condition number is below 2) and a noisy affine target.
    // The runs fit sums the means and Gram matrices over blocks of stream_block_rows rows of
    // each run, the copy over blocks of the stacked rows: the sums differ only in rounding
    // order, ≤ n·ε relative for n ≤ 34000 rows (≈ 8e-12), so weights of size ≤ 2 agree to
    // 1e-9 (ridge 0 or not).
    rc::prop("same weights and bias within rounding, runs longer than a block included", [] {
        // 1..6 runs of 200..5000 rows, apart by 0..500 rows.
        std::vector<jepasnn::data::RowRange> runs;
        Index n = 0;
        for (int k = *rc::gen::inRange(1, 7); k > 0; --k) {
            const Index begin = n + *rc::gen::inRange<Index>(0, 501);
            n = begin + *rc::gen::inRange<Index>(200, 5001);
            runs.push_back({begin, n});
        }
        n += *rc::gen::inRange<Index>(0, 501);
        const auto phase = *rc::gen::inRange(0, 1000);
        jepasnn::RowMatrix<double> x(n, 4), y(n, 2);
        for (Index i = 0; i < n; ++i) {
            for (Index j = 0; j < 4; ++j)
                x(i, j) = std::sin(0.37 * static_cast<double>((j + 1) * (i + phase)) + j);
            y(i, 0) = 2.0 * x(i, 0) - x(i, 3) + 0.5 + 0.1 * std::cos(1.3 * static_cast<double>(i));
            y(i, 1) = x(i, 1) + 0.1 * std::sin(0.7 * static_cast<double>(i));
        }
        const auto xs = eval::take_runs(x, runs), ys = eval::take_runs(y, runs);
        RC_ASSERT(xs.rows() == jepasnn::data::rows_in(runs));
        for (const double ridge : {0.0, 3.0}) {
            const auto a = eval::fit_affine(x, y, runs, ridge);
            const auto b = eval::fit_affine(xs, ys, ridge);
            RC_ASSERT(max_diff(a.weight, b.weight) <= 1e-9);
            RC_ASSERT(max_diff(a.bias, b.bias) <= 1e-9);
        }
    });
    jepasnn::RowMatrix<double> x = jepasnn::RowMatrix<double>::Ones(10, 2), y(10, 1);
    y.setZero();
    const std::vector<jepasnn::data::RowRange> outside{{4, 11}};
    CHECK_THROWS_WITH(eval::fit_affine(x, y, outside, 1.0),
                      Catch::Contains("rows 4..11 out of range for 10 rows"));
    x(7, 1) = std::nan("");
    const std::vector<jepasnn::data::RowRange> runs{{0, 2}, {5, 9}};
    CHECK_THROWS_WITH(eval::fit_affine(x, y, runs, 1.0),
                      Catch::Contains("row 7 of the features has a non-finite value"));
    const std::vector<jepasnn::data::RowRange> none{{3, 3}};
    CHECK_THROWS_WITH(eval::fit_affine(x, y, none, 1.0), Catch::Contains("no rows"));
}

TEST_CASE("R2 follows the scikit-learn conventions for constant targets") {
    jepasnn::RowMatrix<double> y(3, 2), yhat(3, 2);
    y << 1, 2, 1, 3, 1, 4;
    yhat << 1, 2, 1, 3, 1, 4;
    CHECK(eval::r2_per_output(y, yhat)(0) == 1.0);  // constant and exact
    yhat(0, 0) = 1.5;
    CHECK(eval::r2_per_output(y, yhat)(0) == 0.0);  // constant, missed
    CHECK(eval::r2_per_output(y, yhat)(1) == 1.0);
    CHECK_THROWS_WITH(eval::r2_score(y, yhat.leftCols(1)), Catch::Contains("predictions 3x1"));
}

TEST_CASE("ridge cross-validation over contiguous folds matches GridSearchCV with KFold") {
    const auto& g = jepasnn::test::sklearn_reference()["ridge_cv"];
    const auto& d = jepasnn::test::sklearn_reference()["regression"];
    const auto alphas = g["alphas"].get<std::vector<double>>();
    const auto r = eval::ridge_cv(mat(d["x"]), mat(d["y"]), alphas, g["folds"].get<Index>());
    const auto expect = g["mean_r2"].get<std::vector<double>>();
    for (std::size_t i = 0; i < alphas.size(); ++i)
        CHECK(r.mean_r2[i] == Approx(expect[i]).epsilon(1e-10));
    CHECK(r.alpha == g["best_alpha"].get<double>());
    CHECK(max_diff(r.map.weight, mat(g["coef"])) < 1e-10);
    CHECK(max_diff(r.map.bias, row(g["intercept"])) < 1e-10);
}

TEST_CASE("contiguous folds are KFold without shuffling and honour the gap") {
    const auto& g = jepasnn::test::sklearn_reference()["kfold"];
    const auto folds = eval::contiguous_folds(g["n"], g["k"]);
    for (std::size_t i = 0; i < folds.size(); ++i)
        CHECK(folds[i].test == g["test"][i].get<std::vector<Index>>());
    rc::prop("test blocks partition the rows and training keeps its distance", [] {
        const Index k = *rc::gen::inRange(2, 7);
        const Index n = *rc::gen::inRange<Index>(k * 3, 200);
        const Index gap = *rc::gen::inRange<Index>(0, 3);
        const auto folds = eval::contiguous_folds(n, k, gap);
        std::vector<int> seen(static_cast<std::size_t>(n), 0);
        for (const auto& f : folds) {
            for (std::size_t i = 1; i < f.test.size(); ++i)
                RC_ASSERT(f.test[i] == f.test[i - 1] + 1);
            for (const Index t : f.test)
                ++seen[static_cast<std::size_t>(t)];
            for (const Index r : f.train)
                RC_ASSERT((r < f.test.front() - gap || r > f.test.back() + gap));
            RC_ASSERT(static_cast<Index>(f.train.size() + f.test.size()) <= n);
        }
        for (const int s : seen)
            RC_ASSERT(s == 1);
    });
    CHECK_THROWS_WITH(eval::contiguous_folds(3, 5), Catch::Contains("only 3 rows for 5 folds"));
}

TEST_CASE("transfer R2 fits on one group of rows and tests on another") {
    // y = x·w in group 0; in group 1 the code changes (y = −x·w): a map fit on group 0 fails there.
    jepasnn::RowMatrix<double> x(200, 3), y(200, 1);
    std::vector<std::int64_t> group(200);
    for (Index i = 0; i < 200; ++i) {
        x.row(i) << std::sin(0.3 * i), std::cos(0.17 * i), std::sin(0.05 * i + 1.0);
        group[static_cast<std::size_t>(i)] = i < 100 ? 0 : 1;
        const double v = x(i, 0) - 2.0 * x(i, 2);
        y(i, 0) = i < 100 ? v : -v;
    }
    const auto a = eval::rows_in_group(group, 0), b = eval::rows_in_group(group, 1);
    CHECK(a.size() == 100);
    CHECK(eval::transfer_r2(x, y, a, a, 0.0) == Approx(1.0));
    CHECK(eval::transfer_r2(x, y, a, b, 0.0) < -1.0);
    CHECK_THROWS_WITH(eval::fit_affine(x, y.topRows(10)), Catch::Contains("targets 10"));
}
