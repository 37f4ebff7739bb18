// Training: identical loss curves for the same seed and threads, bitwise-identical resume from a
// checkpoint, a clear stop on NaN/Inf that keeps the last good checkpoint, the time-block split,
// window sampling and batching, held-out read-in fitting, and config/checkpoint error handling.
#include <jepasnn/jepa/adaptation.hpp>
#include <jepasnn/jepa/trainer.hpp>

#include <rapidcheck/catch.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>

#include "jepa_test_util.hpp"

namespace jepa = jepasnn::jepa;
namespace data = jepasnn::data;
using jepasnn::Index;
using jepasnn::read_checkpoint;

namespace {

using Model = jepa::LeJepa<float>;

jepa::Trainer<Model> make_trainer(const jepa::TrainConfig& config, std::uint64_t data_seed = 1) {
    return jepa::Trainer<Model>(Model(jepasnn::test::tiny_model_config()),
                                jepasnn::test::toy_sessions<float>({7, 5}, 1000, data_seed),
                                config);
}

std::vector<float> values_of(Model& m) {
    return {m.parameters().values().begin(), m.parameters().values().end()};
}

/// 40 adaptation steps of 6 windows of 12 bins (the tiny model's sizes).
jepa::AdaptConfig tiny_adapt_config(jepa::Adaptation kind, double learning_rate) {
    jepa::AdaptConfig c;
    c.kind = kind;
    c.steps = 40;
    c.batch_size = 6;
    c.window = 12;
    c.learning_rate = learning_rate;
    return c;
}

/// Every block of a tiny model with two sessions is bitwise what `before` (its values then) held.
void require_unchanged(Model& model, const std::vector<float>& before) {
    const auto& layout = model.parameters().layout();
    const Model reference(jepasnn::test::tiny_model_config());
    for (const auto& b : reference.parameters().layout().blocks()) {
        const auto now = model.parameters().value(layout.find(b.name));
        for (Index i = 0; i < now.size(); ++i)
            REQUIRE(now.data()[i] == before[b.offset + static_cast<std::size_t>(i)]);
    }
}

/// A regulariser that returns NaN from a given step on (to test the stop on non-finite losses).
template <class T>
struct NanFromStep {
    static constexpr std::string_view name = "nan_from_step";
    static constexpr bool uses_target_encoder = false;
    std::uint64_t from = 7;
    double forward(jepasnn::nn::ConstMatRef<T>, const jepa::RegularizerContext& ctx) {
        return ctx.step >= from ? std::nan("") : 0.0;
    }
    void backward(jepasnn::nn::MatRef<T>, double) {}
    jepasnn::Json config_json() const { return {{"from", from}}; }
    static NanFromStep from_json(const jepasnn::Json& j) {
        return {j.at("from").get<std::uint64_t>()};
    }
};

}  // namespace

TEST_CASE("the same seed and thread count give the same loss curve and weights") {
    for (int threads : {1, 2}) {
        jepasnn::set_thread_count(threads);
        auto config = jepasnn::test::quick_train_config(10);
        auto a = make_trainer(config), b = make_trainer(config);
        a.run();
        b.run();
        INFO("threads " << threads);
        CHECK(a.history().steps == b.history().steps);
        CHECK(a.history().validation == b.history().validation);
        CHECK(values_of(a.model()) == values_of(b.model()));
        config.seed = 12;
        auto c = make_trainer(config);
        c.run();
        CHECK(c.history().steps != a.history().steps);
    }
    jepasnn::test::SingleThread restore_default;  // (leaves one thread set for what follows)
}

TEST_CASE("training lowers the loss on held-out blocks") {
    jepasnn::test::SingleThread one;
    auto config = jepasnn::test::quick_train_config(60);
    config.validate_every = 30;
    auto t = make_trainer(config);
    const auto before = t.validate();
    REQUIRE(before);
    t.run();
    REQUIRE(t.history().validation.size() == 2);
    CHECK(t.history().validation.back().loss < 0.9 * before->loss);
    CHECK(t.history().validation.back().windows == 8);
    CHECK(t.history().steps.size() == 60);
    CHECK(t.history().steps.front().learning_rate < t.history().steps[2].learning_rate);  // warm-up
}

