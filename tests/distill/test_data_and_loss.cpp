// Distillation data (time-block split, input gains, window sampling, batches), settings JSON, and
// the Deep CCA loss term with its gradient checked by central differences.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <jepasnn/distill/distill.hpp>

#include <limits>

#include "distill_test_support.hpp"

using namespace jepasnn;

TEST_CASE("distill data splits by time blocks and fits gains on training bins", "[distill]") {
    auto [counts, z] = test::synthetic_session(1000, 6, 3);
    counts.col(2).setZero();
    distill::DistillConfig c = test::small_config();
    const RowMatrix<double> counts_copy = counts;
    const distill::DistillData d = distill::make_distill_data(counts, z, c);
    // 5 blocks of 200 bins, every fifth held out: block 4.
    REQUIRE(d.split.train.size() == 1);
    CHECK(d.split.train[0].begin == 0);
    CHECK(d.split.train[0].end == 800);
    REQUIRE(d.split.validation.size() == 1);
    CHECK(d.split.validation[0].begin == 800);
    for (Index j = 0; j < 6; ++j) {
        const double mean = counts_copy.col(j).head(800).mean();
        if (j == 2)
            CHECK(d.input_gain(j) == 0.0);
        else
            CHECK(d.input_gain(j) == Approx(c.input_rate_hz * 0.01 / mean).epsilon(1e-12));
    }
}

TEST_CASE("distill data rejects bad input", "[distill]") {
    const distill::DistillConfig c = test::small_config();
    auto [counts, z] = test::synthetic_session(1000, 4, 1);
    CHECK_THROWS_WITH(distill::make_distill_data(counts.topRows(900), z, c),
                      Catch::Contains("same grid"));
    RowMatrix<double> bad = z;
    bad(5, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(distill::make_distill_data(counts, bad, c), Catch::Contains("targets"));
    RowMatrix<double> negative = counts;
    negative(3, 0) = -1.0;
    CHECK_THROWS_WITH(distill::make_distill_data(negative, z, c), Catch::Contains(">= 0"));
    CHECK_THROWS_WITH(distill::make_distill_data(counts.topRows(150), z.topRows(150), c),
                      Catch::Contains("held-out"));
    distill::DistillConfig w = c;
    w.burn_in_bins = w.window_bins;
    CHECK_THROWS_WITH(distill::make_distill_data(counts, z, w), Catch::Contains("burn_in_bins"));
}

TEST_CASE("distill settings round trip through JSON and reject unknown keys", "[distill]") {
    distill::DistillConfig c = test::small_config();
    c.recurrent = false;
    c.rate_penalties.get<constraints::HomeostaticBand>().inhibitory.high_hz = 30.0;
    c.bptt_truncate_bins = 3;
    const Json j = jepasnn::settings_json(c);
    CHECK(jepasnn::settings_json(jepasnn::read_settings<distill::DistillConfig>(j, "test")) == j);
    Json typo = j;
    typo["learning_rte"] = 1.0;
    CHECK_THROWS_WITH(jepasnn::read_settings<distill::DistillConfig>(typo, "cfg"),
                      Catch::Contains("unknown distillation setting 'learning_rte'"));
    Json wrong = j;
    wrong["batch"] = "many";
    CHECK_THROWS_WITH(jepasnn::read_settings<distill::DistillConfig>(wrong, "cfg"),
                      Catch::Contains("batch"));
    Json bad = j;
    bad["heldout_fraction"] = 1.5;
    CHECK_THROWS_WITH(jepasnn::read_settings<distill::DistillConfig>(bad, "cfg"),
                      Catch::Contains("heldout_fraction"));
    Json negative = j;
    negative["bptt_truncate_bins"] = -1;
    CHECK_THROWS_WITH(jepasnn::read_settings<distill::DistillConfig>(negative, "cfg"),
                      Catch::Contains("bptt_truncate_bins is -1"));
}

TEST_CASE("sampled windows lie inside the training runs and depend only on their counter",
          "[distill]") {
    rc::prop("windows inside runs", [] {
        const Index bins = *rc::gen::inRange<Index>(50, 3000);
        const Index block = *rc::gen::inRange<Index>(10, 400);
        const Index length = *rc::gen::inRange<Index>(1, 10);
        const data::TimeSplit split = data::split_time_blocks(bins, {block, 0.25});
        RC_PRE(!split.train.empty());
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint32_t>();
        const std::vector<Index> all = distill::sample_windows(split.train, length, 20, seed, 1, 0);
        for (Index s : all) {
            bool inside = false;
            for (const auto& r : split.train)
                inside = inside || (s >= r.begin && s + length <= r.end);
            RC_ASSERT(inside);
        }
        const std::vector<Index> tail =
            distill::sample_windows(split.train, length, 5, seed, 1, 15);
        for (std::size_t i = 0; i < 5; ++i)
            RC_ASSERT(tail[i] == all[15 + i]);
    });
}

TEST_CASE("cca loss gradient matches central differences", "[distill]") {
    const Index b = 3, w = 12, dy = 2, dz = 3, burn = 2;
    Tensor<double, 3> y(std::array<std::size_t, 3>{b, w, dy});
    Tensor<double, 3> z(std::array<std::size_t, 3>{b, w, dz});
    for (std::size_t i = 0; i < y.size(); ++i)
        y.data()[i] = normal_at(11, 0, i);
    for (std::size_t i = 0; i < z.size(); ++i)
        z.data()[i] = normal_at(11, 1, i) + 0.5 * y.data()[(i / dz) * dy + (i % dz) % dy];
    Tensor<double, 3> grad, scratch;
    const distill::CcaLossTerm term = distill::cca_loss(grad, y, z, {burn, 1e-3, 0.7});
    CHECK(term.loss < 0.0);
    CHECK(term.mean_cca > 0.0);
    const double h = 1e-6;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double keep = y.data()[i];
        y.data()[i] = keep + h;
        const double up = distill::cca_loss(scratch, y, z, {burn, 1e-3, 0.7}).loss;
        y.data()[i] = keep - h;
        const double down = distill::cca_loss(scratch, y, z, {burn, 1e-3, 0.7}).loss;
        y.data()[i] = keep;
        INFO("element " << i);
        CHECK(grad.data()[i] == Approx((up - down) / (2 * h)).margin(1e-7));
        if (static_cast<Index>((i / dy) % w) < burn) CHECK(grad.data()[i] == 0.0);
    }
}

TEST_CASE("cca loss of a constant readout is zero and of a NaN readout not finite", "[distill]") {
    Tensor<float, 3> y(std::array<std::size_t, 3>{2, 10, 2});
    Tensor<double, 3> z(std::array<std::size_t, 3>{2, 10, 2});
    y.fill(0.25f);
    for (std::size_t i = 0; i < z.size(); ++i)
        z.data()[i] = normal_at(3, 0, i);
    Tensor<float, 3> grad;
    distill::CcaLossTerm t = distill::cca_loss(grad, y, z, {1, 1e-3, 1.0});
    CHECK(t.finite);
    CHECK(t.loss == 0.0);
    for (std::size_t i = 0; i < grad.size(); ++i)
        CHECK(grad.data()[i] == 0.0f);
    y.data()[7] = std::numeric_limits<float>::quiet_NaN();
    t = distill::cca_loss(grad, y, z, {1, 1e-3, 1.0});
    CHECK_FALSE(t.finite);
}
