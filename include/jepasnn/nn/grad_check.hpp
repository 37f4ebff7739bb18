// Central-difference gradient checks: compare an analytic gradient with (f(x + h) − f(x − h))/2h,
// element by element. Every hand-written backward in jepasnn is tested this way in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "../core/error.hpp"

namespace jepasnn::nn {

struct GradCheckResult {
    double max_error = 0.0;  // max_i |a_i − n_i| / max(1, |a_i|, |n_i|)
    std::size_t worst = 0;   // index of that element
    double analytic = 0.0;   // a and n at the worst element
    double numeric = 0.0;
    std::size_t checked = 0;
};

/// Perturbs each x_i by ±h (restoring it afterwards), evaluates loss() — a callable reading x —
/// and compares the central difference with analytic[i]. The error is absolute for gradients
/// below 1 and relative above.
template <class Loss>
GradCheckResult check_gradient(Loss&& loss, std::span<double> x, std::span<const double> analytic,
                               double h = 1e-6) {
    require_size("nn::check_gradient", "analytic gradient", analytic.size(), x.size());
    require(h > 0.0, "nn::check_gradient", "step is ", h, ", expected > 0");
    GradCheckResult result;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double saved = x[i];
        x[i] = saved + h;
        const double up = loss();
        x[i] = saved - h;
        const double down = loss();
        x[i] = saved;
        const double numeric = (up - down) / (2.0 * h);
        const double scale = std::max({1.0, std::fabs(analytic[i]), std::fabs(numeric)});
        const double error = std::fabs(analytic[i] - numeric) / scale;
        if (!(error <= result.max_error)) {  // also catches NaN
            result.max_error = error;
            result.worst = i;
            result.analytic = analytic[i];
            result.numeric = numeric;
        }
        ++result.checked;
    }
    return result;
}

}  // namespace jepasnn::nn