TEST_CASE("resuming from a checkpoint continues bitwise identically") {
    jepasnn::test::SingleThread one;
    jepasnn::test::TempDir tmp;
    auto config = jepasnn::test::quick_train_config(14);
    config.checkpoint_every = 6;
    config.checkpoint = (tmp / "straight.ckpt").string();
    auto straight = make_trainer(config);
    straight.run();

    config.checkpoint = (tmp / "split.ckpt").string();
    {
        auto first = make_trainer(config);
        first.run(9);  // checkpoints at step 6, then stops (as if killed) at step 9
        CHECK(first.current_step() == 9);
    }
    auto resumed = jepa::Trainer<Model>::resume(
        config.checkpoint, jepasnn::test::toy_sessions<float>({7, 5}, 1000, 1));
    CHECK(resumed.current_step() == 6);
    resumed.run();
    CHECK(resumed.current_step() == 14);
    CHECK(resumed.history().steps == straight.history().steps);
    CHECK(resumed.history().validation == straight.history().validation);
    CHECK(values_of(resumed.model()) == values_of(straight.model()));
    // Both final checkpoints hold the same state.
    const auto a = read_checkpoint<float>(tmp / "straight.ckpt");
    const auto b = read_checkpoint<float>(tmp / "split.ckpt");
    CHECK(a.arrays == b.arrays);
    CHECK(a.header["step"] == 14);
}

TEST_CASE("a non-finite loss stops training and keeps the last good checkpoint") {
    jepasnn::test::SingleThread one;
    jepasnn::test::TempDir tmp;
    using NanModel = jepa::LeJepa<float, jepa::ConvGruEncoder, NanFromStep>;
    auto config = jepasnn::test::quick_train_config(20);
    config.checkpoint_every = 3;
    config.checkpoint = (tmp / "run.ckpt").string();
    jepa::Trainer<NanModel> t(NanModel(jepasnn::test::tiny_model_config()),
                              jepasnn::test::toy_sessions<float>({7, 5}, 1000, 1), config);
    CHECK_THROWS_WITH(t.run(), Catch::Contains("non-finite loss (nan) at step 8") &&
                                   Catch::Contains("last good checkpoint is '" + config.checkpoint +
                                                   "' (step 6)"));
    const auto ck = read_checkpoint<float>(config.checkpoint);
    CHECK(ck.header["step"] == 6);
    for (const float v : ck.array("parameters", "test"))
        CHECK(std::isfinite(v));
    // Only the checkpoint itself is left in the folder (no temporary files).
    CHECK(std::distance(std::filesystem::directory_iterator(tmp.path()),
                        std::filesystem::directory_iterator()) == 1);
    auto resumed = jepa::Trainer<NanModel>::resume(
        config.checkpoint, jepasnn::test::toy_sessions<float>({7, 5}, 1000, 1));
    CHECK(resumed.current_step() == 6);

    // A diverging learning rate is caught the same way.
    auto wild = jepasnn::test::quick_train_config(20);
    wild.learning_rate = 1e30f;
    wild.final_learning_rate = 0.0;
    wild.warmup_steps = 0;
    auto blowup = make_trainer(wild);
    CHECK_THROWS_WITH(blowup.run(), Catch::Contains("non-finite") &&
                                        Catch::Contains("no checkpoint was configured"));
}

TEST_CASE("the time-block split tiles the recording with evenly spread validation blocks") {
    rc::prop("contiguous disjoint runs covering every bin", [] {
        const Index bins = *rc::gen::inRange(1, 5000);
        data::TimeSplitConfig c;
        c.block_bins = *rc::gen::inRange(1, 700);
        c.validation_fraction = *rc::gen::element(0.0, 0.1, 0.2, 0.5);
        const auto s = data::split_time_blocks(bins, c);
        std::vector<int> owner(static_cast<std::size_t>(bins), 0);
        for (const auto& r : s.train)
            for (Index t = r.begin; t < r.end; ++t)
                owner[static_cast<std::size_t>(t)] += 1;
        Index val_bins = 0;
        for (const auto& r : s.validation) {
            val_bins += r.size();
            for (Index t = r.begin; t < r.end; ++t)
                owner[static_cast<std::size_t>(t)] += 2;
        }
        for (const int o : owner)
            RC_ASSERT(o == 1 || o == 2);  // every bin in exactly one split
        for (std::size_t i = 1; i < s.train.size(); ++i)
            RC_ASSERT(s.train[i].begin > s.train[i - 1].end);  // maximal runs
        for (const auto& r : s.validation)                     // runs start on block boundaries
            RC_ASSERT(r.begin % c.block_bins == 0);
        const Index blocks = (bins + c.block_bins - 1) / c.block_bins;
        const auto val_blocks = static_cast<Index>(std::floor(blocks * c.validation_fraction));
        RC_ASSERT(val_bins <= val_blocks * c.block_bins);
        RC_ASSERT(val_bins >= std::max<Index>(0, (val_blocks - 1) * c.block_bins));
    });
    const auto s = data::split_time_blocks(2350, {500, 0.2});
    REQUIRE(s.train.size() == 1);
    CHECK(s.train[0] == data::RowRange{0, 2000});
    CHECK(s.validation == std::vector<data::RowRange>{{2000, 2350}});
}

