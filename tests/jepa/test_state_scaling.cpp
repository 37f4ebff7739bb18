// Per-state scaling of the teacher's input (jepa/preprocess.hpp): the Poisson variance of a
// transformed count against an independent pmf recursion, the per-state offset and gain recovered
// from modulated-Poisson counts (Goris et al. 2014) over random gains, the fallbacks (too few
// bins, a constant unit) and the strict JSON round trip.
#include <jepasnn/jepa/dataset.hpp>

#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using CountMat = jepasnn::RowMatrix<double>;

namespace {

/// Var[f(N)], N ∼ Poisson(m), by the recursion p_{k+1} = p_k·m/(k + 1) in long double.
double pmf_recursion_variance(jepa::CountTransform t, double m) {
    long double p = std::exp(-static_cast<long double>(m)), e1 = 0, e2 = 0;
    for (int k = 0; k < 600; ++k) {
        const long double y = jepa::apply_transform(t, k);
        e1 += p * y;
        e2 += p * y * y;
        p *= static_cast<long double>(m) / (k + 1);
    }
    return static_cast<double>(e2 - e1 * e1);
}

/// Counts of `units` units over `bins` bins whose state (label 0 or 1) alternates every 250
/// bins: N ∼ Poisson(c_ku·(1 + a·ξ_t)), ξ_t ∼ U(−1, 1) shared by the units, so state k's mean
/// count is c_ku, its rate variance (signal) c_ku²·a²/3 and its Poisson variance c_ku.
struct ModulatedPoisson {
    CountMat counts;
    std::vector<std::uint8_t> state;
};

ModulatedPoisson modulated_poisson(const CountMat& c, double a, Index bins, std::uint64_t seed) {
    jepasnn::RandomStream rng(seed, 1);
    ModulatedPoisson out{CountMat(bins, c.cols()), std::vector<std::uint8_t>(bins)};
    for (Index t = 0; t < bins; ++t) {
        const auto k = static_cast<std::uint8_t>((t / 250) % 2);
        out.state[static_cast<std::size_t>(t)] = k;
        const double xi = 2.0 * rng.uniform() - 1.0;
        for (Index u = 0; u < c.cols(); ++u)
            out.counts(t, u) = static_cast<double>(rng.poisson(c(k, u) * (1.0 + a * xi)));
    }
    return out;
}

}  // namespace

TEST_CASE("the Poisson variance of a transformed count matches the pmf recursion") {
    for (const auto t :
         {jepa::CountTransform::none, jepa::CountTransform::sqrt, jepa::CountTransform::log1p})
        for (const double m : {1e-3, 0.05, 0.4, 2.0, 17.0, 80.0}) {
            INFO("transform " << int(t) << ", mean " << m);
            CHECK(jepa::poisson_transform_variance(t, m) ==
                  Approx(pmf_recursion_variance(t, m)).epsilon(1e-10));
        }
    CHECK(jepa::poisson_transform_variance(jepa::CountTransform::none, 3.5) == 3.5);
    // Var √N → 1/4 + 3/(32m) + O(m⁻²) (the delta method to second order).
    CHECK(jepa::poisson_transform_variance(jepa::CountTransform::sqrt, 80.0) ==
          Approx(0.25 + 3.0 / (32.0 * 80.0)).margin(2e-4));
    CHECK(jepa::poisson_transform_variance(jepa::CountTransform::sqrt, 0.0) == 0.0);
}

