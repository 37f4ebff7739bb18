// Multinomial logistic probes against scikit-learn's LogisticRegression (coefficients,
// probabilities, cross-validated C), accuracy measures and cross-state transfer.
#include <jepasnn/eval/probes.hpp>

#include "eval_test_util.hpp"

namespace eval = jepasnn::eval;
using jepasnn::Index;
using jepasnn::test::labels;
using jepasnn::test::mat;
using jepasnn::test::max_diff;
using jepasnn::test::row;

TEST_CASE("multinomial logistic regression matches scikit-learn") {
    const auto& g = jepasnn::test::sklearn_reference()["logistic"];
    const auto x = mat(g["x"]);
    const auto y = labels(g["y"]);
    const auto m = eval::fit_logistic(x, y, {g["C"].get<double>()});
    CHECK(m.converged);
    CHECK(m.classes == labels(g["classes"]));
    CHECK(max_diff(m.weight, mat(g["coef"])) < 1e-6);
    CHECK(max_diff(m.bias, row(g["intercept"])) < 1e-6);
    const auto xt = mat(g["x_test"]);
    CHECK(max_diff(m.predict_proba(xt), mat(g["proba_test"])) < 1e-7);
    CHECK(m.predict(xt) == labels(g["predict_test"]));
    CHECK(eval::accuracy(y, m.predict(x)) == Approx(g["train_accuracy"].get<double>()));
    // Two classes keep one weight vector each (antisymmetric at the optimum).
    const auto m2 = eval::fit_logistic(x, labels(g["binary_y"]), {g["binary_C"].get<double>()});
    const jepasnn::Vector<double> w1 = row(g["binary_coef"]).transpose();
    CHECK(max_diff(m2.weight.col(1), w1) < 1e-6);
    CHECK(max_diff(m2.weight.col(0), -w1) < 1e-6);
    CHECK(m2.bias(1) == Approx(g["binary_intercept"].get<double>()).margin(1e-6));
}

TEST_CASE("logistic cross-validation over contiguous folds matches GridSearchCV") {
    const auto& g = jepasnn::test::sklearn_reference()["logistic"];
    const auto cs = g["cv_Cs"].get<std::vector<double>>();
    const auto r = eval::logistic_cv(mat(g["x"]), labels(g["y"]), cs, 5);
    const auto expect = g["cv_mean_accuracy"].get<std::vector<double>>();
    for (std::size_t i = 0; i < cs.size(); ++i)
        CHECK(r.mean_accuracy[i] == Approx(expect[i]).epsilon(1e-12));
    CHECK(r.C == g["cv_best_C"].get<double>());
}

TEST_CASE("accuracy and balanced accuracy count hits per class") {
    const std::vector<std::int64_t> truth{0, 0, 0, 0, 1, 1}, pred{0, 0, 0, 0, 0, 1};
    CHECK(eval::accuracy(truth, pred) == Approx(5.0 / 6.0));
    CHECK(eval::balanced_accuracy(truth, pred) == Approx(0.75));
    const std::vector<std::int64_t> two{0, 1}, ones{1, 1, 1};
    CHECK_THROWS_WITH(eval::accuracy(truth, two), Catch::Contains("6 labels and 2 predictions"));
    CHECK_THROWS_WITH(eval::fit_logistic(jepasnn::RowMatrix<double>::Zero(3, 2), ones),
                      Catch::Contains("at least 2 classes"));
}

TEST_CASE("transfer accuracy drops when the code changes between groups") {
    // The class is the sign of feature 0 in group 0 and of feature 1 in group 1.
    jepasnn::RowMatrix<double> x(400, 2);
    std::vector<std::int64_t> y(400), group(400);
    for (Index i = 0; i < 400; ++i) {
        x(i, 0) = std::sin(0.37 * i);
        x(i, 1) = std::cos(0.23 * i + 0.5);
        group[static_cast<std::size_t>(i)] = i % 2;
        y[static_cast<std::size_t>(i)] = (i % 2 == 0 ? x(i, 0) : x(i, 1)) > 0.0;
    }
    const auto a = eval::rows_in_group(group, 0), b = eval::rows_in_group(group, 1);
    CHECK(eval::transfer_accuracy(x, y, a, a, 10.0) > 0.95);
    CHECK(eval::transfer_accuracy(x, y, a, b, 10.0) < 0.75);
}
