// The training loop on a small noisy quadratic: it descends with the schedule's learning rates
// and counts steps from 1, a run split at any step and resumed from its checkpoint is bitwise the
// uninterrupted run, callbacks fire on their schedule, a non-finite value stops it naming the
// last good checkpoint, and checkpoints of another kind are refused.
#include <catch2/catch.hpp>
#include <jepasnn/core/rng.hpp>
#include <jepasnn/train/loop.hpp>

#include <rapidcheck/catch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "test_support.hpp"

using namespace jepasnn;

namespace {

struct QuadraticRecord {
    std::uint64_t step = 0;
    double loss = 0.0, learning_rate = 0.0, grad_norm = 0.0;
    friend bool operator==(const QuadraticRecord&, const QuadraticRecord&) = default;
};

/// ½ Σ a_i (x_i − c_i)² with a step-keyed perturbation of the gradient, so that every step's
/// update depends on its step number (as window sampling does in the real objectives).
struct Quadratic {
    using Scalar = double;
    using Record = QuadraticRecord;
    std::vector<double> x = {3.0, -2.0, 1.0, 0.5}, g = std::vector<double>(4, 0.0);
    std::vector<double> a = {1.0, 2.0, 0.5, 4.0}, c = {0.0, 1.0, -1.0, 0.25};
    std::uint64_t nan_from = std::numeric_limits<std::uint64_t>::max();
    std::vector<QuadraticRecord> history;

    std::span<double> parameters() { return x; }
    std::span<double> gradients() { return g; }
    QuadraticRecord loss_and_gradient(std::uint64_t s) {
        double loss = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            loss += 0.5 * a[i] * (x[i] - c[i]) * (x[i] - c[i]);
            g[i] = a[i] * (x[i] - c[i]) + 0.01 * normal_at(7, 1, s * x.size() + i);
        }
        if (s >= nan_from) loss = std::nan("");
        return {0, loss, 0.0, 0.0};
    }
    void after_update(std::uint64_t) {}
    void record(const QuadraticRecord& r) { history.push_back(r); }
    std::string status() const { return "loss " + std::to_string(history.back().loss); }

    Json header() const {
        Json h;
        h["kind"] = "test.quadratic";
        Json records = Json::array();
        for (const auto& r : history)
            records.push_back({r.step, r.loss, r.learning_rate, r.grad_norm});
        h["history"] = records;
        return h;
    }
    void restore(const Checkpoint<double>& ck) {
        x = ck.array("parameters", "test");
        history.clear();
        for (const auto& r : ck.header["history"])
            history.push_back({r[0].get<std::uint64_t>(), r[1].get<double>(), r[2].get<double>(),
                               r[3].get<double>()});
    }
};

train::LoopSettings settings(std::uint64_t steps, bool checkpoints = false) {
    return {"test-loop",
            steps,
            1.0,
            {0.05, std::min<std::uint64_t>(5, steps), steps, 0.005},
            checkpoints};
}

train::Loop<double> make_loop(std::uint64_t steps, bool checkpoints = false) {
    return {settings(steps, checkpoints), nn::AdamW<double>(4, nn::AdamWConfig{})};
}

}  // namespace

TEST_CASE("the loop descends with the schedule's learning rates and counts steps from 1") {
    Quadratic q;
    auto loop = make_loop(200);
    loop.run(q, ProgressStyle::quiet, ~std::uint64_t{0});
    REQUIRE(q.history.size() == 200);
    const nn::WarmupCosineSchedule schedule = settings(200).schedule;
    for (std::size_t i = 0; i < q.history.size(); ++i) {
        CHECK(q.history[i].step == i + 1);
        CHECK(q.history[i].learning_rate == schedule.at(i));
    }
    CHECK(loop.steps_done() == 200);
    // The minimum is 0 up to the perturbation (gradient noise 0.01 ⇒ loss ~1e-4).
    CHECK(q.history.front().loss > 10.0);
    CHECK(q.history.back().loss < 1e-2);
}

