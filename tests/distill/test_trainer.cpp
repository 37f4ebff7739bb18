// Distillation training: bitwise determinism, bitwise resume from a checkpoint, a clean stop on
// NaN that keeps the last good checkpoint, zero Dale violations, truncated BPTT, and a small
// distillation that must reach a clear held-out CCA on a synthetic target (a regression guard);
// counts read from a binned store distil bitwise like the same counts in memory, with or without
// reading each step's windows during the step before.
#include <catch2/catch.hpp>

#include <jepasnn/distill/distill.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "../support/store_support.hpp"
#include "../support/test_support.hpp"
#include "distill_test_support.hpp"

using namespace jepasnn;

namespace {
distill::DistillData small_data(const distill::DistillConfig& c) {
    auto [counts, z] = test::synthetic_session(1000, 12, 5);
    return distill::make_distill_data(std::move(counts), std::move(z), c);
}
std::vector<float> values(const distill::Distiller<>& d) {
    const auto v = d.network().parameters().values();
    return {v.begin(), v.end()};
}
}  // namespace

TEST_CASE("distillation is bitwise deterministic for a seed", "[distill]") {
    const distill::DistillConfig c = test::small_config();
    const distill::DistillData data = small_data(c);
    distill::Distiller<> a(data, c), b(data, c);
    a.train(ProgressStyle::quiet);
    b.train(ProgressStyle::quiet);
    CHECK(values(a) == values(b));
    REQUIRE(a.history().size() == c.steps);
    for (std::size_t i = 0; i < a.history().size(); ++i)
        CHECK(a.history()[i].loss == b.history()[i].loss);
    REQUIRE(a.monitor_history().size() == 2);
    CHECK(a.monitor_history()[1].cca_heldout == b.monitor_history()[1].cca_heldout);
    distill::DistillConfig other = c;
    other.seed = 8;
    distill::Distiller<> o(data, other);
    o.train(ProgressStyle::quiet);
    CHECK(values(o) != values(a));
}

TEST_CASE("distillation from a binned store and a latents file is bitwise distillation from memory",
          "[distill]") {
    distill::DistillConfig c = test::small_config();
    test::TempDir dir;
    auto [counts, z] = test::synthetic_session(1000, 12, 5);
    save_npy(dir / "z.npy", z);
    for (const Index components : {0, 2}) {
        c.target_components = components;
        const distill::DistillData memory = distill::make_distill_data(counts, z, c);
        const distill::DistillData stored = distill::make_distill_data(
            test::store_of(counts, dir / ("s" + std::to_string(components) + ".h5")),
            distill::Targets(NpyRows<double>(dir / "z.npy")), c);
        REQUIRE(stored.counts.store() != nullptr);
        CHECK(stored.input_gain == memory.input_gain);
        CHECK(stored.target_variance_kept == memory.target_variance_kept);
        CHECK(stored.latent_dim() == (components == 0 ? 3 : components));
        CHECK(stored.input(130, 40) == memory.input(130, 40));
        CHECK(stored.targets.read(0, 1000) == memory.targets.read(0, 1000));
        // A row's targets do not depend on the block they are read in.
        CHECK(memory.targets.read(130, 40) == memory.targets.read(0, 1000).middleRows(130, 40));
        CHECK(memory.input(130, 40) == counts.middleRows(130, 40) * memory.input_gain.asDiagonal());
        REQUIRE(c.prefetch);
        distill::DistillConfig unfetched = c;  // windows read when their step needs them
        unfetched.prefetch = false;
        distill::Distiller<> a(memory, c), b(stored, c), e(stored, unfetched);
        a.train(ProgressStyle::quiet);
        b.train(ProgressStyle::quiet);
        e.train(ProgressStyle::quiet);
        CHECK(values(a) == values(b));
        CHECK(values(e) == values(b));
        for (std::size_t i = 0; i < a.history().size(); ++i) {
            CHECK(a.history()[i].loss == b.history()[i].loss);
            CHECK(e.history()[i].loss == b.history()[i].loss);
        }
        CHECK(a.monitor_history().back().cca_heldout == b.monitor_history().back().cca_heldout);
        const distill::StudentEvaluation ea = distill::evaluate_student(a.network(), memory, c);
        const distill::StudentEvaluation eb = distill::evaluate_student(b.network(), stored, c);
        CHECK(ea.readout.cca_heldout == eb.readout.cca_heldout);
        CHECK(ea.filtered.null_samples == eb.filtered.null_samples);
        CHECK(ea.run.rates_hz == eb.run.rates_hz);
    }
}

