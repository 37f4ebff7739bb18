// Binning: the edge rule pinned with exactly representable times, spike conservation and
// agreement with a naive per-spike reference as properties over random trains and grids, thread
// independence, unit selection, buffer reuse, and the fixture's block 0 against numpy.
#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/session.hpp>

#include <rapidcheck/catch.h>

#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <variant>

#include "data_test_support.hpp"

using namespace jepasnn::data;

namespace {

/// The rule written out per spike, with no tiling or cursors: the reference.
jepasnn::Tensor<std::int32_t, 2> naive_bins(const UnitTable& u, const BinGrid& g,
                                            const std::vector<std::size_t>& units) {
    jepasnn::Tensor<std::int32_t, 2> out =
        jepasnn::Tensor<std::int32_t, 2>::from_shape({g.n_bins, units.size()});
    std::fill(out.begin(), out.end(), 0);
    for (std::size_t j = 0; j < units.size(); ++j)
        for (double t : u.spike_times(units[j])) {
            const double k = std::floor((t - g.t_start + 1e-9) / g.bin_width);
            if (k >= 0 && k < static_cast<double>(g.n_bins)) ++out(static_cast<std::size_t>(k), j);
        }
    return out;
}

/// Random sorted trains on [0, duration): sizes and times from a stream seeded by rapidcheck
/// (so a failure shrinks to, and prints, the seed and sizes).
UnitTable random_units(std::size_t n_units, double duration, std::size_t max_spikes) {
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    jepasnn::RandomStream rng(seed, 1);
    std::vector<std::vector<double>> trains(n_units);
    std::vector<std::int64_t> ids(n_units);
    for (std::size_t u = 0; u < n_units; ++u) {
        ids[u] = static_cast<std::int64_t>(u) * 3 + 1;
        trains[u].resize(rng.uniform_index(max_spikes + 1));
        for (double& t : trains[u])  // on a 2^-24 s lattice: exact edges happen too
            t = duration * static_cast<double>(rng.uniform_index(1u << 24)) / double(1u << 24);
        std::sort(trains[u].begin(), trains[u].end());
    }
    return UnitTable::from_trains(ids, trains);
}

}  // namespace

TEST_CASE("bin edges follow the rule exactly with binary-fraction times") {
    // t0 = 0.5, dt = 0.25: every edge 0.5 + k/4 is exact in binary.
    const double below_1ns = std::ldexp(1.0, -40);  // 9.1e-13 s: inside the 1 ns tolerance
    const double below_4ns = std::ldexp(1.0, -28);  // 3.7e-9 s: outside it
    const UnitTable u = UnitTable::from_trains(
        {1}, {{0.5 - below_4ns, 0.5 - below_1ns, 0.5, 0.75 - below_4ns, 0.75 - below_1ns, 0.75, 1.0,
               1.25 + 0.125, 1.5 - below_4ns, 1.5 - below_1ns, 1.5}});
    const BinGrid grid = BinGrid::covering({0.5, 1.5}, 0.25);
    REQUIRE(grid.n_bins == 4);
    const auto counts = bin_spikes(u, grid);
    // bin 0: 0.5 − 2⁻⁴⁰, 0.5, 0.75 − 2⁻²⁸; bin 1: 0.75 − 2⁻⁴⁰, 0.75; bin 2: 1.0;
    // bin 3: 1.375, 1.5 − 2⁻²⁸; excluded: 0.5 − 2⁻²⁸ (before), 1.5 − 2⁻⁴⁰ and 1.5 (bin 4).
    CHECK(counts(0, 0) == 3);
    CHECK(counts(1, 0) == 2);
    CHECK(counts(2, 0) == 1);
    CHECK(counts(3, 0) == 2);
    CHECK(grid.bin_of(0.75 - below_1ns) == 1);
    CHECK(grid.bin_of(0.75 - below_4ns) == 0);
}

