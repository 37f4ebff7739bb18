// A linear dynamical system baseline of the same latent dimension, fitted without EM by least
// squares (the PCA/regression initialisation commonly used before EM; Ghahramani & Hinton 1996;
// Roweis & Ghahramani 1999): observations y_t = C x_t + d + v_t with C the top-q principal
// directions and d the mean, states x̂_t the PCA scores, dynamics A = argmin Σ||x̂_{t+1} − A x̂_t||²,
// Q the covariance of those residuals, R the per-unit variance of y − C x̂ − d (diagonal). Latents
// are then the causal steady-state Kalman-filtered states x_{t|t} — causal, like the teacher's.
#pragma once

#include "../core/eigen.hpp"

#include <algorithm>
#include <utility>

#include "../core/error.hpp"
#include "pca.hpp"

namespace jepasnn::eval {

/// Lag-one second moments of consecutive rows x_t (q) of one recording, added a block at a time
/// in time order (the last row of a block pairs with the first of the next): Σ x_tᵀx_t, Σ
/// x_tᵀx_{t+1} and Σ x_{t+1}ᵀx_{t+1} over the pairs, and Σ x_tᵀx_t over every row.
struct LagMoments {
    Matrix<double> s00, s01, s11, all;  // (q, q) each
    Index pairs = 0, rows = 0;

    explicit LagMoments(Index q)
        : s00(Matrix<double>::Zero(q, q)),
          s01(Matrix<double>::Zero(q, q)),
          s11(Matrix<double>::Zero(q, q)),
          all(Matrix<double>::Zero(q, q)),
          last_(RowVector<double>::Zero(q)) {}

    void add(ConstMat x) {
        require(x.cols() == s00.rows(), "eval::LagMoments", "rows have ", x.cols(),
                " columns, expected ", s00.rows());
        const Index m = x.rows();
        if (m == 0) return;
        Matrix<double> x0(rows > 0 ? m : m - 1, x.cols());  // x_t of each pair in the block
        if (rows > 0) {
            x0.row(0) = last_;
            x0.bottomRows(m - 1) = x.topRows(m - 1);
        } else {
            x0 = x.topRows(m - 1);
        }
        const auto x1 = x.bottomRows(x0.rows());  // x_{t+1}
        s00.noalias() += x0.transpose() * x0;
        s01.noalias() += x0.transpose() * x1;
        s11.noalias() += x1.transpose() * x1;
        all.noalias() += x.transpose() * x;
        pairs += x0.rows();
        rows += m;
        last_ = x.row(m - 1);
    }

  private:
    RowVector<double> last_;
};

struct LinearDynamicalBaseline {
    Pca pca;                           // C = pca.components (p, q), d = pca.mean
    Matrix<double> dynamics;           // A (q, q)
    Matrix<double> state_noise;        // Q (q, q)
    Vector<double> observation_noise;  // diag R (p)
    Matrix<double> filtered_cov;       // steady-state P_{t|t} (q, q)
    Matrix<double> gain;               // steady-state Kalman gain K = P_{t|t} Cᵀ R⁻¹ (q, p)
    Matrix<double> transition;  // Aᵀ(I − CᵀKᵀ) (q, q): the filter's row-form recursion

    Index dimension() const { return dynamics.rows(); }

    /// Fits on the consecutive rows of y (T × p), one continuous recording.
    static LinearDynamicalBaseline fit(ConstMat y, Index q) {
        require(y.rows() >= q + 2, "eval::LinearDynamicalBaseline::fit", "needs more than ", q + 1,
                " rows, found ", y.rows());
        Pca pca = Pca::fit(y, q);
        LagMoments lags(q);
        lags.add(pca.transform(y));
        const RowMatrix<double> yc = y.rowwise() - pca.mean;
        return from_moments(std::move(pca), yc.transpose() * yc, lags);
    }