TEST_CASE("per-state moments recover each state's offset and gain of a modulated Poisson code") {
    // Without a transform the Poisson correction is exact: state k's signal SD is c_ku·a/√3, so
    // the ratio of the two states' scales is c_1u/c_0u and each offset is c_ku. With 20 000 bins
    // per state, c in [3, 10] and a = 0.9 the signal is at least 45% of a state's variance, whose
    // sample estimate has relative SE ≈ √(2/n) = 1%: the signal variance's SE is below 2.5%, the
    // gain ratio's below 2%, so the 15% tolerance is over 7 SE. An offset's relative SE is
    // √((0.27c² + c)/n)/c < 0.6%, against 5%.
    rc::prop("gain ratios and offsets", [](std::uint64_t seed) {
        const Index units = 3;
        CountMat c(2, units);
        jepasnn::RandomStream draw(seed, 2);
        for (Index k = 0; k < 2; ++k)
            for (Index u = 0; u < units; ++u)
                c(k, u) = 3.0 + 7.0 * draw.uniform();
        const ModulatedPoisson d = modulated_poisson(c, 0.9, 40000, seed);
        const std::vector<jepasnn::data::RowRange> train{{0, 40000}};
        const auto s = jepa::UnitScaler::fit(d.counts, train, jepa::CountTransform::none,
                                             jepa::StateScaling::moments, d.state);
        RC_ASSERT(s.states == 2);
        for (Index u = 0; u < units; ++u) {
            const double ratio = s.state_scale(units + u) / s.state_scale(u);
            RC_ASSERT(std::fabs(ratio / (c(1, u) / c(0, u)) - 1.0) < 0.15);
            RC_ASSERT(std::fabs(s.state_mean(u) / c(0, u) - 1.0) < 0.05);
            RC_ASSERT(std::fabs(s.state_mean(units + u) / c(1, u) - 1.0) < 0.05);
        }
    });
}

TEST_CASE("state scaling falls back to the global z-score where a state cannot be fitted") {
    // State 1 has 50 training bins (< min_state_bins) and state 2 none; unit 1 is constant. Bins
    // 350..359 define no state's moments (no_state) but count toward the global ones.
    CountMat counts(400, 2);
    std::vector<std::uint8_t> state(400, 0);
    for (Index t = 0; t < 400; ++t) {
        counts(t, 0) = static_cast<double>((t * 7) % 5);
        counts(t, 1) = 3.0;
        if (t >= 300 && t < 350) state[static_cast<std::size_t>(t)] = 1;
        if (t >= 350 && t < 360) state[static_cast<std::size_t>(t)] = jepa::UnitScaler::no_state;
        if (t >= 380) state[static_cast<std::size_t>(t)] = 2;
    }
    const std::vector<jepasnn::data::RowRange> train{{0, 360}};
    const auto global = jepa::UnitScaler::fit(counts, train, jepa::CountTransform::sqrt);
    const auto s = jepa::UnitScaler::fit(counts, train, jepa::CountTransform::sqrt,
                                         jepa::StateScaling::moments, state);
    REQUIRE(s.states == 3);
    for (Index u = 0; u < 2; ++u) {  // the global moments are kept (summed per state first)
        CHECK(s.mean(u) == Approx(global.mean(u)).epsilon(1e-12));
        CHECK(s.scale(u) == Approx(global.scale(u)).epsilon(1e-12));
    }
    for (const Index k : {1, 2}) {
        CHECK(s.state_mean(2 * k) == s.mean(0));
        CHECK(s.state_scale(2 * k) == s.scale(0));
    }
    CHECK(s.state_mean(1) == Approx(std::sqrt(3.0)));  // the constant unit: its offset,
    CHECK(s.state_scale(1) == 1.0);                    // and the global unit scale
    // With one fitted state the gain is that state's total SD, as the plain z-score of its bins.
    double sum = 0.0, sum2 = 0.0;
    Index n = 0;
    for (Index t = 0; t < 360; ++t)
        if (state[static_cast<std::size_t>(t)] == 0) {
            const double y = std::sqrt(counts(t, 0));
            sum += y;
            sum2 += y * y;
            ++n;
        }
    const double mean0 = sum / static_cast<double>(n);
    CHECK(s.state_mean(0) == Approx(mean0).epsilon(1e-12));
    CHECK(s.state_scale(0) ==
          Approx(std::sqrt(sum2 / static_cast<double>(n) - mean0 * mean0)).epsilon(1e-12));
    // Applying uses each bin's own state, which must be one of the fitted states.
    CHECK_THROWS_WITH(
        s.apply<double>(counts, state),
        Catch::Contains("bin 350 has state 255, the scaler was fitted on states 0..2"));
    std::fill(state.begin() + 350, state.begin() + 360, std::uint8_t{0});
    const auto x = s.apply<double>(counts, state);
    CHECK(x(0, 0) == Approx((std::sqrt(counts(0, 0)) - s.state_mean(0)) / s.state_scale(0)));
    CHECK(x(390, 0) == Approx((std::sqrt(counts(390, 0)) - s.mean(0)) / s.scale(0)));
    // Labels that fit no state are an error naming the problem.
    const std::vector<std::uint8_t> none(400, jepa::UnitScaler::no_state);
    CHECK_THROWS_WITH(jepa::UnitScaler::fit(counts, train, jepa::CountTransform::sqrt,
                                            jepa::StateScaling::moments, none),
                      Catch::Contains("no bin is labelled with a state to fit"));
}