TEST_CASE("a latents file that cannot be read in place, or holds NaN, is refused by name",
          "[distill]") {
    const distill::DistillConfig c = test::small_config();
    test::TempDir dir;
    auto [counts, z] = test::synthetic_session(1000, 12, 5);
    save_npy(dir / "f32.npy", RowMatrix<float>(z.cast<float>()));
    CHECK_THROWS_WITH(NpyRows<double>(dir / "f32.npy"),
                      Catch::Contains("f32.npy") && Catch::Contains("float64"));
    z(417, 2) = std::nan("");
    save_npy(dir / "nan.npy", z);
    CHECK_THROWS_WITH(
        distill::make_distill_data(data::CountSource(data::counts_from_matrix(counts, "test")),
                                   distill::Targets(NpyRows<double>(dir / "nan.npy")), c),
        Catch::Contains("nan.npy") && Catch::Contains("row 417, column 2"));
}

TEST_CASE("the student's rate penalty and weight regulariser come from the config by name",
          "[distill]") {
    Json j = settings_json(test::small_config());
    j["rate_penalties"] = {{"band", {{"inhibitory", {{"high_hz", 30.0}}}, {"neuron_weight", 0.2}}}};
    j["weight_regularizers"] = {{"l1", {{"strength", 0.003}}}, {"l2", {{"strength", 0.02}}}};
    const auto c = read_settings<distill::DistillConfig>(j, "cfg");
    // Absent keys keep the student's defaults (λ_p = 0.05), not HomeostaticBand{}'s.
    CHECK(c.band().population_weight == 0.05);
    CHECK(c.band().inhibitory.low_hz == 5.0);
    const distill::DistillData data = small_data(c);
    const distill::Distiller<> full(data, c);
    CHECK(full.network().rate_penalty().neuron_weight == 0.2);
    CHECK(full.network().rate_penalty().inhibitory.high_hz == 30.0);
    CHECK(full.network().rate_penalty().population_weight == 0.05);
    CHECK(full.network().regularizer().strength == 0.02);
    struct L1Policies : lif::DefaultPolicies {
        using Regularizer = constraints::L1Regularizer;
    };
    const distill::Distiller<float, L1Policies> l1(data, c);
    CHECK(l1.network().regularizer().strength == 0.003);
    // A student without the band penalty leaves its settings unused.
    CHECK_NOTHROW(distill::Distiller<float, distill::NoHomeostasisPolicies>(data, c));

    Json typo = j;
    typo["rate_penalties"] = {{"bnad", Json::object()}};
    CHECK_THROWS_WITH(read_settings<distill::DistillConfig>(typo, "cfg"),
                      "cfg: rate_penalties: unknown policy 'bnad' (known: band, none)");
    Json inverted = j;
    inverted["rate_penalties"]["band"]["excitatory"] = {{"low_hz", 30.0}, {"high_hz", 10.0}};
    CHECK_THROWS_WITH(read_settings<distill::DistillConfig>(inverted, "cfg"),
                      "cfg: rate_penalties: band: excitatory: the band [30, 10] Hz needs 0 <= "
                      "low <= high");
    Json negative = j;
    negative["weight_regularizers"]["l2"]["strength"] = -1.0;
    CHECK_THROWS_WITH(read_settings<distill::DistillConfig>(negative, "cfg"),
                      "cfg: weight_regularizers: l2: strength is -1, expected finite and >= 0");
    distill::DistillConfig nan = c;
    nan.weight_regularizers.get<constraints::L2Regularizer>().strength =
        std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(distill::Distiller<>(data, nan),
                      Catch::Contains("weight_regularizers: l2: strength is nan"));
}

TEST_CASE("distillation resumes bitwise from its checkpoint", "[distill]") {
    test::TempDir dir;
    distill::DistillConfig c = test::small_config();
    const distill::DistillData data = small_data(c);
    distill::Distiller<> whole(data, c);
    whole.train(ProgressStyle::quiet);

    // Interrupted after 3 of the 6 steps (as train() would leave it: monitored, checkpointed).
    {
        distill::Distiller<> first(data, c, dir.path() / "s.ckpt");
        for (int i = 0; i < 3; ++i)
            first.step();
        first.monitor();
        first.save_checkpoint(dir.path() / "s.ckpt");
    }
    distill::Distiller<> resumed = distill::Distiller<>::resume(dir.path() / "s.ckpt", data, c);
    CHECK(resumed.steps_done() == 3);
    resumed.train(ProgressStyle::quiet);
    CHECK(values(resumed) == values(whole));
    REQUIRE(resumed.history().size() == whole.history().size());
    for (std::size_t i = 0; i < whole.history().size(); ++i)
        CHECK(resumed.history()[i].loss == whole.history()[i].loss);
    CHECK(resumed.monitor_history().back().cca_heldout ==
          whole.monitor_history().back().cca_heldout);

    // Other settings or other data are refused.
    distill::DistillConfig changed = c;
    changed.learning_rate = 1e-3;
    CHECK_THROWS_WITH(distill::Distiller<>::resume(dir.path() / "s.ckpt", data, changed),
                      Catch::Contains("other settings"));
    distill::DistillConfig other_config = c;
    auto [counts, z] = test::synthetic_session(1000, 12, 6);
    const distill::DistillData other = distill::make_distill_data(counts, z, other_config);
    CHECK_THROWS_WITH(distill::Distiller<>::resume(dir.path() / "s.ckpt", other, c),
                      Catch::Contains("different data"));
    using NoDale = distill::Distiller<float, distill::NoDalePolicies>;
    CHECK_THROWS_WITH(NoDale::resume(dir.path() / "s.ckpt", data, c), Catch::Contains("policies"));
    test::write_text(dir.path() / "bad.ckpt", "not a checkpoint");
    CHECK_THROWS_AS(distill::Distiller<>::resume(dir.path() / "bad.ckpt", data, c), Error);
}

