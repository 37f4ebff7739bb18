// Surrogate gradients for spiking neurons (Neftci, Mostafa & Zenke, "Surrogate gradient learning
// in spiking neural networks", IEEE SPM 2019): the spike is a Heaviside step of x = U − θ in the
// forward pass and a smooth pseudo-derivative dS/dU in the backward pass, as in snntorch 0.9.4.
// Every function here is host/device inline so that CUDA kernels call the very same code.
#pragma once

#include <cmath>
#include <concepts>
#include <numbers>
#include <string_view>

#include "../core/config.hpp"

namespace jepasnn::constraints {

/// The `SurrogateGradient` policy kind: what a LIF population asks of its spike function.
///
///     struct MySurrogate {
///         static constexpr std::string_view name = "my_surrogate";
///         static constexpr bool binary = true;        // spike() returns only 0 or 1
///         template <class T> JEPASNN_HOST_DEVICE T spike(T x) const { return x > T(0); }
///         template <class T> JEPASNN_HOST_DEVICE T derivative(T x) const { ... }  // dS/dx
///     };
///
/// A policy may also define `template <class T> T backward(T x, T d_spike) const`, returning
/// dL/dx from dL/dS when that is not simply derivative(x) · d_spike (surrogate_backward below).
/// x is the distance to threshold, U − θ. `binary` policies have spikes stored as bits and
/// propagated sparsely; a non-binary (graded) policy such as a smooth test surrogate makes the
/// population store spikes as values and propagate them densely.
template <class S, class T>
concept SurrogateGradient = requires(const S s, T x) {
    { S::name } -> std::convertible_to<std::string_view>;
    { S::binary } -> std::convertible_to<bool>;
    { s.spike(x) } -> std::same_as<T>;
    { s.derivative(x) } -> std::same_as<T>;
};

namespace detail {
/// snntorch's forward for every surrogate here: `(input_ > 0).float()`, strictly greater.
template <class T>
JEPASNN_HOST_DEVICE inline T heaviside(T x) {
    return x > T(0) ? T(1) : T(0);
}
}  // namespace detail

/// snntorch.surrogate.fast_sigmoid(slope): dS/dx = 1 / (k|x| + 1)² (Zenke & Ganguli,
/// "SuperSpike", Neural Computation 2018).
struct FastSigmoid {
    static constexpr std::string_view name = "fast_sigmoid";
    static constexpr bool binary = true;
    double slope = 25.0;

    template <class T>
    JEPASNN_HOST_DEVICE T spike(T x) const {
        return detail::heaviside(x);
    }
    template <class T>
    JEPASNN_HOST_DEVICE T derivative(T x) const {
        const T denominator = T(slope) * std::abs(x) + T(1);
        return T(1) / (denominator * denominator);
    }
};

/// snntorch.surrogate.atan(alpha), snntorch's default: dS/dx = (α/2) / (1 + (π α x / 2)²)
/// (Fang et al., "Incorporating learnable membrane time constant", ICCV 2021).
struct ArcTan {
    static constexpr std::string_view name = "atan";
    static constexpr bool binary = true;
    double alpha = 2.0;

    template <class T>
    JEPASNN_HOST_DEVICE T spike(T x) const {
        return detail::heaviside(x);
    }
    template <class T>
    JEPASNN_HOST_DEVICE T derivative(T x) const {
        const T scaled = T(std::numbers::pi / 2.0) * T(alpha) * x;
        return T(alpha) / T(2) / (T(1) + scaled * scaled);
    }
};

/// snntorch.surrogate.sigmoid(slope): dS/dx = k e^{−kx} / (1 + e^{−kx})², evaluated as
/// k σ(kx)(1 − σ(kx)) with the exponential of −|kx| only, so large |kx| gives 0, not inf/inf
/// (snntorch's literal formula returns NaN below kx ≈ −88 in float32).
struct Sigmoid {
    static constexpr std::string_view name = "sigmoid";
    static constexpr bool binary = true;
    double slope = 25.0;

    template <class T>
    JEPASNN_HOST_DEVICE T spike(T x) const {
        return detail::heaviside(x);
    }
    template <class T>
    JEPASNN_HOST_DEVICE T derivative(T x) const {
        const T e = std::exp(-std::abs(T(slope) * x));  // symmetric in x: σ'(z) = σ'(−z)
        const T one_plus = T(1) + e;
        return T(slope) * e / (one_plus * one_plus);
    }
};

/// snntorch.surrogate.straight_through_estimator(): dS/dx = 1 (Bengio, Léonard & Courville,
/// arXiv:1308.3432, 2013).
struct StraightThrough {
    static constexpr std::string_view name = "straight_through";
    static constexpr bool binary = true;

    template <class T>
    JEPASNN_HOST_DEVICE T spike(T x) const {
        return detail::heaviside(x);
    }
    template <class T>
    JEPASNN_HOST_DEVICE T derivative(T) const {
        return T(1);
    }
};

/// dL/dx = σ(x) · dL/dS, or the policy's own backward(x, d_spike) when it has one.
template <class Surrogate, class T>
JEPASNN_HOST_DEVICE inline T surrogate_backward(const Surrogate& surrogate, T x, T d_spike) {
    if constexpr (requires {
                      { surrogate.backward(x, d_spike) } -> std::same_as<T>;
                  })
        return surrogate.backward(x, d_spike);
    else
        return surrogate.derivative(x) * d_spike;
}

static_assert(SurrogateGradient<FastSigmoid, float> && SurrogateGradient<FastSigmoid, double>);
static_assert(SurrogateGradient<ArcTan, float> && SurrogateGradient<Sigmoid, double>);
static_assert(SurrogateGradient<StraightThrough, float>);

}  // namespace jepasnn::constraints