TEST_CASE("wide bins from zero count their first bin") {
    // The search for bin 0's first time brackets it by [−10, 10] s, whose ordered keys are more
    // than 2^63 apart: their difference once overflowed and bin 0 came out empty.
    const UnitTable u = UnitTable::from_trains({1}, {{0.0, 0.5, 3.0, 9.999, 12.0, 25.0}});
    for (double width : {2.0, 10.0, 1000.0}) {
        INFO("width " << width);
        const BinGrid grid = BinGrid::covering({0.0, 2000.0}, width);
        const auto counts = bin_spikes(u, grid);
        const auto reference = naive_bins(u, grid, {0});
        CHECK(jepasnn::test::same_tensor(counts, reference));
        CHECK(counts(0, 0) == reference(0, 0));
    }
    CHECK(bin_spikes(u, BinGrid::covering({0.0, 20.0}, 10.0))(0, 0) == 4);
}

TEST_CASE("only whole bins count with the same tolerance") {
    CHECK(BinGrid::covering({0.5, 1.5}, 0.25).n_bins == 4);
    CHECK(BinGrid::covering({0.5, 1.49}, 0.25).n_bins == 3);
    CHECK(BinGrid::covering({0.5, 1.5 - 1e-11}, 0.25).n_bins == 4);  // within 1e-9 bins
    CHECK(BinGrid::covering({0.0, 1.0}, 0.1).n_bins == 10);  // 1.0 / 0.1 = 9.999… in binary
    CHECK(BinGrid::covering({0.0, 280.0}, 0.01).n_bins == 28000);
    CHECK_THROWS_WITH(BinGrid::covering({0.0, 0.005}, 0.01), Catch::Contains("shorter than one"));
    CHECK_THROWS_WITH(BinGrid::covering({0.0, 1.0}, 0.0), Catch::Contains("bin width"));
    CHECK_THROWS_WITH(BinGrid::covering({0.0, std::nan("")}, 0.01), Catch::Contains("not finite"));
    CHECK_THROWS_WITH(BinGrid::covering({2.0, 1.0}, 0.01), Catch::Contains("empty"));
}

TEST_CASE("counts equal the naive per-spike rule and conserve spikes") {
    rc::prop("tiling and threads do not change any count", [] {
        const auto n_units = *rc::gen::inRange<std::size_t>(1, 40);
        const double duration = *rc::gen::inRange(1, 40);
        const UnitTable u = random_units(n_units, duration, 400);
        const double dt = *rc::gen::element(0.001, 0.01, 0.025, 0.1, 1.0);
        const double t0 = -*rc::gen::inRange(0, 3) * 0.5 + *rc::gen::inRange(0, 1000) * 1e-3;
        const BinGrid grid = BinGrid::covering({t0, duration + 1.0}, dt);
        auto selection = *rc::gen::container<std::vector<std::size_t>>(
            rc::gen::inRange<std::size_t>(0, n_units));           // any order, repeats allowed
        const auto rows = *rc::gen::inRange<std::size_t>(1, 40);  // rows per block
        jepasnn::set_thread_count(*rc::gen::inRange(1, 4));
        const auto counts = bin_spikes(u, grid, selection);
        jepasnn::Tensor<std::int32_t, 2> blocks;
        RC_ASSERT(!detail::try_bin_blocks(blocks, u.trains(), grid, selection, rows));
        jepasnn::set_thread_count(2);
        const auto reference = naive_bins(u, grid, selection);
        RC_ASSERT(jepasnn::test::same_tensor(counts, reference));
        RC_ASSERT(jepasnn::test::same_tensor(blocks, reference));
        // Conservation: a grid covering every spike keeps them all.
        if (t0 <= 0.0) {
            const auto all = bin_spikes(u, grid);
            RC_ASSERT(std::accumulate(all.begin(), all.end(), std::uint64_t{0}) ==
                      u.total_spikes());
        }
    });
}

TEST_CASE("counts over a sub-range are conserved against a direct count") {
    rc::prop("spikes inside [a, a + n dt) are all counted once", [] {
        const UnitTable u = random_units(*rc::gen::inRange<std::size_t>(1, 10), 20.0, 300);
        const double a = *rc::gen::inRange(0, 1000) * 0.01;
        const double dt = 0.01;
        const BinGrid grid = BinGrid::covering({a, a + *rc::gen::inRange(1, 900) * 0.01}, dt);
        const auto counts = bin_spikes(u, grid);
        for (std::size_t j = 0; j < u.size(); ++j) {
            std::int64_t inside = 0, binned = 0;
            for (double t : u.spike_times(j))  // the rule's window: [a − 1 ns, stop − 1 ns)
                inside += t - a + 1e-9 >= 0.0 &&
                          std::floor((t - a + 1e-9) / dt) < static_cast<double>(grid.n_bins);
            for (std::size_t k = 0; k < grid.n_bins; ++k)
                binned += counts(k, j);
            RC_ASSERT(inside == binned);
        }
    });
}

