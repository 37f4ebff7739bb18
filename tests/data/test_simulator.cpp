// The simulator: determinism (seed, threads), the round trip simulate → NWB → reader → binning,
// spike statistics against the rate model, QC removing the artefact units for real, ground truth
// aligned with the NWB tables, pynwb reading the files, and the cohort's atomic directory.
#include <jepasnn/core/threads.hpp>
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/simulator/simulate.hpp>
#include <jepasnn/data/unit_qc.hpp>
#include <jepasnn/data/windows.hpp>

#include <cmath>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::test::TempDir;
namespace fs = std::filesystem;

namespace {

SimulatorConfig small_config() {
    SimulatorConfig c = SimulatorConfig::quick();
    c.sessions = 1;
    c.units = 80;
    c.minutes = 3.0;
    return c;
}

SimulatedSession simulate_one(const SimulatorConfig& c, std::uint64_t seed, std::size_t index = 0) {
    return simulate_session(c, sim::LatentDynamics::from_seed(c, seed), seed, index);
}

std::string manifest_without_run(const fs::path& dir) {
    jepasnn::Json m = jepasnn::read_json(dir / "cohort.json");
    m.erase("run");  // records the thread count
    return m.dump();
}

}  // namespace

TEST_CASE("a cohort is a function of seed and config whatever the thread count") {
    TempDir dir;
    SimulatorConfig c = small_config();
    c.sessions = 2;
    jepasnn::set_thread_count(2);
    simulate_cohort(c, 7, dir / "a");
    jepasnn::set_thread_count(1);
    simulate_cohort(c, 7, dir / "b");
    jepasnn::set_thread_count(2);
    simulate_cohort(c, 8, dir / "c");
    for (const char* f : {"session_000.nwb", "session_001.nwb", "session_001/latents.npy",
                          "session_001/units.json", "session_000/image.npy"}) {
        INFO(f);
        CHECK(jepasnn::test::read_text(dir / "a" / f) == jepasnn::test::read_text(dir / "b" / f));
        CHECK(jepasnn::test::read_text(dir / "a" / f) != jepasnn::test::read_text(dir / "c" / f));
    }
    CHECK(manifest_without_run(dir / "a") == manifest_without_run(dir / "b"));
    // Sessions of one cohort differ from each other (their own schedule, units and noise).
    CHECK(jepasnn::test::read_text(dir / "a/session_000/latents.npy") !=
          jepasnn::test::read_text(dir / "a/session_001/latents.npy"));
}

TEST_CASE("simulate then write then read then bin reproduces the generated spikes") {
    TempDir dir;
    const SimulatorConfig c = small_config();
    REQUIRE(c.write_amplitudes);
    const SimulatedSession s = simulate_one(c, 11);
    // The file is written a group of units at a time; any grouping gives the table simulated in
    // memory, metrics (over the whole table's extent) included, bitwise.
    for (const std::size_t group : {std::size_t{1}, std::size_t{7}, simulated_unit_group}) {
        INFO("units per group " << group);
        const fs::path file = dir / ("s" + std::to_string(group) + ".nwb");
        CHECK(write_session_nwb(s, c, file, 11, group) == s.units.total_spikes());
        const Session read = load_session(file);
        REQUIRE(read.units.size() == s.units.size());
        REQUIRE(read.units.spike_ends().size() == s.units.spike_ends().size());
        CHECK(std::equal(read.units.spike_ends().begin(), read.units.spike_ends().end(),
                         s.units.spike_ends().begin()));
        const auto a = s.units.all_spike_times(), b = read.units.all_spike_times();
        CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
        CHECK(read.units.locations() == s.units.locations());
        CHECK(read.units.columns().column_names() == s.units.columns().column_names());
        std::size_t differing = 0;
        for (const std::string& name : s.units.columns().column_names())
            for (std::size_t u = 0; u < s.units.size(); ++u)
                differing += read.units.columns().column(name).json(u) !=
                             s.units.columns().column(name).json(u);
        CHECK(differing == 0);
    }
    SimulatorConfig without = c;
    without.write_amplitudes = false;
    write_session_nwb(s, without, dir / "bare.nwb", 11, 7);
    const Session bare = load_session(dir / "bare.nwb");
    CHECK(bare.units.columns().find("spike_amplitudes") == nullptr);
    CHECK(bare.units.columns().column("amplitude_cutoff").json(0) ==
          s.units.columns().column("amplitude_cutoff").json(0));
    CHECK(std::ranges::equal(bare.units.all_spike_times(), s.units.all_spike_times()));
    CHECK_THROWS_WITH(write_session_nwb(s, c, dir / "none.nwb", 11, 0),
                      Catch::Contains("units per group must be > 0"));
    CHECK_FALSE(fs::exists(dir / "none.nwb"));
    const Session read = load_session(dir / "s1.nwb");
    const BinGrid grid = BinGrid::covering({0.0, s.schedule.duration()}, 0.01);
    CHECK(jepasnn::test::same_tensor(bin_spikes(read.units, grid), bin_spikes(s.units, grid)));
    CHECK(read.blocks.size() == 6);
    CHECK(read.state(BrainState::active).block == 0);
    CHECK(read.state(BrainState::passive).block == 5);
    // The passive block replays the active block's images frame for frame.
    EventQuery active, passive;
    active.block = 0;
    passive.block = 5;
    const EventLabels a = select_events(read, active), p = select_events(read, passive);
    CHECK(a.image_name == p.image_name);
    CHECK(a.is_change == p.is_change);
    CHECK(p.time[0] - a.time[0] == Approx(read.block(5).start - read.block(0).start));
    // Booleans arrive both ways VBN stores them: enums in the image table, float64 elsewhere.
    CHECK(read.image_presentations()->column("active").stored_as() == "bool enum");
    CHECK(read.interval("flash_250ms_presentations").column("active").stored_as() == "float64");
}