    /// The same from moments of a recording streamed by: its PCA (C, d), the centred scatter
    /// S = Σ(y − d)ᵀ(y − d) of its rows (p, p) and the lag moments of its PCA scores x = (y − d)C.
    /// The residual covariances follow from them: Σwᵀw = S11 − A S01 − S01ᵀAᵀ + A S00 Aᵀ and, as
    /// y − d − xCᵀ = (y − d)(I − CCᵀ), Σvᵀv = (I − CCᵀ) S (I − CCᵀ).
    static LinearDynamicalBaseline from_moments(Pca pca, const Matrix<double>& scatter,
                                                const LagMoments& lags) {
        constexpr std::string_view where = "eval::LinearDynamicalBaseline::from_moments";
        const Index q = pca.dimension(), p = pca.components.rows();
        require(lags.s00.rows() == q && scatter.rows() == p && scatter.cols() == p &&
                    lags.pairs >= q + 1,
                where, "lag moments of ", lags.s00.rows(), " dims over ", lags.pairs,
                " pairs and a ", scatter.rows(), "x", scatter.cols(), " scatter for ", p,
                " units and ", q, " dims");
        LinearDynamicalBaseline m;
        m.pca = std::move(pca);
        const double t = static_cast<double>(lags.rows);
        // x_{t+1} = x_t Aᵀ: Aᵀ solves the normal equations (x0ᵀx0) Aᵀ = x0ᵀx1.
        m.dynamics = lags.s00.ldlt().solve(lags.s01).transpose();
        const Matrix<double> a_s01 = m.dynamics * lags.s01;
        const Matrix<double> ww =
            lags.s11 - a_s01 - a_s01.transpose() + m.dynamics * lags.s00 * m.dynamics.transpose();
        m.state_noise = 0.5 * (ww + ww.transpose()) / static_cast<double>(lags.pairs);
        const Matrix<double>& c = m.pca.components;
        const Matrix<double> residual =
            Matrix<double>::Identity(p, p) - c * c.transpose();  // I − CCᵀ
        m.observation_noise = (residual * scatter * residual).diagonal() / t;
        const double floor = 1e-6 * std::max(m.observation_noise.mean(), 1e-300);
        m.observation_noise = m.observation_noise.cwiseMax(floor);

        // Riccati recursion to the steady state, in information form:
        //   P_pred = A P Aᵀ + Q,   P = (P_pred⁻¹ + Cᵀ R⁻¹ C)⁻¹.
        const Matrix<double> info =
            c.transpose() * m.observation_noise.cwiseInverse().asDiagonal() * c;
        const Matrix<double> eye = Matrix<double>::Identity(q, q);
        Matrix<double> p_cov = lags.all / t;
        for (int it = 0; it < 100000; ++it) {
            const Matrix<double> pred = m.dynamics * p_cov * m.dynamics.transpose() + m.state_noise;
            const Matrix<double> pred_inv = pred.llt().solve(eye);
            const Matrix<double> next = (pred_inv + info).llt().solve(eye);
            const double change = (next - p_cov).cwiseAbs().maxCoeff();
            p_cov = 0.5 * (next + next.transpose());
            if (change <= 1e-13 * (1.0 + p_cov.cwiseAbs().maxCoeff())) break;
        }
        m.filtered_cov = p_cov;
        m.gain = p_cov * c.transpose() * m.observation_noise.cwiseInverse().asDiagonal();
        m.transition = m.dynamics.transpose() * (eye - c.transpose() * m.gain.transpose());
        return m;
    }

    /// Causal filtered states x_{t|t} (T × q) of a recording of the same units, from x_{0|−1} = 0:
    /// x_{t|t−1} = A x_{t−1|t−1};  x_{t|t} = x_{t|t−1} + K (y_t − d − C x_{t|t−1}).
    Mat filter(ConstMat y) const {
        RowVector<double> state = RowVector<double>::Zero(dimension());
        return filter(y, state);
    }

    /// The same for the next rows of a recording streamed by in blocks: `state` is x_{t−1|t−1}
    /// before the block (zero at the start) and the last filtered state after it. Computed as
    /// x_{t|t} = (I − KC) A x_{t−1|t−1} + K (y_t − d): the observations' term of a whole block is
    /// one matrix product, leaving O(q²) per row to the recursion instead of O(p·q).
    Mat filter(ConstMat y, RowVector<double>& state) const {
        require(y.cols() == pca.components.rows() && state.size() == dimension(),
                "eval::LinearDynamicalBaseline::filter", "data have ", y.cols(),
                " columns and the state ", state.size(), ", the model was fitted on ",
                pca.components.rows(), " units and has ", dimension(), " dims");
        // Row form: x_t = x_{t−1} · Aᵀ(I − CᵀKᵀ) + (y_t − d) · Kᵀ.
        Mat out = (y.rowwise() - pca.mean) * gain.transpose();  // (T, q): K (y_t − d)
        for (Index t = 0; t < y.rows(); ++t) {
            out.row(t) += state * transition;
            state = out.row(t);
        }
        return out;
    }
};

}  // namespace jepasnn::eval
