// Causal exponential smoothing of a time-major signal, the smoothed-count baseline of ground-truth
// recovery: s_0 = x_0, s_t = a·s_{t−1} + (1 − a)·x_t with a = exp(−Δt/τ), i.e. a first-order
// low-pass filter with time constant τ that sees only bins up to t (like a causal encoder).
#pragma once

#include <cmath>

#include "../core/error.hpp"
#include "regression.hpp"

namespace jepasnn::eval {

/// The filter applied to a recording streamed by in blocks, in time order: each call continues
/// from the last row of the previous one, so the blocks come out as the whole recording would.
class CausalExponentialSmoother {
  public:
    /// Time constant tau in the unit of bin_width.
    CausalExponentialSmoother(double bin_width, double tau) {
        require(std::isfinite(bin_width) && bin_width > 0.0 && std::isfinite(tau) && tau > 0.0,
                "eval::causal_exponential_smoothing", "bin width ", bin_width,
                " and time constant ", tau, ", expected finite values > 0");
        a_ = std::exp(-bin_width / tau);
    }

    /// The next rows x (n × features) filtered.
    Mat next(ConstMat x) {
        Mat s(x.rows(), x.cols());
        for (Index t = 0; t < x.rows(); ++t) {
            if (last_.size() == 0)
                s.row(t) = x.row(t);
            else
                s.row(t) = a_ * last_ + (1.0 - a_) * x.row(t);
            last_ = s.row(t);
        }
        return s;
    }

  private:
    double a_ = 0.0;
    RowVector<double> last_;  // s_{t−1}; empty before the first row
};

/// x (bins × features) filtered along time with time constant tau (same unit as bin_width).
inline Mat causal_exponential_smoothing(ConstMat x, double bin_width, double tau) {
    return CausalExponentialSmoother(bin_width, tau).next(x);
}

}  // namespace jepasnn::eval