TEST_CASE("spike counts follow the rate model with its dead time") {
    SimulatorConfig c = small_config();
    c.units = 60;
    const SimulatedSession s = simulate_one(c, 5);
    // Good units: E[count] = Σ_k λ_k dt / (1 + λ_k τ_ref) (stationary Poisson with dead time);
    // detection losses are negligible for amplitudes ≥ 110 µV against a 50 µV threshold.
    double expected = 0.0, observed = 0.0;
    for (std::size_t u = 0; u < s.population.size(); ++u) {
        if (s.population.kind[u] != sim::UnitKind::good) continue;
        for (std::size_t k = 0; k < s.schedule.n_bins; ++k) {
            const double rate =
                sim::unit_rate(s.population, u, s.latents, s.schedule, s.state, k, c.max_rate_hz);
            expected += rate * s.schedule.bin_width / (1.0 + rate * c.refractory_s);
        }
        observed += static_cast<double>(s.units.n_spikes(u));
    }
    INFO("observed " << observed << " expected " << expected);
    REQUIRE(observed > 50000);
    CHECK(std::fabs(observed / expected - 1.0) < 0.02);  // ~ 5 SE of a Poisson total
}

TEST_CASE("QC removes the artefact units for real") {
    SimulatorConfig c = small_config();
    c.units = 300;
    c.minutes = 6.0;
    const SimulatedSession s = simulate_one(c, 3);
    const auto& col = [&](const char* name) { return s.units.columns().column(name); };
    const std::vector<std::size_t> kept = vbn_default_filter().select(s.units);
    std::vector<char> is_kept(s.units.size(), 0);
    for (std::size_t u : kept)
        is_kept[u] = 1;
    std::size_t n[5] = {}, removed[5] = {}, caught[5] = {};
    for (std::size_t u = 0; u < s.units.size(); ++u) {
        const auto k = static_cast<std::size_t>(s.population.kind[u]);
        ++n[k];
        removed[k] += !is_kept[u];
        switch (s.population.kind[u]) {
            case sim::UnitKind::noise:
                caught[k] += col("quality").text(u) == "noise";
                break;
            case sim::UnitKind::contaminated:
                caught[k] += col("isi_violations").real(u) >= 0.5;
                break;
            case sim::UnitKind::dropout:
                caught[k] += col("presence_ratio").real(u) <= 0.9;
                break;
            case sim::UnitKind::low_amplitude:
                caught[k] += col("amplitude_cutoff").real(u) >= 0.1;
                break;
            case sim::UnitKind::good:
                // A 2 ms dead time leaves no interval below 1.5 ms: exactly zero violations.
                caught[k] += col("isi_violations").real(u) == 0.0;
                break;
        }
    }
    for (std::size_t k = 1; k < 5; ++k) {
        INFO(sim::unit_kind_name(static_cast<sim::UnitKind>(k))
             << ": " << caught[k] << " of " << n[k]);
        REQUIRE(n[k] >= 10);
        CHECK(caught[k] >= n[k] * 8 / 10);   // the metric flags the artefact
        CHECK(removed[k] >= n[k] * 8 / 10);  // and QC removes the unit
    }
    CHECK(caught[0] == n[0]);
    CHECK(n[0] - removed[0] >= n[0] * 8 / 10);  // most good units survive
    // The stored metrics are the ones recomputed from the written spikes.
    for (const MetricComparison& m :
         compare_quality_metrics(s.units, compute_quality_metrics(s.units)))
        CHECK(m.max_abs_difference == 0.0);
}

