// Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4 for the
// two-loop recursion, Algorithm 3.1 backtracking with the Armijo condition) for smooth convex
// objectives such as the regularised logistic loss of the linear probes.
#pragma once

#include <cmath>
#include <deque>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::eval {

struct LbfgsOptions {
    int memory = 10;
    int max_iterations = 2000;
    double gradient_tolerance = 1e-9;  // stop when max |∇f| falls below this
};

struct LbfgsResult {
    double value = 0.0;
    int iterations = 0;
    bool converged = false;  // max |∇f| reached the tolerance
    bool stalled = false;    // no further decrease of f is representable in double: the optimum
                             // to machine precision (the gradient floor is ~√ε·scale)
};

/// Minimises f from x (updated in place). objective(x, grad) returns f(x) and writes ∇f(x).
template <class Objective>
LbfgsResult minimize_lbfgs(Objective&& objective, Vector<double>& x, const LbfgsOptions& opt = {}) {
    const Index n = x.size();
    Vector<double> g(n), g_new(n), x_new(n), d(n);
    double f = objective(x, g);
    std::deque<Vector<double>> s_hist, y_hist;
    std::deque<double> rho_hist;
    LbfgsResult r;
    for (r.iterations = 0; r.iterations < opt.max_iterations; ++r.iterations) {
        if (g.cwiseAbs().maxCoeff() <= opt.gradient_tolerance) {
            r.converged = true;
            break;
        }
        // Two-loop recursion: d = −H·g with H the L-BFGS inverse-Hessian approximation.
        d = -g;
        std::vector<double> alpha(s_hist.size());
        for (std::size_t i = s_hist.size(); i-- > 0;) {
            alpha[i] = rho_hist[i] * s_hist[i].dot(d);
            d -= alpha[i] * y_hist[i];
        }
        if (!s_hist.empty()) d *= s_hist.back().dot(y_hist.back()) / y_hist.back().squaredNorm();
        for (std::size_t i = 0; i < s_hist.size(); ++i) {
            const double beta = rho_hist[i] * y_hist[i].dot(d);
            d += (alpha[i] - beta) * s_hist[i];
        }
        double slope = g.dot(d);
        if (!(slope < 0.0)) {  // not a descent direction (numerical trouble): restart on −g
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            d = -g;
            slope = -g.squaredNorm();
        }
        double step = s_hist.empty() ? std::min(1.0, 1.0 / g.cwiseAbs().maxCoeff()) : 1.0;
        double f_new = 0.0;
        bool accepted = false;
        for (int ls = 0; ls < 60; ++ls) {
            x_new = x + step * d;
            f_new = objective(x_new, g_new);
            // Armijo condition, and a strict decrease: near the optimum f + c·step·slope rounds
            // to f, and accepting f_new == f would loop without progress.
            if (std::isfinite(f_new) && f_new <= f + 1e-4 * step * slope && f_new < f) {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if (!accepted) {
            r.stalled = true;
            break;
        }
        Vector<double> s = x_new - x, y = g_new - g;
        const double sy = s.dot(y);
        if (sy > 1e-12 * s.norm() * y.norm()) {  // keep the curvature pair only when positive
            s_hist.push_back(std::move(s));
            y_hist.push_back(std::move(y));
            rho_hist.push_back(1.0 / sy);
            if (static_cast<int>(s_hist.size()) > opt.memory) {
                s_hist.pop_front();
                y_hist.pop_front();
                rho_hist.pop_front();
            }
        }
        x.swap(x_new);
        g.swap(g_new);
        f = f_new;
    }
    if (!r.converged) r.converged = g.cwiseAbs().maxCoeff() <= opt.gradient_tolerance;
    r.value = f;
    return r;
}

}  // namespace jepasnn::eval
