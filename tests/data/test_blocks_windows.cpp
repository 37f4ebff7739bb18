// Blocks and states, event-aligned windows (counts against numpy, labels against the table) and
// per-bin covariates, on the fixture.
#include <jepasnn/data/windows.hpp>

#include <rapidcheck/catch.h>

#include <numeric>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::Json;

namespace {
const Session& fixture() {
    static const Session s = load_session(jepasnn::test::fixture_nwb());
    return s;
}
}  // namespace

TEST_CASE("states resolve to the active block and its passive replay") {
    const Session& s = fixture();
    CHECK(s.state(BrainState::active).block == 0);
    CHECK(s.state(BrainState::passive).block == 5);
    CHECK(s.state(BrainState::passive).tables ==
          std::vector<std::string>{"Natural_Images_Lum_Matched_set_ophys_G_2019_presentations"});
    CHECK(parse_state("passive", "x") == BrainState::passive);
    CHECK_THROWS_WITH(parse_state("asleep", "--state"), Catch::Contains("'asleep'"));
    CHECK_THROWS_WITH(s.block(3), Catch::Contains("no stimulus block 3") &&
                                      Catch::Contains("blocks: 0, 1, 4, 5"));
    // Without an active block there is no passive replay either.
    std::vector<SessionBlock> blocks = s.blocks;
    for (SessionBlock& b : blocks)
        b.active = false;
    CHECK_THROWS_WITH(state_block(blocks, BrainState::passive, "f"), Catch::Contains("no passive"));
    blocks[1].active = blocks[2].active = true;
    CHECK_THROWS_WITH(state_block(blocks, BrainState::active, "f"),
                      Catch::Contains("several active blocks (1, 4)"));
}

TEST_CASE("flash windows of block 0 match numpy and carry the table's labels") {
    const Json g = jepasnn::test::golden("fixture_golden.json")["flash_windows"];
    const Session& s = fixture();
    EventQuery q;
    q.block = 0;
    WindowSpec spec;
    spec.pre = g["pre"].get<double>();
    spec.post = g["post"].get<double>();
    spec.bin_width = g["bin_width"].get<double>();
    const auto all = all_units(s.units.size());
    const EventWindows w = event_windows(s, q, spec, all);
    REQUIRE(w.labels.size() == g["events"].get<std::size_t>());
    REQUIRE(w.counts.shape(1) == g["n_bins"].get<std::size_t>());
    CHECK(w.counts.shape(0) == w.labels.size());
    CHECK(w.counts.shape(2) == s.units.size());
    for (std::size_t e = 0; e < 5; ++e)
        CHECK(w.labels.time[e] == g["first_onsets"][e].get<double>());
    std::vector<std::int64_t> bin_sums(w.counts.shape(1), 0), unit_sums(w.counts.shape(2), 0);
    std::int64_t checksum = 0;
    for (std::size_t i = 0; i < w.counts.size(); ++i) {
        const std::int64_t c = w.counts.data()[i];
        bin_sums[(i / w.counts.shape(2)) % w.counts.shape(1)] += c;
        unit_sums[i % w.counts.shape(2)] += c;
        checksum += c * static_cast<std::int64_t>(1 + i % 9973);
    }
    CHECK(bin_sums == g["bin_sums"].get<std::vector<std::int64_t>>());
    CHECK(unit_sums == g["unit_sums"].get<std::vector<std::int64_t>>());
    CHECK(checksum == g["checksum"].get<std::int64_t>());
    CHECK(w.offsets.front() == -0.25);
    // Labels: 7 images (omitted is not one), all active, none omitted (flashes only).
    CHECK(w.labels.image_names.size() == 7);
    for (std::size_t e = 0; e < w.labels.size(); ++e) {
        CHECK(w.labels.active[e] == 1);
        CHECK(w.labels.omitted[e] == 0);
        CHECK(w.labels.block[e] == 0);
        REQUIRE(w.labels.image[e] >= 0);
        CHECK(w.labels.image_names[static_cast<std::size_t>(w.labels.image[e])] ==
              w.labels.image_name[e]);
        CHECK(std::isfinite(w.labels.running_speed[e]));
    }
}

