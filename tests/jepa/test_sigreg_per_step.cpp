// SIGReg as the teacher's regulariser: computed per time step across the batch's windows (the
// Epps–Pulley statistic assumes independent samples; rows of one window are autocorrelated).
// Pins that the value equals the mean of the per-step statistics along the same directions, that
// its backward matches central differences (pooled and per brain state), and that ctx.batch = 0
// pools every row.
#include <jepasnn/jepa/regularizers.hpp>

#include <rapidcheck/catch.h>

#include <cmath>
#include <vector>

#include "central_differences.hpp"
#include "jepa_test_util.hpp"

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using Mat = jepasnn::RowMatrix<double>;

TEST_CASE("sigreg regulariser is the mean of per time step statistics", "[tolerance]") {
    rc::prop("random steps and batch sizes", [] {
        const Index steps = *rc::gen::inRange(1, 6), batch = *rc::gen::inRange(1, 9),
                    d = *rc::gen::inRange(1, 5);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const std::uint64_t step = *rc::gen::inRange<std::uint64_t>(0, 1000);
        jepa::SigRegConfig config;
        config.directions = *rc::gen::inRange(1, 40);
        const Mat z = jepasnn::test::random_latents(steps * batch, d, seed);  // (L·B, D) time-major
        jepa::SigRegRegularizer<double> reg(config);
        const double value = reg.forward(z, {seed, step, batch});
        // Independent reference: the plain statistic of each time step's B rows, averaged.
        double expected = 0.0;
        for (Index t = 0; t < steps; ++t)
            expected +=
                jepa::sigreg<double>(Mat(z.middleRows(t * batch, batch)), config, seed, step) /
                static_cast<double>(steps);
        RC_ASSERT(std::fabs(value - expected) <= 1e-12 * std::max(1.0, std::fabs(expected)));
        // batch = 0 pools every row into one statistic.
        const double pooled = reg.forward(z, {seed, step, 0});
        RC_ASSERT(std::fabs(pooled - jepa::sigreg<double>(z, config, seed, step)) <=
                  1e-12 * std::max(1.0, std::fabs(pooled)));
    });
}

TEST_CASE("per time step sigreg backward matches central differences, pooled and per state",
          "[tolerance]") {
    rc::prop("random shapes, scales and state labels", [] {
        const Index steps = *rc::gen::inRange(1, 5), batch = *rc::gen::inRange(1, 7),
                    d = *rc::gen::inRange(1, 4);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const double scale = *rc::gen::element(1.0, 0.05, 2.5);
        jepa::SigRegConfig config;
        config.directions = *rc::gen::inRange(1, 12);
        config.per_state = *rc::gen::arbitrary<bool>();
        const auto labels = *rc::gen::container<std::vector<std::uint8_t>>(
            static_cast<std::size_t>(steps * batch), rc::gen::inRange<std::uint8_t>(0, 3));
        Mat z = jepasnn::test::random_latents(steps * batch, d, seed);
        jepa::SigRegRegularizer<double> reg(config);
        const jepa::RegularizerContext ctx{seed, 3, batch, labels};
        auto loss = [&] { return scale * reg.forward(z, ctx); };
        // S of central_differences.hpp: a (weighted) mean of statistics that sum nonnegative
        // terms.
        const double magnitude = std::abs(loss());
        Mat dz = Mat::Constant(z.rows(), d, 0.25);  // backward adds into what is there
        reg.backward(dz, scale);
        dz.array() -= 0.25;
        jepasnn::test::rc_assert_central_differences(
            "dz", jepasnn::test::check_central_differences(
                      loss, std::span<double>(z.data(), static_cast<std::size_t>(z.size())),
                      std::span<const double>(dz.data(), static_cast<std::size_t>(dz.size())),
                      magnitude));
    });
}

TEST_CASE("sigreg regulariser rejects latents that do not tile the batch") {
    jepa::SigRegRegularizer<double> reg;
    const Mat z = jepasnn::test::random_latents(10, 3, 1);
    CHECK_THROWS_WITH(reg.forward(z, {0, 0, 4}), Catch::Contains("jepa::SigRegRegularizer") &&
                                                     Catch::Contains("10 rows") &&
                                                     Catch::Contains("batch of 4"));
}

TEST_CASE("per time step sigreg separates autocorrelated windows from pooled rows") {
    // Eight slowly varying windows: each time step's 8 rows are independent N(0, 1) draws, but
    // pooling the autocorrelated rows of a window (same value at every step) inflates the
    // statistic, which the per-step form avoids (why the teacher uses it).
    const Index steps = 50, batch = 8, d = 4;
    Mat z(steps * batch, d);
    for (Index b = 0; b < batch; ++b)
        for (Index c = 0; c < d; ++c) {
            const double v = jepasnn::normal_at(7, 9, static_cast<std::uint64_t>(b * d + c));
            for (Index t = 0; t < steps; ++t)
                z(t * batch + b, c) = v;
        }
    jepa::SigRegConfig config;
    config.directions = 256;
    jepa::SigRegRegularizer<double> reg(config);
    const double per_step = reg.forward(z, {1, 0, batch});
    const double pooled = reg.forward(z, {1, 0, 0});
    CHECK(per_step < 3.0);
    CHECK(pooled > 10.0 * per_step);
}
