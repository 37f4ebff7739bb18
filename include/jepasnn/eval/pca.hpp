// Principal component analysis, the baseline "same-dimension linear summary" of the counts:
// centre, then the top-k eigenvectors of the sample covariance (via the covariance when there are
// more rows than columns, else via the SVD of the centred data). Conventions follow scikit-learn's
// PCA: explained variance s²/(n − 1), and each component's sign chosen so that the largest-|·|
// score of that component is positive (svd_flip with the U-based decision).
#pragma once

#include "../core/eigen.hpp"

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

    static Pca fit(ConstMat x, Index k) {
        constexpr std::string_view where = "eval::Pca::fit";
        const Index n = x.rows(), p = x.cols();
        require(n >= 2, where, "needs at least 2 rows, found ", n);
        require(k >= 1 && k <= std::min(n, p), where, "dimension ", k, " outside [1, min(", n, ", ",
                p, ")]");
        require_finite(where, "data", x);
        Pca pca;
        pca.mean = x.colwise().mean();
        const Matrix<double> xc = x.rowwise() - pca.mean;  // (n, p)
        Vector<double> all_variance;                       // every eigenvalue, descending
        Matrix<double> vectors;                            // matching eigenvectors in columns
        if (n >= p) {
            const Matrix<double> cov = xc.transpose() * xc / static_cast<double>(n - 1);
            const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(cov);
            all_variance = eig.eigenvalues().reverse().cwiseMax(0.0);
            vectors = eig.eigenvectors().rowwise().reverse();
        } else {
            const Eigen::BDCSVD<Matrix<double>> svd(xc, Eigen::ComputeThinV);
            all_variance = svd.singularValues().array().square() / static_cast<double>(n - 1);
            vectors = svd.matrixV();
        }
        pca.components = vectors.leftCols(k);
        pca.explained_variance = all_variance.head(k);
        const double total = (xc.array().square().sum()) / static_cast<double>(n - 1);
        pca.explained_variance_ratio = pca.explained_variance / (total > 0.0 ? total : 1.0);
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
