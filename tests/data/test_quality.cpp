// Unit QC and quality metrics: the default funnel on the fixture against an independent numpy
// count, composable criteria, the error for files without QC columns, metrics recomputed from the
// spikes against numpy (and hand-worked cases), the amplitude cutoff against scipy.
#include <jepasnn/data/quality_metrics.hpp>
#include <jepasnn/data/session.hpp>
#include <jepasnn/data/unit_qc.hpp>

#include <cmath>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::Json;

namespace {
// A criterion written by a user, to show the concept is all a filter needs.
struct EvenId {
    std::string name() const { return "id is even"; }
    void check(const UnitTable&) const {}
    bool keep(const UnitTable& t, std::size_t u) const { return t.id(u) % 2 == 0; }
};
static_assert(UnitCriterion<EvenId>);
static_assert(UnitCriterion<AllOf<ColumnCompare, MinimumSpikes>>);
static_assert(!UnitCriterion<int>);
}  // namespace

TEST_CASE("the default funnel matches an independent count on the fixture") {
    const Json g = jepasnn::test::golden("fixture_golden.json");
    const UnitTable u = NwbFile(jepasnn::test::fixture_nwb()).read_units();
    const QcFunnel f = vbn_default_filter().funnel(u);
    CHECK(f.total == 40);
    REQUIRE(f.steps.size() == g["funnel"].size());
    for (std::size_t i = 0; i < f.steps.size(); ++i) {
        const Json& e = g["funnel"][i];
        CHECK(f.steps[i].criterion == e["criterion"].get<std::string>());
        CHECK(f.steps[i].failing == e["failing"].get<std::size_t>());
        CHECK(f.steps[i].removed == e["removed"].get<std::size_t>());
        CHECK(f.steps[i].remaining == e["remaining"].get<std::size_t>());
    }
    CHECK(f.kept.size() == g["kept"].get<std::size_t>());
    CHECK(vbn_default_filter().select(u) == f.kept);
    CHECK(f.to_json()["steps"][2]["removed"] == g["funnel"][2]["removed"]);
}

TEST_CASE("criteria compose and user criteria plug in") {
    const UnitTable u = NwbFile(jepasnn::test::fixture_nwb()).read_units();
    UnitFilter f;
    f.add(column_above("snr", 2.0) && MinimumSpikes{1000})
        .add(InAreas{{"VISp", "VISl"}})
        .add(EvenId{});
    const QcFunnel funnel = f.funnel(u);
    for (std::size_t i : funnel.kept) {
        CHECK(u.columns().column("snr").real(i) > 2.0);
        CHECK(u.n_spikes(i) >= 1000);
        CHECK((u.locations()[i] == "VISp" || u.locations()[i] == "VISl"));
        CHECK(u.id(i) % 2 == 0);
    }
    std::size_t expected = 0;
    for (std::size_t i = 0; i < u.size(); ++i)
        expected += u.columns().column("snr").real(i) > 2.0 && u.n_spikes(i) >= 1000 &&
                    (u.locations()[i] == "VISp" || u.locations()[i] == "VISl") && u.id(i) % 2 == 0;
    CHECK(funnel.kept.size() == expected);
    CHECK(f.names()[0] == "(snr > 2) and (n_spikes >= 1000)");
    CHECK(qc_filter_named("none").select(u).size() == 40);
    CHECK_THROWS_WITH(qc_filter_named("strict"), Catch::Contains("expected 'none' or 'default'"));
}

TEST_CASE("QC on a table without the columns is a clear error") {
    const UnitTable bare = UnitTable::from_trains({1, 2}, {{0.1}, {0.2}}, {}, "bare.nwb: /units");
    CHECK_THROWS_WITH(vbn_default_filter().funnel(bare), Catch::Contains("bare.nwb: /units") &&
                                                             Catch::Contains("'quality'") &&
                                                             Catch::Contains("columns: none"));
    CHECK_THROWS_WITH(UnitFilter().add(InAreas{{"VISp"}}).select(bare),
                      Catch::Contains("needs unit areas"));
    UnitTable typed = UnitTable::from_trains({1}, {{0.1}});
    typed.add_column(Column::reals("quality", {1.0}));
    CHECK_THROWS_WITH(vbn_default_filter().funnel(typed), Catch::Contains("needs text"));
}