TEST_CASE("ground truth lines up with the session's tables") {
    TempDir dir;
    SimulatorConfig c = small_config();
    simulate_cohort(c, 21, dir / "cohort");
    const Cohort cohort = Cohort::read(dir / "cohort");
    REQUIRE(cohort.sessions.size() == 1);
    CHECK(cohort.seed == 21);
    CHECK(cohort.config.units == c.units);
    CHECK(cohort.images.size() == c.images);
    const GroundTruth g = cohort.ground_truth(0);
    const Session s = load_session(cohort.sessions[0].nwb);
    CHECK(g.n_bins() == static_cast<std::size_t>(std::llround(c.minutes * 60 / c.bin_width)));
    CHECK(g.dim() == c.latent_dim);
    CHECK(static_cast<std::size_t>(g.loadings.rows()) == s.units.size());
    CHECK(g.units["id"].get<std::vector<std::int64_t>>() ==
          std::vector<std::int64_t>(s.units.ids().begin(), s.units.ids().end()));
    CHECK(cohort.sessions[0].spikes == s.units.total_spikes());
    // Blocks start on the ground-truth grid, so binned blocks index the latents directly.
    for (std::int64_t b : {0, 5}) {
        const BinGrid grid = BinGrid::covering(s.block(b).range(), 0.01);
        const auto rows = g.rows_for(grid);
        CHECK(g.block[rows.front()] == b);
        CHECK(g.block[rows.back()] == b);
        CHECK(g.latents_for(grid).rows() == static_cast<jepasnn::Index>(grid.n_bins));
    }
    CHECK_THROWS_WITH(g.rows_for(BinGrid{0.005, 0.01, 10}), Catch::Contains("not on the"));
    CHECK_THROWS_WITH(g.rows_for(BinGrid{0.0, 0.02, 10}), Catch::Contains("bin width"));
    // The per-bin labels equal what the reader derives from the NWB tables.
    const BinCovariates cov = bin_covariates(s, g.grid());
    CHECK(std::vector<std::int8_t>(cov.active) == g.active);
    std::vector<std::int32_t> block32(cov.block.begin(), cov.block.end());
    CHECK(block32 == g.block);
    CHECK(cov.is_change == g.change);
    CHECK(cov.omitted == g.omitted);
    std::size_t image_mismatch = 0, running_mismatch = 0;
    for (std::size_t k = 0; k < g.n_bins(); ++k) {
        const std::string truth =
            g.image[k] < 0 ? "" : cohort.images[static_cast<std::size_t>(g.image[k])];
        const std::string read =
            cov.image[k] < 0 ? "" : cov.image_names[static_cast<std::size_t>(cov.image[k])];
        image_mismatch += truth != read;
        running_mismatch += std::fabs(cov.running_speed[k] - g.running_speed[k]) > 1e-9;
    }
    CHECK(image_mismatch == 0);
    CHECK(running_mismatch == 0);
    CHECK_THROWS_WITH(Cohort::read(dir.path()), Catch::Contains("cohort.json"));
}

