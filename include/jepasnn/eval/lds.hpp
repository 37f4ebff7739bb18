// A linear dynamical system baseline of the same latent dimension, fitted without EM by least
// squares (the PCA/regression initialisation commonly used before EM; Ghahramani & Hinton 1996;
// Roweis & Ghahramani 1999): observations y_t = C x_t + d + v_t with C the top-q principal
// directions and d the mean, states x̂_t the PCA scores, dynamics A = argmin Σ||x̂_{t+1} − A x̂_t||²,
// Q the covariance of those residuals, R the per-unit variance of y − C x̂ − d (diagonal). Latents
// are then the causal steady-state Kalman-filtered states x_{t|t} — causal, like the teacher's.
#pragma once

#include "../core/eigen.hpp"

#include "../core/error.hpp"
#include "pca.hpp"

namespace jepasnn::eval {

struct LinearDynamicalBaseline {
    Pca pca;                           // C = pca.components (p, q), d = pca.mean
    Matrix<double> dynamics;           // A (q, q)
    Matrix<double> state_noise;        // Q (q, q)
    Vector<double> observation_noise;  // diag R (p)
    Matrix<double> filtered_cov;       // steady-state P_{t|t} (q, q)
    Matrix<double> gain;               // steady-state Kalman gain K = P_{t|t} Cᵀ R⁻¹ (q, p)

    Index dimension() const { return dynamics.rows(); }

    /// Fits on the consecutive rows of y (T × p), one continuous recording.
    static LinearDynamicalBaseline fit(ConstMat y, Index q) {
        constexpr std::string_view where = "eval::LinearDynamicalBaseline::fit";
        require(y.rows() >= q + 2, where, "needs more than ", q + 1, " rows, found ", y.rows());
        LinearDynamicalBaseline m;
        m.pca = Pca::fit(y, q);
        const Mat x = m.pca.transform(y);  // (T, q)
        const Index t = x.rows();
        const Matrix<double> x0 = x.topRows(t - 1), x1 = x.bottomRows(t - 1);
        // x_{t+1} = x_t Aᵀ: Aᵀ solves the normal equations (x0ᵀx0) Aᵀ = x0ᵀx1.
        m.dynamics = (x0.transpose() * x0).ldlt().solve(x0.transpose() * x1).transpose();
        const Matrix<double> w = x1 - x0 * m.dynamics.transpose();  // (T − 1, q)
        m.state_noise = w.transpose() * w / static_cast<double>(t - 1);
        const Matrix<double> v = (y.rowwise() - m.pca.mean) - x * m.pca.components.transpose();
        m.observation_noise = v.colwise().squaredNorm().transpose() / static_cast<double>(t);
        const double floor = 1e-6 * std::max(m.observation_noise.mean(), 1e-300);
        m.observation_noise = m.observation_noise.cwiseMax(floor);

        // Riccati recursion to the steady state, in information form:
        //   P_pred = A P Aᵀ + Q,   P = (P_pred⁻¹ + Cᵀ R⁻¹ C)⁻¹.
        const Matrix<double>& c = m.pca.components;
        const Matrix<double> info =
            c.transpose() * m.observation_noise.cwiseInverse().asDiagonal() * c;
        const Matrix<double> eye = Matrix<double>::Identity(q, q);
        Matrix<double> p = x.transpose() * x / static_cast<double>(t);
        for (int it = 0; it < 100000; ++it) {
            const Matrix<double> pred = m.dynamics * p * m.dynamics.transpose() + m.state_noise;
            const Matrix<double> pred_inv = pred.llt().solve(eye);
            const Matrix<double> next = (pred_inv + info).llt().solve(eye);
            const double change = (next - p).cwiseAbs().maxCoeff();
            p = 0.5 * (next + next.transpose());
            if (change <= 1e-13 * (1.0 + p.cwiseAbs().maxCoeff())) break;
        }
        m.filtered_cov = p;
        m.gain = p * c.transpose() * m.observation_noise.cwiseInverse().asDiagonal();
        return m;
    }

    /// Causal filtered states x_{t|t} (T × q) of a recording of the same units, from x_{0|−1} = 0:
    /// x_{t|t−1} = A x_{t−1|t−1};  x_{t|t} = x_{t|t−1} + K (y_t − d − C x_{t|t−1}).
    Mat filter(ConstMat y) const {
        require(y.cols() == pca.components.rows(), "eval::LinearDynamicalBaseline::filter",
                "data have ", y.cols(), " columns, the model was fitted on ",
                pca.components.rows());
        const Index q = dimension();
        Mat out(y.rows(), q);
        RowVector<double> state = RowVector<double>::Zero(q);
        for (Index t = 0; t < y.rows(); ++t) {
            const RowVector<double> pred = state * dynamics.transpose();
            const RowVector<double> innovation =
                y.row(t) - pca.mean - pred * pca.components.transpose();
            state = pred + innovation * gain.transpose();
            out.row(t) = state;
        }
        return out;
    }
};

}  // namespace jepasnn::eval