TEST_CASE("a per-state scaler round-trips through JSON and rejects bad state labels") {
    CountMat c(2, 2);
    c << 3.0, 5.0, 6.0, 4.0;
    const ModulatedPoisson d = modulated_poisson(c, 0.5, 2000, 7);
    const std::vector<jepasnn::data::RowRange> train{{0, 2000}};
    const auto s = jepa::UnitScaler::fit(d.counts, train, jepa::CountTransform::sqrt,
                                         jepa::StateScaling::moments, d.state);
    const jepasnn::Json j = jepasnn::settings_json(s);
    const auto back = jepasnn::read_settings<jepa::UnitScaler>(j, "f.json");
    CHECK(jepasnn::settings_json(back) == j);
    CHECK(back.apply<double>(d.counts, d.state) == s.apply<double>(d.counts, d.state));

    std::vector<std::uint8_t> short_labels(d.state.begin(), d.state.end() - 1);
    CHECK_THROWS_WITH(jepa::UnitScaler::fit(d.counts, train, jepa::CountTransform::sqrt,
                                            jepa::StateScaling::moments, short_labels),
                      Catch::Contains("state labels 1999 bins, the counts have 2000"));
    CHECK_THROWS_WITH(s.apply<double>(d.counts), Catch::Contains("state labels 0 bins"));
    std::vector<std::uint8_t> unknown = d.state;
    unknown[5] = 4;
    CHECK_THROWS_WITH(s.apply<double>(d.counts, unknown),
                      Catch::Contains("bin 5 has state 4, the scaler was fitted on states 0..1"));
    jepasnn::Json bad = j;
    bad["state_scale"][3] = -1.0;
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::UnitScaler>(bad, "f.json"),
                      Catch::Contains("unit 1 in state 1 has mean"));
    bad = j;
    bad["state_mean"].erase(0);
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::UnitScaler>(bad, "f.json"),
                      Catch::Contains("state_mean and state_scale have 3 and 4 entries"));
    bad = j;
    bad["state_scaling"] = "none";
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::UnitScaler>(bad, "f.json"),
                      Catch::Contains("states is 2, expected 0 without state scaling"));
    // The plain per-state z-score (the ablation without the Poisson correction): each state's
    // own mean and SD of √x.
    const auto z = jepa::UnitScaler::fit(d.counts, train, jepa::CountTransform::sqrt,
                                         jepa::StateScaling::zscore, d.state);
    for (Index k = 0; k < 2; ++k)
        for (Index u = 0; u < 2; ++u) {
            double sum = 0.0, sum2 = 0.0, n = 0.0;
            for (Index t = 0; t < 2000; ++t)
                if (d.state[static_cast<std::size_t>(t)] == k) {
                    const double y = std::sqrt(d.counts(t, u));
                    sum += y;
                    sum2 += y * y;
                    n += 1.0;
                }
            CHECK(z.state_mean(k * 2 + u) == Approx(sum / n).epsilon(1e-12));
            CHECK(z.state_scale(k * 2 + u) ==
                  Approx(std::sqrt(sum2 / n - sum * sum / (n * n))).epsilon(1e-10));
        }
    // Without state scaling the labels play no part.
    const auto plain = jepa::UnitScaler::fit(d.counts, train, jepa::CountTransform::sqrt);
    CHECK(plain.apply<double>(d.counts, d.state) == plain.apply<double>(d.counts));
}