TEST_CASE("pynwb reads the simulated files") {
    TempDir dir;
    const SimulatedSession s = simulate_one(small_config(), 2);
    write_session_nwb(s, small_config(), dir / "s.nwb", 2);
    const auto r = jepasnn::test::run_program(
        JEPASNN_PYNWB_PYTHON,
        {jepasnn::test::test_asset("data/pynwb_summary.py").string(), (dir / "s.nwb").string()});
    if (r.status == 3 || r.status == 127)
        JEPASNN_SKIP("pynwb is not importable by " JEPASNN_PYNWB_PYTHON);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const jepasnn::Json j = jepasnn::Json::parse(r.out);
    CHECK(j["identifier"] == s.info.identifier);
    CHECK(j["n_units"].get<std::size_t>() == s.units.size());
    CHECK(j["ids"].get<std::vector<std::int64_t>>() ==
          std::vector<std::int64_t>(s.units.ids().begin(), s.units.ids().end()));
    for (std::size_t u = 0; u < s.units.size(); ++u)
        CHECK(j["n_spikes"][u].get<std::uint64_t>() == s.units.n_spikes(u));
    CHECK(j["quality"].get<std::vector<std::string>>() ==
          s.units.columns().column("quality").texts());
    CHECK(j["intervals"][image_table_name].get<std::size_t>() == s.schedule.images.size());
    CHECK(j["intervals"]["trials"].get<std::size_t>() == s.schedule.trials.size());
    CHECK(j["running_samples"].get<std::size_t>() == s.running_speed.size());
    CHECK(j["running_unit"] == "cm/s");
    CHECK(j["electrodes"].get<std::size_t>() == s.electrodes.rows());
}

TEST_CASE("nwbinspector finds no critical issue and no best-practice violation") {
    TempDir dir;
    auto inspect = [&](const fs::path& file) {
        return jepasnn::test::run_program(
            JEPASNN_PYNWB_PYTHON,
            {jepasnn::test::test_asset("data/nwbinspector_summary.py").string(), file.string()});
    };
    // A file without a subject: the checker finds it (so the check below can fail).
    {
        NwbWriter bare(dir / "bare.nwb", SessionInfo{"bare", "no subject", "", ""}, 1);
        bare.finish();
    }
    const auto bare = inspect(dir / "bare.nwb");
    if (bare.status == 3 || bare.status == 127)
        JEPASNN_SKIP("nwbinspector is not importable by " JEPASNN_PYNWB_PYTHON);
    INFO(bare.err);
    REQUIRE(bare.status == 0);
    CHECK(bare.out.find("check_subject_exists") != std::string::npos);
    // A simulated session: subject, spike time resolution, running speed as starting_time + rate.
    const SimulatedSession s = simulate_one(small_config(), 2);
    write_session_nwb(s, small_config(), dir / "s.nwb", 2);
    const auto r = inspect(dir / "s.nwb");
    INFO(r.err);
    REQUIRE(r.status == 0);
    for (const jepasnn::Json& m : jepasnn::Json::parse(r.out)) {
        INFO(m.dump());
        CHECK(m["importance"] != "CRITICAL");
        CHECK(m["importance"] != "BEST_PRACTICE_VIOLATION");
    }
    const NwbFile file(dir / "s.nwb");
    CHECK(file.hdf5().exists("/processing/running/speed/starting_time"));
    CHECK_FALSE(file.hdf5().exists("/processing/running/speed/timestamps"));
    const auto speed = file.read_running_speed();
    REQUIRE(speed.has_value());
    CHECK(speed->rate == sim::running_rate_hz);
    CHECK(speed->timestamps == s.running_speed.timestamps);  // i / rate, bitwise
}

TEST_CASE("cohorts are written atomically into a fresh directory") {
    TempDir dir;
    fs::create_directories(dir / "busy");
    jepasnn::test::write_text(dir / "busy/keep.txt", "mine");
    CHECK_THROWS_WITH(simulate_cohort(small_config(), 1, dir / "busy"),
                      Catch::Contains("not an empty directory"));
    CHECK(jepasnn::test::read_text(dir / "busy/keep.txt") == "mine");
    CHECK_THROWS_WITH(simulate_cohort(small_config(), 1, dir / "no/such/parent"),
                      Catch::Contains("parent directory does not exist"));
    SimulatorConfig bad = small_config();
    bad.latent_dim = 12;
    CHECK_THROWS_WITH(simulate_cohort(bad, 1, dir / "bad"), Catch::Contains("latent_dim is 12"));
    CHECK_FALSE(fs::exists(dir / "bad"));
    fs::create_directories(dir / "empty");
    simulate_cohort(small_config(), 1, dir / "empty");  // an empty directory may be filled
    CHECK(fs::exists(dir / "empty/cohort.json"));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path()))
        ++entries;
    CHECK(entries == 2);  // busy/ and empty/: no temporary directory left behind
}

