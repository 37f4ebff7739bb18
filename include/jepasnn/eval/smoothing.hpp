// Causal exponential smoothing of a time-major signal, the smoothed-count baseline of ground-truth
// recovery: s_0 = x_0, s_t = a·s_{t−1} + (1 − a)·x_t with a = exp(−Δt/τ), i.e. a first-order
// low-pass filter with time constant τ that sees only bins up to t (like a causal encoder).
#pragma once

#include <cmath>

#include "../core/error.hpp"
#include "regression.hpp"

namespace jepasnn::eval {

/// x (bins × features) filtered along time with time constant tau (same unit as bin_width).
inline Mat causal_exponential_smoothing(ConstMat x, double bin_width, double tau) {
    require(std::isfinite(bin_width) && bin_width > 0.0 && std::isfinite(tau) && tau > 0.0,
            "eval::causal_exponential_smoothing", "bin width ", bin_width, " and time constant ",
            tau, ", expected finite values > 0");
    const double a = std::exp(-bin_width / tau);
    Mat s(x.rows(), x.cols());
    if (x.rows() == 0) return s;
    s.row(0) = x.row(0);
    for (Index t = 1; t < x.rows(); ++t)
        s.row(t) = a * s.row(t - 1) + (1.0 - a) * x.row(t);
    return s;
}

}  // namespace jepasnn::eval