TEST_CASE("for_overlaps visits each run row in a window once, at its packed position") {
    rc::prop("the visited rows are the runs' rows in [first, last), packed in order", [] {
        const Index bins = *rc::gen::inRange(1, 3000);
        const auto s = data::split_time_blocks(bins, {*rc::gen::inRange(1, 400), 0.3});
        const Index first = *rc::gen::inRange<Index>(0, bins);
        const Index last = *rc::gen::inRange<Index>(first, bins + 1);
        for (const auto* runs : {&s.train, &s.validation}) {
            std::vector<Index> packed;  // every row of the runs, in order
            for (const auto& r : *runs)
                for (Index t = r.begin; t < r.end; ++t)
                    packed.push_back(t);
            std::vector<Index> visited;
            data::for_overlaps(*runs, first, last, [&](Index b, Index e, Index at) {
                RC_ASSERT(b < e);
                for (Index t = b; t < e; ++t) {
                    RC_ASSERT(packed[static_cast<std::size_t>(at + t - b)] == t);
                    visited.push_back(t);
                }
            });
            std::vector<Index> expected;
            std::copy_if(packed.begin(), packed.end(), std::back_inserter(expected),
                         [&](Index t) { return t >= first && t < last; });
            RC_ASSERT(visited == expected);
        }
    });
}

TEST_CASE("windows stay inside their runs and batches group them by session") {
    const auto data = jepasnn::test::toy_sessions<float>({4, 3}, 1000, 2, 100);
    const jepa::WindowSampler train(jepa::runs_of<float>(data, false), 30);
    for (std::uint64_t step = 0; step < 20; ++step)
        for (const auto& w : train.sample(16, 9, step)) {
            bool inside = false;
            for (const auto& r : data[w.session].split.train)
                inside |= w.start >= r.begin && w.start + 30 <= r.end;
            CHECK(inside);
        }
    CHECK(train.sample(16, 9, 3) == train.sample(16, 9, 3));
    CHECK(train.sample(16, 9, 3) != train.sample(16, 9, 4));
    const jepa::WindowSampler val(jepa::runs_of<float>(data, true), 30);
    const auto tiles = val.tile(0);
    CHECK(tiles.size() == 2 * 2 * 3);  // 2 sessions × 2 validation blocks × 3 windows of 30 in 100
    CHECK(val.tile(5).size() == 5);

    const auto batch = jepa::make_batch<float>(data, {{1, 10}, {0, 0}, {1, 500}}, 6);
    REQUIRE(batch.slices.size() == 2);
    CHECK(batch.slices[0].session == 0);
    CHECK(batch.slices[1].count == 2);
    CHECK(batch.inputs[1].row(3 * 2 + 1) == data[1].input().row(503));  // bin 3 of window (1, 500)
    CHECK_THROWS_WITH(jepa::make_batch<float>(data, {{0, 995}}, 6), Catch::Contains("exceeds"));
}

TEST_CASE("the z-score is fitted on training blocks only") {
    jepasnn::RowMatrix<double> counts = jepasnn::RowMatrix<double>::Constant(1000, 2, 4.0);
    for (Index t = 0; t < 1000; ++t)
        counts(t, 1) = static_cast<double>((t * 7) % 10);  // whole counts 0..9
    counts.block(800, 0, 200, 2).setConstant(1e6);         // the validation block
    const auto s = jepa::prepare_session<double>(counts, jepa::CountTransform::log1p, {200, 0.2});
    REQUIRE(s.split.validation == std::vector<data::RowRange>{{800, 1000}});
    CHECK(s.scaler.mean(0) == Approx(std::log1p(4.0)));
    CHECK(s.scaler.scale(0) == 1.0);  // constant on training rows: no division by zero
    const Eigen::ArrayXd train = counts.col(1).head(800).array().log1p();
    CHECK(s.scaler.mean(1) == Approx(train.mean()));
    CHECK(s.scaler.scale(1) == Approx(std::sqrt((train - train.mean()).square().mean())));
    CHECK(s.input()(10, 0) == Approx(0.0).margin(1e-12));
    jepasnn::RowMatrix<double> bad = counts;
    bad(3, 1) = -1.0;
    CHECK_THROWS_WITH(jepa::prepare_session<double>(bad, jepa::CountTransform::sqrt, {200, 0.2}),
                      Catch::Contains("bin 3, unit 1 is -1"));
}