TEST_CASE("configs validate and round trip through json") {
    const SimulatorConfig c = SimulatorConfig::quick();
    const SimulatorConfig back =
        jepasnn::read_settings<SimulatorConfig>(jepasnn::settings_json(c), "config");
    CHECK(jepasnn::settings_json(back) == jepasnn::settings_json(c));
    jepasnn::Json j = jepasnn::settings_json(c);
    j["minutes"] = 0.5;
    CHECK_THROWS_WITH(jepasnn::read_settings<SimulatorConfig>(j, "config"),
                      Catch::Contains("minutes is 0.5"));
    j = jepasnn::settings_json(c);
    j["units"] = "many";
    CHECK_THROWS_WITH(jepasnn::read_settings<SimulatorConfig>(j, "cfg.json"),
                      Catch::Contains("cfg.json") && Catch::Contains("'units'"));
    SimulatorConfig f = c;
    f.block_fractions[5] = 0.2;
    CHECK_THROWS_WITH(f.validate(), Catch::Contains("sum to"));
    CHECK_NOTHROW(SimulatorConfig::vbn_scale().validate());
}

TEST_CASE("the realistic state regime writes its state and per-input gains as ground truth") {
    TempDir dir;
    SimulatorConfig c = small_config();
    c.state_regime = StateRegime::realistic;
    simulate_cohort(c, 11, dir / "cohort");
    const GroundTruth g = GroundTruth::load(dir / "cohort/session_000");
    REQUIRE(g.engagement.size() == g.n_bins());
    REQUIRE(g.task_mode.size() == g.n_bins());
    const jepasnn::Json& units = g.units;
    REQUIRE(units.contains("input_log_gain"));
    CHECK(units["input_log_gain"].size() == static_cast<std::size_t>(g.loadings.rows()));
    CHECK(units["task_loading"].size() == static_cast<std::size_t>(g.loadings.rows()));
    // Engagement varies within the active block (drift), and the task mode lives in it.
    double low = 1e9, high = -1e9, task_active = 0.0, task_elsewhere = 0.0;
    for (std::size_t k = 0; k < g.n_bins(); ++k) {
        if (g.active[k]) {
            low = std::min(low, g.engagement[k]);
            high = std::max(high, g.engagement[k]);
            task_active = std::max(task_active, g.task_mode[k]);
        } else {
            task_elsewhere = std::max(task_elsewhere, g.task_mode[k]);
        }
    }
    CHECK(high - low > 0.3);
    CHECK(task_active > 0.5);
    CHECK(task_elsewhere == 0.0);
    const jepasnn::Json manifest = jepasnn::read_json(dir / "cohort/cohort.json");
    CHECK(manifest["config"]["state_regime"] == "realistic");
    CHECK(manifest["config"]["realistic"]["input_gain_sd"] == 2.5);

    // The easy regime's engagement is the active indicator, and it has no task mode.
    simulate_cohort(small_config(), 11, dir / "easy");
    const GroundTruth e = GroundTruth::load(dir / "easy/session_000");
    std::size_t differ = 0;
    for (std::size_t k = 0; k < e.n_bins(); ++k)
        differ += e.engagement[k] != (e.active[k] ? 1.0 : 0.0) || e.task_mode[k] != 0.0;
    CHECK(differ == 0);
    CHECK_FALSE(e.units.contains("input_log_gain"));
}

TEST_CASE("a simulator config names its state regime and checks the realistic settings") {
    auto read = [](const char* text) {
        return jepasnn::read_settings<SimulatorConfig>(jepasnn::Json::parse(text), "sim.json");
    };
    CHECK(read(R"({"state_regime": "realistic"})").state_regime == StateRegime::realistic);
    CHECK_THROWS_WITH(read(R"({"state_regime": "hard"})"),
                      Catch::Contains("'hard' is not one of 'easy' or 'realistic'"));
    CHECK_THROWS_WITH(read(R"({"realistic": {"engagement_tau_s": 0}})"),
                      Catch::Contains("realistic: engagement_tau_s is 0, expected > 0"));
    CHECK_THROWS_WITH(read(R"({"realistic": {"input_gain_sd": -1}})"),
                      Catch::Contains("input_gain_sd is -1, expected >= 0"));
}