TEST_CASE("binning into a reused buffer allocates nothing and matches") {
    const UnitTable u = jepasnn::data::NwbFile(jepasnn::test::fixture_nwb()).read_units();
    const BinGrid grid = BinGrid::covering({0.0, 280.0}, 0.01);
    jepasnn::Tensor<std::int32_t, 2> out;
    const std::vector<std::size_t> all = all_units(u.size());
    bin_spikes_into(out, u.trains(), grid, all);
    const std::int32_t* first = out.data();
    std::fill(out.begin(), out.end(), 99);
    bin_spikes_into(out, u.trains(), grid, all);
    CHECK(out.data() == first);
    CHECK(jepasnn::test::same_tensor(out, bin_spikes(u, grid)));
    const std::vector<std::int32_t> column = bin_train(u.spike_times(5), grid);
    std::size_t mismatches = 0;
    for (std::size_t k = 0; k < grid.n_bins; ++k)
        mismatches += column[k] != out(k, 5);
    CHECK(mismatches == 0);
}

TEST_CASE("block 0 of the fixture bins like numpy does") {
    const jepasnn::Json g = jepasnn::test::golden("fixture_golden.json")["block0"];
    const Session s = load_session(jepasnn::test::fixture_nwb());
    const SessionBlock& b0 = s.block(0);
    CHECK(b0.start == g["t_start"].get<double>());
    CHECK(b0.stop == g["t_stop"].get<double>());
    const BinGrid grid = BinGrid::covering(b0.range(), g["bin_width"].get<double>());
    REQUIRE(grid.n_bins == g["n_bins"].get<std::size_t>());
    const auto counts = bin_spikes(s.units, grid);
    std::vector<std::int64_t> unit_sums(s.units.size(), 0), bin_sums(grid.n_bins, 0);
    std::int64_t checksum = 0;
    for (std::size_t k = 0; k < grid.n_bins; ++k)
        for (std::size_t j = 0; j < s.units.size(); ++j) {
            const std::int64_t c = counts(k, j);
            unit_sums[j] += c;
            bin_sums[k] += c;
            checksum += c * static_cast<std::int64_t>(1 + (k * s.units.size() + j) % 9973);
        }
    CHECK(unit_sums == g["unit_sums"].get<std::vector<std::int64_t>>());
    CHECK(bin_sums == g["bin_sums"].get<std::vector<std::int64_t>>());
    CHECK(checksum == g["checksum"].get<std::int64_t>());
}

