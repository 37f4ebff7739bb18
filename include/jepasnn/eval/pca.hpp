// Principal component analysis, the baseline "same-dimension linear summary" of the counts:
// centre, then the top-k eigenvectors of the sample covariance (via the covariance when there are
// more rows than columns, else via the SVD of the centred data). Conventions follow scikit-learn's
// PCA: explained variance s²/(n − 1), and each component's sign chosen so that the largest-|·|
// score of that component is positive (svd_flip with the U-based decision).
#pragma once

#include "../core/eigen.hpp"

#include <utility>

#include "../core/error.hpp"
#include "regression.hpp"

namespace jepasnn::eval {

struct Pca {
    RowVector<double> mean;                   // (p)
    Matrix<double> components;                // (p, k) orthonormal columns
    Vector<double> explained_variance;        // (k)
    Vector<double> explained_variance_ratio;  // (k) of the total variance

    Index dimension() const { return components.cols(); }

    /// Scores (n × k) of rows of the same p features.
    Mat transform(ConstMat x) const {
        require(x.cols() == components.rows(), "eval::Pca::transform", "data have ", x.cols(),
                " columns, the PCA was fitted on ", components.rows());
        return (x.rowwise() - mean) * components;
    }

    /// The PCA of n rows given by their mean (p) and centred scatter Σ(x − x̄)ᵀ(x − x̄) (p, p), as
    /// summed by AffineMoments over rows streamed by: the top-k eigenvectors of the covariance
    /// scatter/(n − 1). Each component's sign is the eigensolver's; fit() orients them.
    static Pca from_scatter(RowVector<double> mean, const Matrix<double>& scatter, Index n,
                            Index k) {
        constexpr std::string_view where = "eval::Pca::from_scatter";
        const Index p = scatter.rows();
        require(scatter.cols() == p && mean.size() == p && n >= 2, where, "mean of ", mean.size(),
                ", scatter ", scatter.rows(), "x", scatter.cols(), " and ", n,
                " rows, expected p, p x p and n >= 2");
        require(k >= 1 && k <= p, where, "dimension ", k, " outside [1, ", p, "]");
        require(scatter.allFinite(), where, "the scatter has a non-finite entry");
        const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(scatter /
                                                                static_cast<double>(n - 1));
        const Vector<double> all_variance = eig.eigenvalues().reverse().cwiseMax(0.0);
        Pca pca;
        pca.mean = std::move(mean);
        pca.components = eig.eigenvectors().rowwise().reverse().leftCols(k);
        pca.explained_variance = all_variance.head(k);
        const double total = scatter.trace() / static_cast<double>(n - 1);
        pca.explained_variance_ratio = pca.explained_variance / (total > 0.0 ? total : 1.0);
        return pca;
    }

    static Pca fit(ConstMat x, Index k) {
        constexpr std::string_view where = "eval::Pca::fit";
        const Index n = x.rows(), p = x.cols();
        require(n >= 2, where, "needs at least 2 rows, found ", n);
        require(k >= 1 && k <= std::min(n, p), where, "dimension ", k, " outside [1, min(", n, ", ",
                p, ")]");
        require_finite(where, "data", x);
        const RowVector<double> mean = x.colwise().mean();
        const Matrix<double> xc = x.rowwise() - mean;  // (n, p)
        Pca pca;
        if (n >= p) {
            pca = from_scatter(mean, xc.transpose() * xc, n, k);
        } else {
            const Eigen::BDCSVD<Matrix<double>> svd(xc, Eigen::ComputeThinV);
            const Vector<double> all_variance =
                svd.singularValues().array().square() / static_cast<double>(n - 1);
            pca.mean = mean;
            pca.components = svd.matrixV().leftCols(k);
            pca.explained_variance = all_variance.head(k);
            const double total = xc.array().square().sum() / static_cast<double>(n - 1);
            pca.explained_variance_ratio = pca.explained_variance / (total > 0.0 ? total : 1.0);
        }
        const Matrix<double> scores = xc * pca.components;
        for (Index j = 0; j < k; ++j) {
            Index at = 0;
            scores.col(j).cwiseAbs().maxCoeff(&at);
            if (scores(at, j) < 0.0) pca.components.col(j) *= -1.0;
        }
        return pca;
    }
};

}  // namespace jepasnn::eval