TEST_CASE("a held-out session is fitted through its read-in alone") {
    jepasnn::test::SingleThread one;
    auto config = jepasnn::test::quick_train_config(30);
    auto t = make_trainer(config);
    t.run();
    Model& model = t.model();
    const std::vector<float> before = values_of(model);
    const auto held_out = jepasnn::test::toy_sessions<float>({9}, 600, 77);
    jepa::ReadinFitConfig fit;
    fit.steps = 40;
    fit.batch_size = 6;
    fit.window = 12;
    fit.learning_rate = 1e-2;
    jepa::TrainHistory curve;
    const std::size_t s = jepa::fit_heldout_readin(model, held_out[0], fit, &curve);
    CHECK(s == 2);
    // Every block but the new read-in is bitwise unchanged.
    require_unchanged(model, before);
    double first = 0.0, last = 0.0;
    for (int i = 0; i < 5; ++i) {
        first += curve.steps[static_cast<std::size_t>(i)].loss;
        last += curve.steps[curve.steps.size() - 1 - static_cast<std::size_t>(i)].loss;
    }
    CHECK(last < first);
    CHECK(model.encode(2, held_out[0].input()).rows() == 600);
}

TEST_CASE("state_runs cuts runs where the brain state changes") {
    const std::vector<std::uint8_t> state = {0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1};
    const std::vector<data::RowRange> runs = {{0, 4}, {6, 12}};
    CHECK(jepa::state_runs(runs, state, 1) == std::vector<data::RowRange>{{1, 3}, {6, 8}, {9, 12}});
    CHECK(jepa::state_runs(runs, state, 0) == std::vector<data::RowRange>{{0, 1}, {3, 4}, {8, 9}});
    CHECK(jepa::state_runs(runs, state, 2).empty());
    CHECK_THROWS_WITH(jepa::state_runs({{0, 13}}, state, 1), Catch::Contains("outside the 12"));
}

TEST_CASE("adapting a read-in to one brain state fits a copy on that state's bins alone") {
    jepasnn::test::SingleThread one;
    auto t = make_trainer(jepasnn::test::quick_train_config(30));
    t.run();
    Model& model = t.model();
    const std::vector<float> before = values_of(model);
    // Session 1 with two states, and a copy whose state-0 bins hold other counts: if the
    // adaptation drew any window from them, the two fits would differ.
    jepa::SessionRecording<float> rec = t.sessions()[1];
    rec.state.assign(static_cast<std::size_t>(rec.bins()), 0);
    jepasnn::RowMatrix<double> poisoned = rec.counts.visit_rows(0, rec.bins(), [](const auto& m) {
        return jepasnn::RowMatrix<double>(m.template cast<double>());
    });
    for (Index r = 0; r < rec.bins(); ++r)
        if ((r / 150) % 2 == 1)
            rec.state[static_cast<std::size_t>(r)] = 1;
        else
            poisoned.row(r).setConstant(200.0);
    jepa::SessionRecording<float> other = rec;
    other.counts = data::CountSource(data::counts_from_matrix(poisoned, "test"));

    // A copy reads exactly like its source.
    Model copy = model;
    const std::size_t c = copy.clone_session(1);
    CHECK(c == 2);
    CHECK(copy.encode(c, t.sessions()[1].input()) == copy.encode(1, t.sessions()[1].input()));

    jepa::AdaptConfig fit = tiny_adapt_config(jepa::Adaptation::readin, 1e-2);
    jepa::TrainHistory curve;
    Model twin = model;
    const std::optional<std::size_t> s = jepa::adapt_readin(model, 1, rec, 1, fit, &curve);
    REQUIRE(s == 2u);
    // Every block but the copy is bitwise unchanged, the source read-in included.
    require_unchanged(model, before);
    REQUIRE(curve.steps.size() == 40);
    jepa::TrainHistory other_curve;
    REQUIRE(jepa::adapt_readin(twin, 1, other, 1, fit, &other_curve) == 2u);
    CHECK(values_of(twin) == values_of(model));  // no window touched a state-0 bin
    for (std::size_t i = 0; i < curve.steps.size(); ++i)
        REQUIRE(other_curve.steps[i].loss == curve.steps[i].loss);
    double first = 0.0, last = 0.0;
    for (std::size_t i = 0; i < 5; ++i) {
        first += curve.steps[i].loss;
        last += curve.steps[curve.steps.size() - 1 - i].loss;
    }
    CHECK(last < first);
    CHECK(model.encode(2, t.sessions()[1].input()) != model.encode(1, t.sessions()[1].input()));
    // A state without a training window adds nothing.
    CHECK_FALSE(jepa::adapt_readin(model, 1, rec, 7, fit).has_value());
    CHECK(model.sessions() == 3);
    rec.state.pop_back();
    CHECK_THROWS_WITH(jepa::adapt_readin(model, 1, rec, 1, fit), Catch::Contains("state labels"));
}

