// Reset policies of the LIF membrane, with snntorch 0.9.4 semantics (DESIGN.md, "Student"):
// R_t = Θ(U_{t−1} − θ) is computed from the previous membrane and detached; the policy says how
// R enters the integration, and, when the reset is not delayed, how the membrane is reset in the
// same step with D = S_t − R_t (D is not detached). All functions are host/device inline.
#pragma once

#include <concepts>
#include <string_view>

#include "../core/config.hpp"

namespace jepasnn::lif {

/// Gradients of V = integrate(U_{t−1}, J, R, β, θ) with respect to its differentiable inputs.
template <class T>
struct IntegrateGradient {
    T d_membrane_prev;  // ∂V/∂U_{t−1} · dV
    T d_drive;          // ∂V/∂J · dV
    T d_beta;           // ∂V/∂β · dV
    T d_threshold;      // ∂V/∂θ · dV (through the R θ term of the subtractive reset)
};

/// Partial derivatives of the same-step reset U = reset(V, D, θ) (reset delay off).
template <class T>
struct ResetPartials {
    T d_membrane;   // ∂U/∂V with S held fixed
    T d_spike;      // ∂U/∂S (through D = S − R)
    T d_threshold;  // ∂U/∂θ with V and S held fixed
};

/// The `ResetPolicy` kind: how the detached reset signal R enters the membrane update.
///
///     struct MyReset {
///         static constexpr std::string_view name = "my_reset";
///         static constexpr bool delayed = true;   // snntorch's reset_delay
///         template <class T> static T integrate(T u_prev, T drive, T r, T beta, T theta);
///         template <class T> static IntegrateGradient<T>
///             integrate_backward(T d_v, T u_prev, T r, T beta, T theta);
///         template <class T> static T reset(T v, T d, T theta);            // used when !delayed
///         template <class T> static ResetPartials<T> reset_partials(T v, T d, T theta);
///     };
template <class P, class T>
concept ResetPolicy = requires(T x) {
    { P::name } -> std::convertible_to<std::string_view>;
    { P::delayed } -> std::convertible_to<bool>;
    { P::integrate(x, x, x, x, x) } -> std::same_as<T>;
    { P::integrate_backward(x, x, x, x, x) } -> std::same_as<IntegrateGradient<T>>;
    { P::reset(x, x, x) } -> std::same_as<T>;
    { P::reset_partials(x, x, x) } -> std::same_as<ResetPartials<T>>;
};

/// Reset by subtraction (snntorch reset_mechanism="subtract"): V = β U_{t−1} + J − R θ;
/// without delay, U = V − D θ.
template <bool Delay = true>
struct SubtractReset {
    static constexpr std::string_view name = "subtract";
    static constexpr bool delayed = Delay;

    template <class T>
    JEPASNN_HOST_DEVICE static T integrate(T u_prev, T drive, T r, T beta, T theta) {
        return beta * u_prev + drive - r * theta;
    }
    template <class T>
    JEPASNN_HOST_DEVICE static IntegrateGradient<T> integrate_backward(T d_v, T u_prev, T r, T beta,
                                                                       T) {
        return {beta * d_v, d_v, u_prev * d_v, -r * d_v};
    }
    template <class T>
    JEPASNN_HOST_DEVICE static T reset(T v, T d, T theta) {
        return v - d * theta;
    }
    template <class T>
    JEPASNN_HOST_DEVICE static ResetPartials<T> reset_partials(T, T d, T theta) {
        return {T(1), -theta, -d};
    }
};

namespace detail {
/// The same-step reset to zero shared by both zero policies: U = V − D V.
struct SameStepZero {
    template <class T>
    JEPASNN_HOST_DEVICE static T reset(T v, T d, T) {
        return v - d * v;
    }
    template <class T>
    JEPASNN_HOST_DEVICE static ResetPartials<T> reset_partials(T v, T d, T) {
        return {T(1) - d, -v, T(0)};
    }
};
}  // namespace detail

/// Reset to zero as in snntorch's Leaky: only the previous membrane is cleared,
/// V = β (1 − R) U_{t−1} + J; without delay, U = V − D V.
template <bool Delay = true>
struct ZeroReset : detail::SameStepZero {
    static constexpr std::string_view name = "zero";
    static constexpr bool delayed = Delay;

    template <class T>
    JEPASNN_HOST_DEVICE static T integrate(T u_prev, T drive, T r, T beta, T) {
        return beta * ((T(1) - r) * u_prev) + drive;
    }
    template <class T>
    JEPASNN_HOST_DEVICE static IntegrateGradient<T> integrate_backward(T d_v, T u_prev, T r, T beta,
                                                                       T) {
        const T keep = T(1) - r;
        return {beta * keep * d_v, d_v, keep * u_prev * d_v, T(0)};
    }
};

/// Reset to zero as in snntorch's RLeaky and Synaptic: the whole update, this step's drive
/// included, is cleared, V = (1 − R)(β U_{t−1} + J); without delay, U = V − D V.
template <bool Delay = true>
struct ZeroResetGated : detail::SameStepZero {
    static constexpr std::string_view name = "zero_gated";
    static constexpr bool delayed = Delay;

    template <class T>
    JEPASNN_HOST_DEVICE static T integrate(T u_prev, T drive, T r, T beta, T) {
        const T base = beta * u_prev + drive;
        return base - r * base;
    }
    template <class T>
    JEPASNN_HOST_DEVICE static IntegrateGradient<T> integrate_backward(T d_v, T u_prev, T r, T beta,
                                                                       T) {
        const T keep = T(1) - r;
        return {beta * keep * d_v, keep * d_v, keep * u_prev * d_v, T(0)};
    }
};

/// No reset (snntorch reset_mechanism="none"): V = β U_{t−1} + J; the delay flag has no effect.
struct NoReset {
    static constexpr std::string_view name = "none";
    static constexpr bool delayed = true;

    template <class T>
    JEPASNN_HOST_DEVICE static T integrate(T u_prev, T drive, T, T beta, T) {
        return beta * u_prev + drive;
    }
    template <class T>
    JEPASNN_HOST_DEVICE static IntegrateGradient<T> integrate_backward(T d_v, T u_prev, T, T beta,
                                                                       T) {
        return {beta * d_v, d_v, u_prev * d_v, T(0)};
    }
    template <class T>
    JEPASNN_HOST_DEVICE static T reset(T v, T, T) {
        return v;
    }
    template <class T>
    JEPASNN_HOST_DEVICE static ResetPartials<T> reset_partials(T, T, T) {
        return {T(1), T(0), T(0)};
    }
};

static_assert(ResetPolicy<SubtractReset<>, float> && ResetPolicy<SubtractReset<false>, double>);
static_assert(ResetPolicy<ZeroReset<>, double> && ResetPolicy<ZeroResetGated<false>, float>);
static_assert(ResetPolicy<NoReset, double>);

}  // namespace jepasnn::lif
