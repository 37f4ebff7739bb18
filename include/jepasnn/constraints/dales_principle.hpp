// Dale's principle: every neuron releases one transmitter, so all outgoing weights of a
// presynaptic neuron share its sign (Eccles 1976; Song, Yang & Wang, PLoS Comput Biol 2016).
// Weights are stored [post][pre] with presynaptic columns contiguous; the constraint is a
// projection applied after every optimizer step, and violations are counted independently of it.
#pragma once

#include "../core/eigen.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::constraints {

/// Sign of a presynaptic neuron: +1 excitatory, −1 inhibitory (0: unconstrained).
using PresynapticSign = std::int8_t;

/// The `SignConstraint` policy kind: what a network asks of its sign rule.
///
///     struct MySignRule {
///         static constexpr std::string_view name = "my_rule";
///         static constexpr bool enforced = true;   // false: project() leaves weights alone
///         template <class T>
///         void project(Eigen::Ref<Matrix<T>> w, std::span<const PresynapticSign> sign) const;
///     };
///
/// `w` is (post × pre), column-major; `sign[j]` is the sign of presynaptic column j.
template <class P, class T>
concept SignConstraint = requires(const P p, Eigen::Ref<Matrix<T>> w,
                                  std::span<const PresynapticSign> sign) {
    { P::name } -> std::convertible_to<std::string_view>;
    { P::enforced } -> std::convertible_to<bool>;
    p.project(w, sign);
};

namespace detail {
inline void require_signs(std::string_view where, Index columns,
                          std::span<const PresynapticSign> sign) {
    require_size(where, "presynaptic sign vector", sign.size(), static_cast<std::size_t>(columns));
}
}  // namespace detail

/// Projection onto the Dale cone: excitatory columns are clipped to w ≥ 0, inhibitory columns to
/// w ≤ 0 (the Euclidean projection, so a weight that crossed zero is pruned to exactly zero).
struct DalesPrinciple {
    static constexpr std::string_view name = "dale";
    static constexpr bool enforced = true;

    template <class T>
    void project(Eigen::Ref<Matrix<T>> w, std::span<const PresynapticSign> sign) const {
        detail::require_signs("DalesPrinciple::project", w.cols(), sign);
        for (Index j = 0; j < w.cols(); ++j) {
            const PresynapticSign s = sign[static_cast<std::size_t>(j)];
            if (s > 0)
                w.col(j) = w.col(j).cwiseMax(T(0));
            else if (s < 0)
                w.col(j) = w.col(j).cwiseMin(T(0));
        }
    }
};

/// No sign rule (the "without Dale" ablation): weights move freely; violations are still counted
/// by count_sign_violations.
struct NoSignConstraint {
    static constexpr std::string_view name = "none";
    static constexpr bool enforced = false;

    template <class T>
    void project(Eigen::Ref<Matrix<T>>, std::span<const PresynapticSign>) const {}
};

/// Weights whose sign contradicts their presynaptic neuron's sign (a zero weight never does).
template <class Derived>
std::size_t count_sign_violations(const Eigen::MatrixBase<Derived>& w,
                                  std::span<const PresynapticSign> sign) {
    using T = typename Derived::Scalar;
    detail::require_signs("count_sign_violations", w.cols(), sign);
    std::size_t violations = 0;
    for (Index j = 0; j < w.cols(); ++j) {
        const PresynapticSign s = sign[static_cast<std::size_t>(j)];
        for (Index i = 0; i < w.rows(); ++i)
            violations += (s > 0 && w(i, j) < T(0)) || (s < 0 && w(i, j) > T(0));
    }
    return violations;
}

static_assert(SignConstraint<DalesPrinciple, float> && SignConstraint<DalesPrinciple, double>);
static_assert(SignConstraint<NoSignConstraint, float>);

}  // namespace jepasnn::constraints