TEST_CASE("FiLM adaptation scales and shifts each unit in front of the source read-in") {
    jepasnn::test::SingleThread one;
    auto t = make_trainer(jepasnn::test::quick_train_config(30));
    t.run();
    Model& model = t.model();
    const std::vector<float> before = values_of(model);
    jepa::SessionRecording<float> rec = t.sessions()[0];
    rec.state.assign(static_cast<std::size_t>(rec.bins()), 1);
    jepa::AdaptConfig fit = tiny_adapt_config(jepa::Adaptation::film, 3e-2);
    fit.pull_back = 0.1;
    jepa::TrainHistory curve;
    REQUIRE(jepa::adapt_readin(model, 0, rec, 1, fit, &curve) == 2u);
    REQUIRE(curve.steps.size() == 40);
    require_unchanged(model, before);
    const std::vector<float> after = values_of(model);
    const auto [source, size] = model.readin_range(0);
    const auto [copy, copy_size] = model.readin_range(2);
    REQUIRE(size == copy_size);
    // Row u of the copy's weight is g_u times the source's (a gain per unit, no rotation), and
    // the gains moved off the identity.
    const Index units = rec.units(), d = static_cast<Index>(size) / (units + 1);
    double moved = 0.0;
    for (Index u = 0; u < units; ++u) {
        const auto w = [&](std::size_t base, Index k) {
            return static_cast<double>(after[base + static_cast<std::size_t>(u * d + k)]);
        };
        const double g = w(copy, 0) / w(source, 0);
        moved += std::abs(g - 1.0);
        for (Index k = 0; k < d; ++k)
            REQUIRE(w(copy, k) == Approx(g * w(source, k)).epsilon(1e-5).margin(1e-7));
    }
    CHECK(moved > 1e-3);
    CHECK_FALSE(jepa::adapt_readin(model, 0, rec, 0, fit).has_value());  // no state-0 window
    fit.kind = jepa::Adaptation::none;
    CHECK_THROWS_WITH(jepa::adapt_readin(model, 0, rec, 1, fit), Catch::Contains("'none'"));
    fit.kind = jepa::Adaptation::film;
    fit.pull_back = -1.0;
    CHECK_THROWS_WITH(jepa::adapt_readin(model, 0, rec, 1, fit), Catch::Contains("pull_back"));
}

TEST_CASE("FiLM adaptation's gradient matches finite differences in double") {
    jepasnn::test::SingleThread one;
    using DoubleModel = jepa::LeJepa<double>;
    DoubleModel model(jepasnn::test::tiny_model_config());
    auto sessions = jepasnn::test::toy_sessions<double>({7, 5}, 400, 3);
    jepa::SessionRecording<double>& rec = sessions[1];
    rec.state.assign(static_cast<std::size_t>(rec.bins()), 0);
    const std::size_t copy = model.clone_session(1);
    jepa::AdaptConfig fit;
    fit.kind = jepa::Adaptation::film;
    fit.batch_size = 4;
    fit.window = 12;
    fit.pull_back = 0.7;
    const jepa::WindowSampler sampler({rec.split.train}, fit.window);
    const auto [offset, size] = model.readin_range(copy);
    jepa::detail::FilmObjective<DoubleModel> objective(
        {model, rec, sampler, fit, copy, offset, size, nullptr}, fit.pull_back);
    jepasnn::RandomStream rng(5, 0);
    for (double& v : objective.film)
        v += 0.3 * (rng.uniform() - 0.5);  // away from the identity, where the penalty is flat
    const std::uint64_t step = 3;  // same windows, dropout mask and SIGReg directions each call
    objective.loss_and_gradient(step);
    const std::vector<double> analytic = objective.grad;
    const double h = 1e-6;
    for (std::size_t i = 0; i < objective.film.size(); ++i) {
        const double keep = objective.film[i];
        objective.film[i] = keep + h;
        const double up = objective.loss_and_gradient(step).loss;
        objective.film[i] = keep - h;
        const double down = objective.loss_and_gradient(step).loss;
        objective.film[i] = keep;
        const double numeric = (up - down) / (2 * h);
        INFO("film parameter " << i);
        CHECK(analytic[i] == Approx(numeric).epsilon(1e-6).margin(1e-8));
    }
}

