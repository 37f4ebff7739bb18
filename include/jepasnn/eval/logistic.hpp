// Multinomial logistic regression with an L2 penalty on the weights (not the intercepts), the
// objective of scikit-learn's LogisticRegression(multi_class="multinomial", C=C):
//   C·Σ_i −log softmax(x_i W + b)_{y_i} + ½||W||²,
// minimised with L-BFGS on the equivalent (1/n)-scaled objective. Every class keeps its own weight
// vector (also for two classes); intercepts are reported centred (they sum to zero), which leaves
// the probabilities unchanged.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "../core/error.hpp"
#include "lbfgs.hpp"
#include "regression.hpp"

namespace jepasnn::eval {

struct LogisticOptions {
    double C = 1.0;  // inverse regularisation strength
    LbfgsOptions solver{10, 5000, 1e-9};
};

struct LogisticModel {
    std::vector<std::int64_t> classes;  // (K) distinct training labels, ascending
    Matrix<double> weight;              // (p, K)
    RowVector<double> bias;             // (K), centred
    bool converged = false;             // gradient tolerance met, or stalled at machine precision

    /// Class probabilities (n × K), columns in the order of `classes`.
    Mat predict_proba(ConstMat x) const {
        require(x.cols() == weight.rows(), "eval::LogisticModel", "features have ", x.cols(),
                " columns, the model expects ", weight.rows());
        Mat z = x * weight;
        z.rowwise() += bias;
        for (Index i = 0; i < z.rows(); ++i) {
            const double m = z.row(i).maxCoeff();
            z.row(i) = (z.row(i).array() - m).exp();
            z.row(i) /= z.row(i).sum();
        }
        return z;
    }

    /// The most probable class of each row (ties: the smaller label).
    std::vector<std::int64_t> predict(ConstMat x) const {
        const Mat p = predict_proba(x);
        std::vector<std::int64_t> out(static_cast<std::size_t>(p.rows()));
        for (Index i = 0; i < p.rows(); ++i) {
            Index best = 0;
            p.row(i).maxCoeff(&best);
            out[static_cast<std::size_t>(i)] = classes[static_cast<std::size_t>(best)];
        }
        return out;
    }
};

inline LogisticModel fit_logistic(ConstMat x, std::span<const std::int64_t> labels,
                                  const LogisticOptions& options = {}) {
    constexpr std::string_view where = "eval::fit_logistic";
    require(static_cast<Index>(labels.size()) == x.rows(), where, "labels has ", labels.size(),
            " entries for ", x.rows(), " rows");
    require(options.C > 0.0, where, "C is ", options.C, ", expected > 0");
    require_finite(where, "features", x);
    LogisticModel m;
    m.classes.assign(labels.begin(), labels.end());
    std::sort(m.classes.begin(), m.classes.end());
    m.classes.erase(std::unique(m.classes.begin(), m.classes.end()), m.classes.end());
    require(m.classes.size() >= 2, where, "needs at least 2 classes, found ", m.classes.size());
    const Index n = x.rows(), p = x.cols(), k = static_cast<Index>(m.classes.size());
    std::vector<Index> y(labels.size());  // class index of each row
    for (std::size_t i = 0; i < labels.size(); ++i)
        y[i] = std::lower_bound(m.classes.begin(), m.classes.end(), labels[i]) - m.classes.begin();

    // θ = [vec(W) column-major (p·K), b (K)].
    const double inv_n = 1.0 / static_cast<double>(n);
    const double l2 = 1.0 / (options.C * static_cast<double>(n));
    auto objective = [&](const Vector<double>& theta, Vector<double>& grad) {
        const Eigen::Map<const Matrix<double>> w(theta.data(), p, k);
        const Eigen::Map<const RowVector<double>> b(theta.data() + p * k, k);
        Mat z = x * w;  // (n, K) logits, then probabilities
        z.rowwise() += b;
        double loss = 0.0;
        for (Index i = 0; i < n; ++i) {
            const double mx = z.row(i).maxCoeff();
            const double lse = mx + std::log((z.row(i).array() - mx).exp().sum());
            loss += lse - z(i, y[static_cast<std::size_t>(i)]);
            z.row(i) = (z.row(i).array() - lse).exp();
            z(i, y[static_cast<std::size_t>(i)]) -= 1.0;  // P − Y
        }
        grad.resize(theta.size());
        Eigen::Map<Matrix<double>> dw(grad.data(), p, k);
        dw = inv_n * (x.transpose() * z) + l2 * w;
        Eigen::Map<RowVector<double>>(grad.data() + p * k, k) = inv_n * z.colwise().sum();
        return inv_n * loss + 0.5 * l2 * w.squaredNorm();
    };
    Vector<double> theta = Vector<double>::Zero(p * k + k);
    const LbfgsResult result = minimize_lbfgs(objective, theta, options.solver);
    m.converged = result.converged || result.stalled;
    m.weight = Eigen::Map<const Matrix<double>>(theta.data(), p, k);
    m.bias = Eigen::Map<const RowVector<double>>(theta.data() + p * k, k);
    m.bias.array() -= m.bias.mean();
    return m;
}

inline double accuracy(std::span<const std::int64_t> truth,
                       std::span<const std::int64_t> predicted) {
    require(truth.size() == predicted.size() && !truth.empty(), "eval::accuracy", "has ",
            truth.size(), " labels and ", predicted.size(), " predictions");
    std::size_t hits = 0;
    for (std::size_t i = 0; i < truth.size(); ++i)
        hits += truth[i] == predicted[i];
    return static_cast<double>(hits) / static_cast<double>(truth.size());
}

/// Mean of the per-class recalls (classes present in `truth`): chance is 1/K whatever the
/// class frequencies.
inline double balanced_accuracy(std::span<const std::int64_t> truth,
                                std::span<const std::int64_t> predicted) {
    require(truth.size() == predicted.size() && !truth.empty(), "eval::balanced_accuracy", "has ",
            truth.size(), " labels and ", predicted.size(), " predictions");
    std::vector<std::int64_t> classes(truth.begin(), truth.end());
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    double sum = 0.0;
    for (const auto c : classes) {
        std::size_t total = 0, hits = 0;
        for (std::size_t i = 0; i < truth.size(); ++i)
            if (truth[i] == c) {
                ++total;
                hits += predicted[i] == c;
            }
        sum += static_cast<double>(hits) / static_cast<double>(total);
    }
    return sum / static_cast<double>(classes.size());
}

}  // namespace jepasnn::eval
