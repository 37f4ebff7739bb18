// Central-difference gradient checks whose tolerance follows from the numerics, so that a
// rapidcheck property holds for every seed instead of for the seeds it was tuned on.
//
// Error model. Every loss evaluation carries a rounding error |δ| ≲ κ·ε·S, where S is the
// magnitude of what is summed into the loss (the caller's `scale`: Σ|terms|, not |Σ terms|, which
// may cancel) and κ a modest count of roundings. The central difference
// D(h) = (f(x + h) − f(x − h))/2h then differs from f′ by a truncation error h²/6·f‴ and a
// round-off error κ·ε·S/h. For a loss that varies on a length scale ℓ (f⁽ᵏ⁾ ~ S/ℓᵏ), h = ε^(1/3)
// makes both O(ε^(2/3)·S) when ℓ ~ 1, but the truncation term grows as h²·S/ℓ³ where the random
// inputs put f on a short scale (a layer norm of a nearly constant row, a steep sigmoid): a fixed
// tolerance then fails for the rare seeds that draw such a point. Richardson's extrapolation
// N = (4·D(h) − D(2h))/3 cancels the h² term; what is left is (h⁴/30)·|f⁽⁵⁾| ≈ ε^(4/3)·S/(30·ℓ⁵),
// below c·ε^(2/3)·S for every ℓ ≳ 2e-3, and a round-off (4/3 + 1/6)·κ·ε·S/h = 1.5·κ·ε^(2/3)·S. So
//
//     |a_i − N_i| ≤ c·ε^(2/3)·max(S, |a_i|, |N_i|),   c = 100,
//
// which allows κ up to ~60: a small network's loss sums a few thousand rounded terms whose errors
// add like a random walk (κ ~ √n). That is about 4e-9 relative to the loss magnitude; a wrong
// factor or sign in any gradient element larger than that fails the check. The extrapolation
// covers length scales down to ℓ ≈ 2e-3; draws where the loss varies faster (at a kink, a hard
// threshold) violate the model and are excluded by the property's generator, which says why.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>

namespace jepasnn::test {

/// The cube root of ε: the step that balances truncation and round-off for variables of order 1.
inline double default_difference_step() {
    return std::cbrt(std::numeric_limits<double>::epsilon());
}

struct CentralDifferenceCheck {
    /// c of the error model: allowed error c·ε/h relative to max(S, |a_i|, |N_i|), which is
    /// c·ε^(2/3) at the default step h = ε^(1/3).
    static constexpr double bound_factor = 100.0;

    double max_error = 0.0;  // max_i |a_i − N_i| / max(S, |a_i|, |N_i|)
    double bound = 0.0;      // c·ε/h
    std::size_t worst = 0;   // i at that maximum
    double analytic = 0.0;   // a and N at the worst element
    double numeric = 0.0;
    double scale = 0.0;  // S
    std::size_t checked = 0;

    bool passed() const { return max_error <= bound; }
};

/// Compares analytic[i] with the Richardson-extrapolated central difference of loss() (a callable
/// that reads x) for i = first, first + stride, …; each x_i is restored afterwards. `scale` is S of
/// the error model: the magnitude of the terms summed into the loss at x. A step h below ε^(1/3)
/// (for a loss with thresholds that the larger step could cross) raises the round-off share, and
/// with it the bound, to c·ε/h.
template <class Loss>
CentralDifferenceCheck check_central_differences(Loss&& loss, std::span<double> x,
                                                 std::span<const double> analytic, double scale,
                                                 std::size_t first = 0, std::size_t stride = 1,
                                                 double h0 = default_difference_step()) {
    RC_ASSERT(analytic.size() == x.size());
    RC_ASSERT(std::isfinite(scale));
    CentralDifferenceCheck result;
    result.scale = std::abs(scale);
    result.bound =
        CentralDifferenceCheck::bound_factor * std::numeric_limits<double>::epsilon() / h0;
    for (std::size_t i = first; i < x.size(); i += std::max<std::size_t>(stride, 1)) {
        const double saved = x[i];
        // h relative to x_i for variables larger than 1.
        const double h = h0 * std::max(1.0, std::abs(saved));
        // The difference quotient over the steps actually taken (x ± h rounds).
        auto difference = [&](double step) {
            const double up_x = saved + step, down_x = saved - step;
            x[i] = up_x;
            const double up = loss();
            x[i] = down_x;
            const double down = loss();
            x[i] = saved;
            return (up - down) / (up_x - down_x);
        };
        const double d1 = difference(h), d2 = difference(2.0 * h);
        const double numeric = (4.0 * d1 - d2) / 3.0;
        const double denominator =
            std::max({result.scale, std::abs(analytic[i]), std::abs(numeric)});
        const double error =
            denominator > 0.0 ? std::abs(analytic[i] - numeric) / denominator : 0.0;
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

/// Logs a check (shown with a rapidcheck counterexample) and asserts it within its bound.
inline void rc_assert_central_differences(const std::string& what,
                                          const CentralDifferenceCheck& r) {
    RC_LOG() << what << ": max error " << r.max_error << " (bound " << r.bound << ") at " << r.worst
             << " of " << r.checked << " (analytic " << r.analytic << ", numeric " << r.numeric
             << ", loss scale " << r.scale << ")\n";
    RC_ASSERT(r.passed());
}

}  // namespace jepasnn::test