TEST_CASE("train configuration round-trips through JSON and rejects bad fields") {
    auto c = jepasnn::test::quick_train_config(123);
    c.transform = jepa::CountTransform::log1p;
    c.split.block_bins = 77;
    c.optimizer.weight_decay = 0.2;
    c.checkpoint = "x.ckpt";
    const auto j = jepasnn::settings_json(c);
    CHECK(jepasnn::settings_json(jepasnn::read_settings<jepa::TrainConfig>(j, "train config")) ==
          j);
    auto bad = j;
    bad["optimizer"]["momentum"] = 0.9;
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::TrainConfig>(bad, "train config"),
                      Catch::Contains("optimizer") && Catch::Contains("unknown field 'momentum'"));
    bad = j;
    bad["split"]["validation_fraction"] = 1.0;
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::TrainConfig>(bad, "train config"),
                      Catch::Contains("validation_fraction is 1"));
    bad = j;
    bad["transform"] = "anscombe";
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::TrainConfig>(bad, "train config"),
                      Catch::Contains("'anscombe'"));
    bad = j;
    bad["warmup_steps"] = 500;
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::TrainConfig>(bad, "train config"),
                      Catch::Contains("warm-up of 500 steps exceeds"));
}

TEST_CASE("the trainer rejects data and checkpoints that do not fit") {
    jepasnn::test::SingleThread one;
    const auto config = jepasnn::test::quick_train_config(3);
    CHECK_THROWS_WITH(
        jepa::Trainer<Model>(Model(jepasnn::test::tiny_model_config()),
                             jepasnn::test::toy_sessions<float>({5, 7}, 600, 1), config),
        Catch::Contains("session 0") && Catch::Contains("expects 7"));
    auto long_window = config;
    long_window.window = 900;
    CHECK_THROWS_WITH(make_trainer(long_window), Catch::Contains("no training run holds a window"));

    jepasnn::test::TempDir tmp;
    auto with_ckpt = config;
    with_ckpt.checkpoint = (tmp / "a.ckpt").string();
    make_trainer(with_ckpt).run();
    // Different data, a different model kind, a different scalar, corrupt files.
    CHECK_THROWS_WITH(
        jepa::Trainer<Model>::resume(with_ckpt.checkpoint,
                                     jepasnn::test::toy_sessions<float>({7, 5}, 1000, 2)),
        Catch::Contains("differs from the data"));
    using ConvGruModel = jepa::LeJepa<float, jepa::ConvGruEncoder>;
    CHECK_THROWS_WITH(
        jepa::Trainer<ConvGruModel>::resume(with_ckpt.checkpoint,
                                            jepasnn::test::toy_sessions<float>({7, 5}, 1000, 1)),
        Catch::Contains("encoder 'gru', expected 'conv_gru'"));
    CHECK_THROWS_WITH(read_checkpoint<double>(with_ckpt.checkpoint),
                      Catch::Contains("is float32, expected float64"));
    const std::string text = jepasnn::test::read_text(with_ckpt.checkpoint);
    jepasnn::test::write_text(tmp / "cut.ckpt", text.substr(0, text.size() - 10));
    CHECK_THROWS_WITH(read_checkpoint<float>(tmp / "cut.ckpt"),
                      Catch::Contains("cut.ckpt") && Catch::Contains("bytes"));
    jepasnn::test::write_text(tmp / "junk.ckpt", "hello");
    CHECK_THROWS_WITH(read_checkpoint<float>(tmp / "junk.ckpt"), Catch::Contains("bad magic"));
    CHECK_THROWS_WITH(read_checkpoint<float>(tmp / "none.ckpt"), Catch::Contains("cannot open"));
}