TEST_CASE("distillation stops on NaN and keeps the last good checkpoint", "[distill]") {
    test::TempDir dir;
    const distill::DistillConfig c = test::small_config();
    const distill::DistillData data = small_data(c);
    const auto path = dir.path() / "s.ckpt";
    distill::Distiller<> d(data, c, path);
    d.step();
    d.save_checkpoint(path);
    const std::string before = test::read_text(path);
    d.network().readout_weights()(0, 0) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(d.step(), Catch::Contains("non-finite") && Catch::Contains("step 2") &&
                                    Catch::Contains("last good checkpoint"));
    CHECK(test::read_text(path) == before);
    CHECK(distill::Distiller<>::resume(path, data, c).steps_done() == 1);
}

TEST_CASE(
    "distillation with truncated BPTT cuts the gradient and a cut beyond the window is "
    "the whole window",
    "[distill]") {
    distill::DistillConfig c = test::small_config();
    c.eval_every = 0;
    const distill::DistillData data = small_data(c);
    distill::Distiller<> whole(data, c);
    whole.train(ProgressStyle::quiet);

    distill::DistillConfig beyond = c;
    beyond.bptt_truncate_bins = c.window_bins;
    distill::Distiller<> b(data, beyond);
    b.train(ProgressStyle::quiet);
    CHECK(values(b) == values(whole));

    distill::DistillConfig cut = c;
    cut.bptt_truncate_bins = 2;  // 20 sub-steps of a 300-step window
    distill::Distiller<> t(data, cut), w(data, c);
    const distill::StepRecord rt = t.step(), rw = w.step();
    CHECK(rt.loss == rw.loss);  // the forward is the same; only the gradient is cut
    CHECK(std::isfinite(rt.grad_norm));
    CHECK(rt.grad_norm != rw.grad_norm);
    CHECK(values(t) != values(w));
}

TEST_CASE("distillation keeps zero Dale violations and the ablation flips it", "[distill]") {
    distill::DistillConfig c = test::small_config();
    c.learning_rate = 2e-2;
    c.final_learning_rate = 2e-2;
    const distill::DistillData data = small_data(c);
    distill::Distiller<> with(data, c);
    distill::Distiller<float, distill::NoDalePolicies> without(data, c);
    for (int i = 0; i < 6; ++i) {
        with.step();
        without.step();
        CHECK(with.network().dale_violations() == 0);
    }
    CHECK(without.network().dale_violations() > 0);
    CHECK_THROWS_WITH(distill::run_ablation("no_such", data, c),
                      Catch::Contains("ablation is 'no_such', expected 'full', 'no_dale'"));
}

TEST_CASE("a small distillation reaches a clear held-out CCA on a synthetic target", "[distill]") {
    distill::DistillConfig c;
    c.neurons = 80;
    c.steps = 120;
    c.batch = 8;
    c.window_bins = 40;
    c.burn_in_bins = 10;
    c.learning_rate = 5e-3;
    c.final_learning_rate = 5e-4;
    c.warmup_steps = 10;
    c.block_bins = 500;
    c.eval_every = 0;
    c.eval_segments = 4;
    c.null_samples = 50;
    c.seed = 3;
    auto [counts, z] = test::synthetic_session(6000, 30, 9);
    const distill::DistillData data = distill::make_distill_data(counts, z, c);
    distill::Distiller<> d(data, c);
    const distill::StudentEvaluation before = distill::evaluate_student(d.network(), data, c);
    d.train(ProgressStyle::quiet);
    const distill::StudentEvaluation after = distill::evaluate_student(d.network(), data, c);
    INFO("held-out CCA " << before.readout.cca_heldout << " -> " << after.readout.cca_heldout
                         << ", null 95% " << after.readout.null_p95 << ", in band "
                         << after.metrics.frac_neurons_in_band << ", E "
                         << after.metrics.mean_rate_hz_exc << " Hz, I "
                         << after.metrics.mean_rate_hz_inh << " Hz");
    CHECK(after.readout.cca_heldout > 0.6);
    CHECK(after.readout.cca_heldout > before.readout.cca_heldout + 0.05);
    CHECK(after.readout.cca_heldout > after.readout.null_p95);
    CHECK(after.metrics.dale_violations == 0);
    CHECK(after.metrics.frac_neurons_in_band > 0.8);
}
