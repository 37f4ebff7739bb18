// Pointwise activations as policies (GELU, tanh-approximated GELU, tanh, ReLU, sigmoid) and the
// parameter-free layer that applies one: forward y = f(x), backward dx += dy ⊙ f'(x).
#pragma once

#include <cmath>
#include <concepts>
#include <numbers>
#include <string_view>

#include "common.hpp"

namespace jepasnn::nn {

/// An activation policy provides, for float and double,
///   static T value(T x)              f(x)
///   static T derivative(T x, T y)    f'(x), given y = f(x) (tanh and sigmoid use y)
///   static constexpr std::string_view name
/// Example: struct Softsign { template <class T> static T value(T x) { return x / (1 + |x|); }
///          template <class T> static T derivative(T x, T) { return 1 / ((1 + |x|)²); } ... };
template <class F>
concept ActivationFunction = requires(float xf, double xd) {
    { F::value(xf) } -> std::same_as<float>;
    { F::value(xd) } -> std::same_as<double>;
    { F::derivative(xf, xf) } -> std::same_as<float>;
    { F::derivative(xd, xd) } -> std::same_as<double>;
    { F::name } -> std::convertible_to<std::string_view>;
};

/// GELU, exact form x·Φ(x) (Hendrycks & Gimpel 2016; PyTorch's nn.GELU() default).
struct Gelu {
    static constexpr std::string_view name = "gelu";
    template <class T>
    static T value(T x) {
        return T(0.5) * x * (T(1) + std::erf(x * T(std::numbers::sqrt2 / 2)));
    }
    /// Φ(x) + x·φ(x).
    template <class T>
    static T derivative(T x, T) {
        const T cdf = T(0.5) * (T(1) + std::erf(x * T(std::numbers::sqrt2 / 2)));
        const T pdf =
            std::exp(T(-0.5) * x * x) * T(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
        return cdf + x * pdf;
    }
};

/// GELU, tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch approximate='tanh').
struct GeluTanh {
    static constexpr std::string_view name = "gelu_tanh";
    static constexpr double c = 0.7978845608028654;  // √(2/π)
    template <class T>
    static T value(T x) {
        return T(0.5) * x * (T(1) + std::tanh(T(c) * (x + T(0.044715) * x * x * x)));
    }
    template <class T>
    static T derivative(T x, T) {
        const T u = T(c) * (x + T(0.044715) * x * x * x);
        const T th = std::tanh(u);
        const T du = T(c) * (T(1) + T(3 * 0.044715) * x * x);
        return T(0.5) * (T(1) + th) + T(0.5) * x * (T(1) - th * th) * du;
    }
};

struct Tanh {
    static constexpr std::string_view name = "tanh";
    template <class T>
    static T value(T x) {
        return std::tanh(x);
    }
    template <class T>
    static T derivative(T, T y) {
        return T(1) - y * y;
    }
};

struct Relu {
    static constexpr std::string_view name = "relu";
    template <class T>
    static T value(T x) {
        return x > T(0) ? x : T(0);
    }
    /// The subgradient 0 at x = 0 (as PyTorch).
    template <class T>
    static T derivative(T x, T) {
        return x > T(0) ? T(1) : T(0);
    }
};

struct Sigmoid {
    static constexpr std::string_view name = "sigmoid";
    /// Evaluated without overflow for large |x|.
    template <class T>
    static T value(T x) {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
    }
    template <class T>
    static T derivative(T, T y) {
        return y * (T(1) - y);
    }
};

/// out (R, C) = f(in) (R, C).
template <ActivationFunction F, class T>
void activation_forward(RowMatrix<T>& out, ConstMatRef<T> in) {
    out.resize(in.rows(), in.cols());
    const Index cols = in.cols();
    detail::for_row_chunks(in.rows(), cols, [&](Index r0, Index r1) {
        for (Index r = r0; r < r1; ++r)
            for (Index c = 0; c < cols; ++c)
                out(r, c) = F::value(in(r, c));
    });
}

/// din (R, C) += dout ⊙ f'(in), with out = f(in) from the forward pass.
template <ActivationFunction F, class T>
void activation_backward(MatRef<T> din, ConstMatRef<T> dout, ConstMatRef<T> in,
                         ConstMatRef<T> out) {
    JEPASNN_DEBUG_ASSERT(din.rows() == in.rows() && dout.rows() == in.rows(), "shape");
    const Index cols = in.cols();
    detail::for_row_chunks(in.rows(), cols, [&](Index r0, Index r1) {
        for (Index r = r0; r < r1; ++r)
            for (Index c = 0; c < cols; ++c)
                din(r, c) += dout(r, c) * F::derivative(in(r, c), out(r, c));
    });
}

/// The parameter-free layer: forward / backward as above; it has no parameter gradient.
template <class T, class F>
class Activation {
    static_assert(ActivationFunction<F>,
                  "Activation<T, F>: F must provide static value(x), derivative(x, y) for float "
                  "and double and a name (see the ActivationFunction concept in activations.hpp)");

  public:
    void forward(RowMatrix<T>& out, ConstMatRef<T> in) const { activation_forward<F, T>(out, in); }
    void backward(MatRef<T> din, ConstMatRef<T> dout, ConstMatRef<T> in, ConstMatRef<T> out) const {
        activation_backward<F, T>(din, dout, in, out);
    }
};

}  // namespace jepasnn::nn