TEST_CASE("callbacks fire every period and after the final step") {
    Quadratic q;
    auto loop = make_loop(10);
    std::vector<std::uint64_t> every3, every4_not_at_end, never;
    loop.run(q, ProgressStyle::quiet, ~std::uint64_t{0},
             train::Every{3, true, [&] { every3.push_back(loop.steps_done()); }},
             train::Every{4, false, [&] { every4_not_at_end.push_back(loop.steps_done()); }},
             train::Every{0, false, [&] { never.push_back(loop.steps_done()); }});
    CHECK(every3 == std::vector<std::uint64_t>{3, 6, 9, 10});
    CHECK(every4_not_at_end == std::vector<std::uint64_t>{4, 8});
    CHECK(never.empty());
}

TEST_CASE("a run split at any step and resumed from its checkpoint is the uninterrupted run") {
    Quadratic straight;
    auto whole = make_loop(30);
    whole.run(straight, ProgressStyle::quiet, ~std::uint64_t{0});
    rc::prop("bitwise the same records and parameters", [&] {
        const auto split = *rc::gen::inRange<std::uint64_t>(0, 31);
        const test::TempDir dir;
        const auto path = dir.path() / "run.ckpt";
        {
            Quadratic first;
            auto loop = make_loop(30, true);
            loop.run(first, ProgressStyle::quiet, split);
            loop.save_checkpoint(path, first.header(), {{"parameters", first.x}});
            // Steps after the checkpoint are lost, as when a run is killed.
            loop.run(first, ProgressStyle::quiet, ~std::uint64_t{0});
        }
        Quadratic resumed;
        auto loop = make_loop(30, true);
        const Checkpoint<double> ck = train::Loop<double>::read(path, "test.quadratic");
        resumed.restore(ck);
        loop.restore(ck, path);
        RC_ASSERT(loop.steps_done() == split);
        loop.run(resumed, ProgressStyle::quiet, ~std::uint64_t{0});
        RC_ASSERT(resumed.history == straight.history);
        RC_ASSERT(resumed.x == straight.x);
    });
}

TEST_CASE("a non-finite loss stops the loop and names the last good checkpoint") {
    const test::TempDir dir;
    const auto path = dir.path() / "run.ckpt";
    Quadratic q;
    q.nan_from = 4;  // the 5th step
    auto loop = make_loop(20, true);
    CHECK_THROWS_WITH(
        loop.run(q, ProgressStyle::quiet, ~std::uint64_t{0},
                 train::Every{3, true, [&] { loop.save_checkpoint(path, q.header(), {}); }}),
        Catch::Contains("test-loop: non-finite loss (nan) at step 5") &&
            Catch::Contains("the last good checkpoint is '" + path.string() + "' (step 3)"));
    CHECK(q.history.size() == 4);

    Quadratic early;
    early.nan_from = 0;
    auto unsaved = make_loop(20, true);
    CHECK_THROWS_WITH(unsaved.step(early), Catch::Contains("at step 1") &&
                                               Catch::Contains("no checkpoint had been written"));
    auto none = make_loop(20);
    CHECK_THROWS_WITH(none.step(early), Catch::Contains("no checkpoint was configured"));
}

TEST_CASE("a checkpoint of another kind or format is refused") {
    const test::TempDir dir;
    Quadratic q;
    auto loop = make_loop(5, true);
    loop.run(q, ProgressStyle::quiet, ~std::uint64_t{0});
    loop.save_checkpoint(dir.path() / "run.ckpt", q.header(), {{"parameters", q.x}});
    CHECK_THROWS_WITH(train::Loop<double>::read(dir.path() / "run.ckpt", "other.kind"),
                      Catch::Contains("holds a 'test.quadratic' run, expected 'other.kind'"));
    write_checkpoint<double>(dir.path() / "plain.ckpt", Json{{"kind", "test.quadratic"}}, {});
    CHECK_THROWS_WITH(train::Loop<double>::read(dir.path() / "plain.ckpt", "test.quadratic"),
                      Catch::Contains("is not a training checkpoint"));
    // Resuming beyond the steps asked for is refused.
    auto shorter = make_loop(3, true);
    CHECK_THROWS_WITH(
        shorter.restore(train::Loop<double>::read(dir.path() / "run.ckpt", "test.quadratic"),
                        dir.path() / "run.ckpt"),
        Catch::Contains("is at step 5, beyond the 3 steps asked for"));
}
