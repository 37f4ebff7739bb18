// Homeostatic band penalty (hand-computed values, gradient against finite differences), Dale's
// principle (zero violations after any number of random updates when enforced, violations when
// not), and weight regularisers (values and gradients).
#include <jepasnn/constraints/constraints.hpp>
#include <jepasnn/core/rng.hpp>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <limits>

#include "test_support.hpp"

namespace {

using namespace jepasnn;
using namespace jepasnn::constraints;

double band_loss(const HomeostaticBand& band, const std::vector<double>& rates,
                 PopulationSizes sizes, std::vector<double>* gradient = nullptr) {
    std::vector<double> d(rates.size(), 0.0);
    const double loss = band.evaluate(std::span<const double>(rates), sizes, std::span<double>(d));
    if (gradient != nullptr) *gradient = d;
    return loss;
}

}  // namespace

TEST_CASE("band penalty equals the hand-computed value") {
    HomeostaticBand band;  // 5–20 Hz for E and I
    band.inhibitory = {10.0, 40.0};
    band.neuron_weight = 0.5;
    band.population_weight = 2.0;
    // E: 2 Hz (3 below), 10 Hz (in band), 26 Hz (6 above); I: 50 Hz (10 above).
    const std::vector<double> rates{2.0, 10.0, 26.0, 50.0};
    std::vector<double> d;
    const double loss = band_loss(band, rates, {3, 1}, &d);
    // neurons: 0.5/4 · (9 + 0 + 36 + 100); populations: E mean 38/3 in band, I mean 50: 2 · 100.
    CHECK(loss == Approx(0.5 / 4 * 145.0 + 2.0 * 100.0).epsilon(1e-15));
    // d/dr: 0.125 · (−6, 0, 12, 20) + I population 2 · 20 / 1.
    CHECK(d[0] == Approx(-0.75));
    CHECK(d[1] == 0.0);
    CHECK(d[2] == Approx(1.5));
    CHECK(d[3] == Approx(2.5 + 40.0));
    CHECK(band_loss(band, {10.0, 12.0, 19.0, 20.0}, {3, 1}) == 0.0);
    std::vector<double> untouched(4, 0.0);
    CHECK(NoRatePenalty{}.evaluate(std::span<const double>(rates), {3, 1},
                                   std::span<double>(untouched)) == 0.0);
    CHECK(untouched == std::vector<double>(4, 0.0));
}

TEST_CASE("band penalty gradient matches finite differences", "[tolerance]") {
    rc::prop("per neuron and per population, separate E and I bands", [] {
        const auto n_exc = *rc::gen::inRange<std::size_t>(0, 6);
        const auto n_inh = *rc::gen::inRange<std::size_t>(0, 4);
        RC_PRE(n_exc + n_inh > 0);
        HomeostaticBand band;
        band.excitatory = {*rc::gen::inRange(0, 10) * 1.0, 10.0 + *rc::gen::inRange(0, 20)};
        band.inhibitory = {*rc::gen::inRange(0, 10) * 1.0, 10.0 + *rc::gen::inRange(0, 40)};
        const auto seed = *rc::gen::arbitrary<std::uint32_t>();
        std::vector<double> rates(n_exc + n_inh);
        for (std::size_t i = 0; i < rates.size(); ++i)
            rates[i] = 60.0 * uniform_at(seed, 0, i);
        std::vector<double> d;
        band_loss(band, rates, {n_exc, n_inh}, &d);
        // The penalty is piecewise quadratic in each rate (λ_n/n·(r − edge)² per neuron, λ_p·(mean
        // − edge)² per population), so a central difference is exact but for round-off, except
        // within h of a band edge, where the jump of f″ (at most 2·(λ_n/n + λ_p)) costs at most
        // h/2 times it. Round-off: a few ε·S/h, S bounding the squared terms (rates < 60 Hz,
        // edges < 50 Hz).
        const double h = 1e-5, eps = std::numeric_limits<double>::epsilon();
        const auto n = static_cast<double>(rates.size());
        const double kink = h * (band.neuron_weight / n + band.population_weight);
        const double magnitude = (band.neuron_weight + 2 * band.population_weight) * 110.0 * 110.0;
        const double tolerance = kink + 8 * eps * magnitude / h;
        for (std::size_t i = 0; i < rates.size(); ++i) {
            std::vector<double> up = rates, down = rates;
            up[i] += h;
            down[i] -= h;
            const double numeric =
                (band_loss(band, up, {n_exc, n_inh}) - band_loss(band, down, {n_exc, n_inh})) /
                (up[i] - down[i]);
            RC_ASSERT(std::abs(numeric - d[i]) <= tolerance);
        }
    });
}