TEST_CASE("metrics recomputed from the spikes match numpy on the fixture") {
    const Json g = jepasnn::test::golden("fixture_golden.json")["metrics"];
    const UnitTable u = NwbFile(jepasnn::test::fixture_nwb()).read_units();
    const UnitMetrics m = compute_quality_metrics(u);
    CHECK(m.range.start == g["range"][0].get<double>());
    CHECK(m.range.stop == g["range"][1].get<double>());
    for (std::size_t i = 0; i < u.size(); ++i) {
        INFO("unit " << i);
        CHECK(m.firing_rate[i] == Approx(g["firing_rate"][i].get<double>()).epsilon(1e-13));
        CHECK(m.isi_violations[i] == Approx(g["isi_violations"][i].get<double>()).epsilon(1e-12));
        CHECK(m.presence_ratio[i] == g["presence_ratio"][i].get<double>());
        CHECK(std::isnan(m.amplitude_cutoff[i]));  // the fixture has no spike_amplitudes
    }
    // Stored against recomputed: the report covers the metrics the file stores.
    const auto cmp = compare_quality_metrics(u, m);
    REQUIRE(cmp.size() == 3);  // amplitude_cutoff has no recomputed values to compare
    CHECK(cmp[0].metric == "firing_rate");
    CHECK(cmp[0].compared == 40);
    for (const MetricComparison& c : cmp) {
        CHECK(c.agreeing <= c.compared);
        CHECK(c.max_abs_difference >= c.mean_abs_difference);
        CHECK(c.to_json(true)["stored"].size() == 40);
    }
}

TEST_CASE("ISI violations and presence follow their definitions on worked examples") {
    const std::vector<double> t = {0.0, 0.001, 0.01, 0.0105, 1.0};
    // 5 spikes, ISIs 1 ms and 0.5 ms violate 1.5 ms: (2 / (2·5·1.5 ms)) / (5 Hz) = 26.67.
    CHECK(isi_violation_ratio(t, {0.0, 1.0}) == Approx(2.0 / 0.015 / 5.0).epsilon(1e-14));
    // Censoring 0.6 ms drops the 0.5 ms duplicate: (1 / (2·4·0.9 ms)) / (4 Hz) = 34.72.
    MetricOptions o;
    o.censored_s = 0.0006;
    CHECK(isi_violation_ratio(t, {0.0, 1.0}, o) == Approx(1.0 / 0.0072 / 4.0).epsilon(1e-14));
    CHECK(std::isnan(isi_violation_ratio({}, {0.0, 1.0})));
    CHECK(firing_rate(t, {0.0, 2.0}) == 2.5);
    CHECK(presence_ratio(std::vector<double>{0.1, 0.2, 0.6, 0.99}, {0.0, 1.0}, 4) == 0.75);
    CHECK(presence_ratio(std::vector<double>{1.0}, {0.0, 1.0}, 4) == 0.25);  // stop is included
    MetricOptions bad;
    bad.censored_s = 0.002;
    CHECK_THROWS_WITH(compute_quality_metrics(UnitTable::from_trains({1}, {{0.1}}), bad),
                      Catch::Contains("must exceed the censored period"));
}

TEST_CASE("the amplitude cutoff matches scipy's smoothing on synthetic amplitudes") {
    const Json cases = jepasnn::test::golden("amplitude_cutoff_golden.json");
    for (const Json& c : cases) {
        const auto a = c["amplitudes"].get<std::vector<double>>();
        CHECK(amplitude_cutoff(a) == Approx(c["cutoff"].get<double>()).margin(1e-12));
    }
    CHECK(std::isnan(amplitude_cutoff(std::vector<double>{})));
    CHECK(amplitude_cutoff(std::vector<double>{3.0, 3.0, 3.0}) == 0.0);
}
