// Weight regularisation of synaptic weights: a penalty on a flat block of weights and its
// gradient, added (+=) into the matching gradient block. The network applies it to its input and
// recurrent synapses; readout weights, biases and neuron parameters are left to the optimizer.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>

#include "../core/error.hpp"
#include "../core/settings.hpp"
#include "../core/type_list.hpp"

namespace jepasnn::constraints {

/// The `WeightRegularizer` policy kind; the policy is its own settings struct (core/settings.hpp),
/// so a config sets it by name (PolicySettings).
///
///     struct MyRegularizer {
///         static constexpr std::string_view name = "my_reg";
///         double strength = 1e-4;
///         static void fields(auto& s, auto&& field) { field("strength", s.strength); }
///         template <class T>   // returns the penalty; adds its gradient into dw
///         T evaluate(std::span<const T> w, std::span<T> dw) const;
///     };
template <class P, class T>
concept WeightRegularizer = Settings<P> &&
    requires(const P p, std::span<const T> w, std::span<T> dw) {
    { P::name } -> std::convertible_to<std::string_view>;
    { p.evaluate(w, dw) } -> std::convertible_to<T>;
};

namespace detail {
template <class T>
void require_same_length(std::string_view where, std::span<const T> w, std::span<T> dw) {
    require_size(where, "gradient block", dw.size(), w.size());
}

/// The settings of a penalty with one strength λ (L1 and L2), `Default` unless set.
template <double Default>
struct Strength {
    double strength = Default;  // λ
    static void fields(auto& s, auto&& field) { field("strength", s.strength); }
    void validate(std::string_view where) const {
        require(strength >= 0.0 && std::isfinite(strength), where, "strength is ", strength,
                ", expected finite and >= 0");
    }
};
}  // namespace detail

/// L = (λ/2) Σ w², dL/dw = λ w (ridge; Krogh & Hertz, NIPS 1991).
struct L2Regularizer : detail::Strength<1e-4> {
    static constexpr std::string_view name = "l2";

    template <class T>
    T evaluate(std::span<const T> w, std::span<T> dw) const {
        detail::require_same_length("L2Regularizer::evaluate", w, dw);
        const T lambda = T(strength);
        // Summed in double: a float's square is exact there, so whether the compiler fuses the
        // product into the addition (it may in one inlining context and not in another) cannot
        // change the value; the sum is then the same in every program that calls this.
        double sum_squares = 0.0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            sum_squares += static_cast<double>(w[i]) * static_cast<double>(w[i]);
            dw[i] += lambda * w[i];
        }
        return static_cast<T>(0.5 * strength * sum_squares);
    }
};

/// L = λ Σ |w|, dL/dw = λ sign(w) (0 at w = 0, the subgradient that keeps pruned synapses
/// pruned).
struct L1Regularizer : detail::Strength<1e-5> {
    static constexpr std::string_view name = "l1";

    template <class T>
    T evaluate(std::span<const T> w, std::span<T> dw) const {
        detail::require_same_length("L1Regularizer::evaluate", w, dw);
        const T lambda = T(strength);
        double sum_abs = 0.0;  // in double, as L2Regularizer
        for (std::size_t i = 0; i < w.size(); ++i) {
            sum_abs += std::abs(static_cast<double>(w[i]));
            dw[i] += lambda * T((w[i] > T(0)) - (w[i] < T(0)));
        }
        return static_cast<T>(strength * sum_abs);
    }
};

/// No weight penalty.
struct NoRegularizer {
    static constexpr std::string_view name = "none";
    static void fields(auto&, auto&&) {}

    template <class T>
    T evaluate(std::span<const T>, std::span<T>) const {
        return T(0);
    }
};

static_assert(WeightRegularizer<L2Regularizer, float> && WeightRegularizer<L1Regularizer, double>);
static_assert(WeightRegularizer<NoRegularizer, float>);

/// Every weight regulariser a student config can set, by name.
using WeightRegularizers = TypeList<L2Regularizer, L1Regularizer, NoRegularizer>;

}  // namespace jepasnn::constraints