TEST_CASE("band penalty rejects mismatched sizes and inverted bands") {
    HomeostaticBand band;
    std::vector<double> rates(3, 1.0), d(2, 0.0);
    CHECK_THROWS_WITH(band.evaluate(std::span<const double>(rates), {2, 1}, std::span<double>(d)),
                      Catch::Contains("d_rates has 2 neurons, expected 3"));
    d.resize(3);
    band.excitatory = {20.0, 5.0};
    CHECK_THROWS_WITH(band.evaluate(std::span<const double>(rates), {2, 1}, std::span<double>(d)),
                      Catch::Contains("low <= high"));
}

TEST_CASE("Dale projection leaves zero violations after any number of random updates") {
    rc::prop("random SGD-like updates, each followed by the projection", [] {
        const Index rows = *rc::gen::inRange<Index>(1, 12), cols = *rc::gen::inRange<Index>(1, 12);
        const int updates = *rc::gen::inRange(1, 30);
        const auto seed = *rc::gen::arbitrary<std::uint32_t>();
        std::vector<PresynapticSign> sign(static_cast<std::size_t>(cols));
        for (Index j = 0; j < cols; ++j)
            sign[static_cast<std::size_t>(j)] =
                uniform_at(seed, 1, std::uint64_t(j)) < 0.8 ? 1 : -1;
        Matrix<float> w(rows, cols), unconstrained(rows, cols);
        for (Index i = 0; i < w.size(); ++i)
            w.data()[i] = static_cast<float>(normal_at(seed, 2, std::uint64_t(i)));
        unconstrained = w;
        DalesPrinciple dale;
        std::size_t violations_without = 0;
        for (int u = 0; u < updates; ++u) {
            Matrix<float> step(rows, cols);
            for (Index i = 0; i < step.size(); ++i)
                step.data()[i] =
                    static_cast<float>(normal_at(seed, 3 + std::uint64_t(u), std::uint64_t(i)));
            w += step;
            unconstrained += step;
            dale.project<float>(w, sign);
            NoSignConstraint{}.project<float>(unconstrained, sign);
            RC_ASSERT(count_sign_violations(w, sign) == 0u);
            violations_without = count_sign_violations(unconstrained, sign);
        }
        // Projection is idempotent and only clips: unviolated weights are untouched.
        const Matrix<float> again = w;
        dale.project<float>(w, sign);
        RC_ASSERT(w == again);
        // Without the constraint, random walks of this size violate signs (all but surely).
        if (rows * cols >= 30 && updates >= 5) RC_ASSERT(violations_without > 0u);
    });
}

TEST_CASE("Dale projection clips to the sign of each presynaptic column") {
    Matrix<double> w(2, 3);
    w << 0.5, -0.2, 0.3,  //
        -0.1, 0.4, -0.6;
    const std::vector<PresynapticSign> sign{1, -1, 0};
    CHECK(count_sign_violations(w, sign) == 2);
    DalesPrinciple{}.project<double>(w, sign);
    Matrix<double> expected(2, 3);
    expected << 0.5, -0.2, 0.3,  //
        0.0, 0.0, -0.6;
    CHECK(w == expected);
    CHECK(count_sign_violations(w, sign) == 0);
    const std::vector<PresynapticSign> short_sign{1};
    CHECK_THROWS_WITH(DalesPrinciple{}.project<double>(w, short_sign),
                      Catch::Contains("presynaptic sign vector has 1 elements, expected 3"));
}

TEST_CASE("weight regularisers return their penalty and add their gradient") {
    const std::vector<double> w{0.5, -2.0, 0.0, 3.0};
    std::vector<double> dw{1.0, 1.0, 1.0, 1.0};  // gradients are added, not overwritten
    const double l2 =
        L2Regularizer{0.1}.evaluate(std::span<const double>(w), std::span<double>(dw));
    CHECK(l2 == Approx(0.05 * (0.25 + 4.0 + 9.0)).epsilon(1e-15));
    CHECK(dw == std::vector<double>{1.05, 0.8, 1.0, 1.3});
    std::fill(dw.begin(), dw.end(), 0.0);
    const double l1 =
        L1Regularizer{0.5}.evaluate(std::span<const double>(w), std::span<double>(dw));
    CHECK(l1 == 0.5 * 5.5);
    CHECK(dw == std::vector<double>{0.5, -0.5, 0.0, 0.5});
    CHECK(NoRegularizer{}.evaluate(std::span<const double>(w), std::span<double>(dw)) == 0.0);
    std::vector<double> short_dw(2);
    CHECK_THROWS_WITH(
        L2Regularizer{}.evaluate(std::span<const double>(w), std::span<double>(short_dw)),
        Catch::Contains("gradient block has 2 elements, expected 4"));
}