TEST_CASE("changes omissions and states select the right rows") {
    const Session& s = fixture();
    const Table& t = *s.image_presentations();
    EventQuery q;
    q.kind = EventKind::changes;
    const EventLabels changes = select_events(s, q);
    q.kind = EventKind::omissions;
    const EventLabels omissions = select_events(s, q);
    std::size_t n_change = 0, n_omit = 0;
    for (std::size_t r = 0; r < t.rows(); ++r) {
        n_change += *t.column("is_change").boolean(r);
        n_omit += *t.column("omitted").boolean(r);
    }
    CHECK(changes.size() == n_change);
    CHECK(omissions.size() == n_omit);
    for (std::size_t e = 0; e < omissions.size(); ++e) {
        CHECK(omissions.image[e] == -1);
        CHECK(omissions.image_name[e] == "omitted");
    }
    EventQuery passive;
    passive.state = BrainState::passive;
    EventQuery block5;
    block5.block = 5;
    CHECK(select_events(s, passive).time == select_events(s, block5).time);
    passive.block = 0;
    CHECK_THROWS_WITH(select_events(s, passive), Catch::Contains("not the passive block"));
    EventQuery flashes;
    flashes.table = "flash_250ms_presentations";
    flashes.kind = EventKind::changes;
    CHECK_THROWS_WITH(select_events(s, flashes), Catch::Contains("need an is_change column"));
}

TEST_CASE("each window bins like a grid placed at its onset") {
    const Session& s = fixture();
    rc::prop("bin_windows equals bin_train per window", [&] {
        WindowSpec spec;
        spec.pre = *rc::gen::inRange(0, 50) * 0.01;
        spec.post = *rc::gen::inRange(1, 50) * 0.01;
        spec.bin_width = *rc::gen::element(0.001, 0.005, 0.01);
        const auto onsets = *rc::gen::container<std::vector<double>>(
            rc::gen::map(rc::gen::inRange(0, 270000), [](int x) { return x * 1e-3; }));
        const std::vector<std::size_t> units = {0, 7, 39, 7};
        const auto w = bin_windows(s.units.trains(), onsets, spec, units);
        RC_ASSERT(w.shape(1) == spec.n_bins());
        for (std::size_t e = 0; e < onsets.size(); ++e)
            for (std::size_t j = 0; j < units.size(); ++j) {
                const auto col = bin_train(s.units.spike_times(units[j]), spec.grid_at(onsets[e]));
                for (std::size_t k = 0; k < col.size(); ++k)
                    RC_ASSERT(w(e, k, j) == col[k]);
            }
    });
}

TEST_CASE("per-bin covariates follow blocks images and running") {
    const Session& s = fixture();
    const BinGrid grid = BinGrid::covering({0.0, 280.0}, 0.01);
    const BinCovariates c = bin_covariates(s, grid);
    REQUIRE(c.block.size() == grid.n_bins);
    const auto bin_at = [&](double t) { return static_cast<std::size_t>(grid.bin_of(t)); };
    CHECK(c.block[bin_at(4.0)] == -1);
    CHECK(c.block[bin_at(5.1)] == 0);
    CHECK(c.active[bin_at(5.1)] == 1);
    CHECK(c.block[bin_at(160.0)] == 5);
    CHECK(c.active[bin_at(160.0)] == 0);
    // The first flash (5.0–5.25 s) shows im066; the gray after it shows nothing.
    CHECK(c.image_names[static_cast<std::size_t>(c.image[bin_at(5.1)])] == "im066");
    CHECK(c.image[bin_at(5.4)] == -1);
    CHECK(c.is_change[bin_at(9.6)] == 1);
    CHECK(c.omitted[bin_at(22.3)] == 1);
    const std::vector<double> centers = grid.centers();
    CHECK(c.running_speed[1234] ==
          s.running_speed->interpolate(std::span(centers).subspan(1234, 1))[0]);
}