TEST_CASE("narrow count types hold the same counts and refuse what they cannot hold") {
    rc::prop(
        "uint8 and uint16 equal int32 where they fit; narrowest is the narrowest that fits", [] {
            const auto n_units = *rc::gen::inRange<std::size_t>(1, 12);
            // Up to 400 spikes in 2 s and bins up to 1 s: some counts pass 255.
            const UnitTable u = random_units(n_units, 2.0, 400);
            const BinGrid grid = BinGrid::covering({0.0, 2.0}, *rc::gen::element(0.01, 0.1, 1.0));
            jepasnn::set_thread_count(*rc::gen::inRange(1, 4));
            const auto reference = naive_bins(u, grid, all_units(n_units));
            const std::int32_t largest = *std::max_element(reference.begin(), reference.end());
            const std::size_t first_over =
                static_cast<std::size_t>(std::find_if(reference.begin(), reference.end(),
                                                      [](std::int32_t c) { return c > 255; }) -
                                         reference.begin());
            const Counts narrowest =
                bin_spikes_as(CountDType::narrowest, u, grid, all_units(n_units));
            const auto wide = bin_spikes<std::uint16_t>(u, grid);
            jepasnn::Tensor<std::uint8_t, 2> blocks;  // a few rows per block: overflow anywhere
            const std::optional<CountOverflow> blocks_overflow = detail::try_bin_blocks(
                blocks, u.trains(), grid, all_units(n_units), *rc::gen::inRange<std::size_t>(1, 9));
            jepasnn::set_thread_count(2);
            RC_ASSERT(narrowest.index() == (largest <= 255 ? 0u : 1u));
            RC_ASSERT(
                std::visit([&](const auto& c) { return jepasnn::test::same_tensor(c, reference); },
                           narrowest));
            RC_ASSERT(jepasnn::test::same_tensor(wide, reference));
            if (largest <= 255) {
                RC_ASSERT(jepasnn::test::same_tensor(bin_spikes<std::uint8_t>(u, grid), reference));
                RC_ASSERT(!blocks_overflow);
                RC_ASSERT(jepasnn::test::same_tensor(blocks, reference));
            } else {  // the first count past 255 in (bin, column) order is the one named
                const std::size_t bin = first_over / n_units, column = first_over % n_units;
                RC_ASSERT((blocks_overflow == CountOverflow{bin, column}));
                try {
                    (void)bin_spikes<std::uint8_t>(u, grid);
                    RC_FAIL("uint8 held a count of " + std::to_string(largest));
                } catch (const jepasnn::Error& e) {
                    const std::string what = e.what();
                    RC_ASSERT(what.find("(output column " + std::to_string(column) +
                                        ") has more than 255 spikes in bin " + std::to_string(bin) +
                                        " ") != std::string::npos);
                }
            }
        });
}

TEST_CASE("a count past the type names the unit and the bin") {
    std::vector<double> burst(300);
    for (std::size_t i = 0; i < burst.size(); ++i)
        burst[i] = 0.2 + 1e-4 * static_cast<double>(i);  // 300 spikes in [0.2, 0.23)
    const UnitTable u = UnitTable::from_trains({7, 9}, {{0.05, 0.25}, burst});
    const BinGrid grid = BinGrid::covering({0.0, 0.5}, 0.1);
    CHECK_THROWS_WITH(bin_spikes<std::uint8_t>(u, grid),
                      Catch::Contains("bin_spikes: unit 1 (id 9) (output column 1) has more than "
                                      "255 spikes in bin 2 (from 0.2 s), more than uint8 holds"));
    const auto wide = bin_spikes<std::uint16_t>(u, grid);
    CHECK(wide(2, 1) == 300);
    CHECK(wide(2, 0) == 1);
    const Counts narrowest = bin_spikes_as(CountDType::narrowest, u, grid, all_units(2));
    REQUIRE(std::holds_alternative<jepasnn::Tensor<std::uint16_t, 2>>(narrowest));
    CHECK(jepasnn::test::same_tensor(std::get<1>(narrowest), wide));
    CHECK_THROWS_WITH(bin_spikes_as(CountDType::uint8, u, grid, all_units(2)),
                      Catch::Contains("unit 1 (id 9)") && Catch::Contains("bin 2"));
    CHECK(std::holds_alternative<jepasnn::Tensor<std::int32_t, 2>>(
        bin_spikes_as(CountDType::int32, u, grid, all_units(2))));
    CHECK(parse_count_dtype("uint16", "--dtype") == CountDType::uint16);
    CHECK_THROWS_WITH(parse_count_dtype("int8", "--dtype"),
                      Catch::Contains("--dtype") && Catch::Contains("'int8'"));
}

TEST_CASE("bad selections are errors") {
    const UnitTable u = UnitTable::from_trains({1, 2}, {{0.1}, {0.2}});
    const BinGrid grid = BinGrid::covering({0.0, 1.0}, 0.1);
    const std::vector<std::size_t> bad = {0, 2};
    CHECK_THROWS_WITH(bin_spikes(u, grid, bad),
                      Catch::Contains("selected unit 2") && Catch::Contains("2 units"));
    const std::vector<std::size_t> none;
    const auto empty = bin_spikes(u, grid, none);
    CHECK(empty.shape(0) == 10);
    CHECK(empty.shape(1) == 0);
}
