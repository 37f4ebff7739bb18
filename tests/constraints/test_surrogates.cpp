// Surrogate gradients: exact values against numpy's evaluation of snntorch's formulas, the shared
// Heaviside forward (strictly greater than zero), shape properties, and the stable sigmoid where
// snntorch's literal formula overflows.
#include <jepasnn/constraints/surrogate.hpp>
#include <jepasnn/core/json.hpp>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <limits>

#include "test_support.hpp"

namespace {

using namespace jepasnn;
using namespace jepasnn::constraints;

template <class S>
void check_against_golden(const S& surrogate, const Json& values, const Json& x) {
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double xi = x[i].get<double>(), expected = values[i].get<double>();
        INFO(S::name << " at x = " << xi);
        CHECK(surrogate.derivative(xi) == Approx(expected).epsilon(1e-14).margin(1e-300));
        // float: x itself carries a relative error of 6e-8, amplified by |kx| inside exp.
        CHECK(surrogate.derivative(static_cast<float>(xi)) ==
              Approx(expected).epsilon(1e-5).margin(1e-30));
    }
}

/// A policy with its own backward (dL/dx = 2 dL/dS whatever σ says).
struct Doubling {
    static constexpr std::string_view name = "doubling";
    static constexpr bool binary = true;
    double spike(double x) const { return x > 0.0; }
    double derivative(double) const { return 1.0; }
    double backward(double, double d_spike) const { return 2.0 * d_spike; }
};

}  // namespace

TEST_CASE("surrogate derivatives match numpy evaluations of the snntorch formulas") {
    const Json golden = read_json(test::test_asset("constraints/surrogates.json"));
    const Json& x = golden.at("x");
    std::size_t checked = 0;
    for (const Json& c : golden.at("cases")) {
        const auto name = c.at("surrogate").get<std::string>();
        const double p = c.at("parameter").get<double>();
        if (name == "fast_sigmoid")
            check_against_golden(FastSigmoid{p}, c.at("derivative"), x);
        else if (name == "atan")
            check_against_golden(ArcTan{p}, c.at("derivative"), x);
        else if (name == "sigmoid")
            check_against_golden(Sigmoid{p}, c.at("derivative"), x);
        else
            check_against_golden(StraightThrough{}, c.at("derivative"), x);
        ++checked;
    }
    CHECK(checked == 8);
}

TEST_CASE("every surrogate spikes only strictly above threshold") {
    auto check = [](const auto& s) {
        INFO(s.name);
        CHECK(s.spike(0.0) == 0.0);
        CHECK(s.spike(-0.0) == 0.0);
        CHECK(s.spike(std::numeric_limits<double>::denorm_min()) == 1.0);
        CHECK(s.spike(-1e-300) == 0.0);
        CHECK(s.spike(3.0f) == 1.0f);
    };
    check(FastSigmoid{});
    check(ArcTan{});
    check(Sigmoid{});
    check(StraightThrough{});
}

TEST_CASE("surrogate derivatives are even and peak at threshold") {
    rc::prop("σ(x) = σ(−x) ≤ σ(0), with σ(0) = 1, α/2, k/4", [] {
        const double x = *rc::gen::inRange(-5000, 5000) / 1000.0;
        const double k = *rc::gen::inRange(1, 100) / 2.0;
        const FastSigmoid fast{k};
        const ArcTan atan{k};
        const Sigmoid sigmoid{k};
        RC_ASSERT(fast.derivative(x) == fast.derivative(-x));
        RC_ASSERT(atan.derivative(x) == atan.derivative(-x));
        RC_ASSERT(sigmoid.derivative(x) == sigmoid.derivative(-x));
        RC_ASSERT(fast.derivative(x) <= fast.derivative(0.0));
        RC_ASSERT(atan.derivative(x) <= atan.derivative(0.0));
        RC_ASSERT(sigmoid.derivative(x) <= sigmoid.derivative(0.0));
        RC_ASSERT(fast.derivative(0.0) == 1.0);
        RC_ASSERT(atan.derivative(0.0) == k / 2.0);
        RC_ASSERT(sigmoid.derivative(0.0) == k / 4.0);
    });
}

TEST_CASE("sigmoid surrogate stays finite where the literal formula overflows") {
    // snntorch evaluates k e^{−kx}/(e^{−kx}+1)², which is inf/inf = NaN for kx below about −88 in
    // float32 and −709 in float64; the derivative there is 0 to machine precision.
    const Sigmoid s{25.0};
    for (float x : {-4.0f, -100.0f, 100.0f, -1e30f}) {
        INFO("x = " << x);
        CHECK(std::isfinite(s.derivative(x)));
        CHECK(s.derivative(x) < 1e-30f);
    }
    CHECK(s.derivative(-40.0) == 0.0);
    const double e = std::exp(-25.0);
    CHECK(s.derivative(-1.0) == Approx(25.0 * e / ((1.0 + e) * (1.0 + e))).epsilon(1e-14));
}

TEST_CASE("surrogate_backward uses a policy's own backward when it has one") {
    static_assert(SurrogateGradient<Doubling, double>);
    CHECK(surrogate_backward(Doubling{}, 0.3, 1.5) == 3.0);
    CHECK(surrogate_backward(FastSigmoid{25.0}, 0.0, 1.5) == 1.5);
}
