#include <catch2/catch.hpp>
#include <jepasnn/dist/dist.hpp>
#include <jepasnn/dist/mpi_shards.hpp>
#include <jepasnn/jepa/toy_lds.hpp>
#include <jepasnn/jepa/trainer.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dist_test_util.hpp"

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using jepasnn::dist::Communicator;
using jepasnn::test::on_every_rank;
using jepasnn::test::same_bits;
using jepasnn::test::TrainedRun;

namespace {

/// Two toy LDS sessions (7 and 5 units), labelled with two brain states in runs of 3 bins.
std::vector<jepa::SessionRecording<float>> toy_data() {
    jepa::ToyLdsConfig tc;
    tc.bins = 400;
    jepasnn::data::TimeSplitConfig split;
    split.block_bins = 100;
    std::vector<jepa::SessionRecording<float>> out;
    for (std::uint32_t s = 0; s < 2; ++s) {
        const auto lds = jepa::make_toy_lds(tc, s == 0 ? 7 : 5, 21, s);
        out.push_back(jepa::prepare_session<float>(lds.counts, jepa::CountTransform::sqrt, split,
                                                   "toy" + std::to_string(s)));
        auto& state = out.back().state;
        state.resize(static_cast<std::size_t>(out.back().bins()));
        for (std::size_t k = 0; k < state.size(); ++k)
            state[k] = static_cast<std::uint8_t>((k / 3) % 2);
    }
    return out;
}

jepa::TrainConfig train_config(Index shards) {
    jepa::TrainConfig c;
    c.seed = 5;
    c.steps = 6;
    c.batch_size = 7;
    c.window = 10;
    c.warmup_steps = 2;
    c.learning_rate = 3e-3;
    c.validate_every = 3;
    c.validation_windows = 6;
    c.checkpoint_every = 0;
    c.progress = false;
    c.shards = shards;
    return c;
}

jepa::ModelConfig tiny_config() {
    jepa::ModelConfig c;
    c.session_units = {7, 5};
    c.hidden = 6;
    c.latent = 4;
    c.predictor_hidden = 5;
    c.horizon = 2;
    c.burn_in = 2;
    c.dropout = 0.2;  // keyed by shard: must not depend on which rank draws it
    c.init_seed = 3;
    return c;
}

/// SIGReg per state: its characteristic-function sums are reduced over the shards.
jepa::Teacher tiny_teacher() {
    jepa::SigRegConfig sig;
    sig.directions = 16;
    sig.per_state = true;
    return jepa::Teacher(tiny_config(), jepa::SigRegRegularizer<float>(sig));
}

/// VICReg has no data-parallel form: the batch's latents are gathered.
using VicRegTeacher = jepa::LeJepa<float, jepa::GruEncoder, jepa::VicRegRegularizer>;

/// The trainer's weights, step losses and validation losses.
template <class Model>
TrainedRun record(jepa::Trainer<Model>& trainer) {
    TrainedRun r;
    const auto w = trainer.model().parameters().values();
    r.weights.assign(w.begin(), w.end());
    for (const auto& s : trainer.history().steps)
        r.records.insert(r.records.end(), {s.loss, s.prediction, s.regularizer, s.grad_norm});
    for (const auto& v : trainer.history().validation)
        r.records.push_back(v.loss);
    return r;
}

/// The teacher trained for the config's steps, alone or sharing its steps over `world`.
template <class Model = jepa::Teacher>
TrainedRun train(Index shards, const Communicator* world, Model model = tiny_teacher()) {
    jepa::Trainer<Model> trainer(std::move(model), toy_data(), train_config(shards));
    if (world != nullptr) trainer.share_steps(std::make_shared<jepasnn::dist::MpiShards>(*world));
    trainer.run();
    return record(trainer);
}

}  // namespace

TEST_CASE("a teacher trained on P ranks is bitwise the one-process teacher") {
    const auto world = Communicator::world();
    const TrainedRun alone = train(4, nullptr);  // every rank computes the one-process run itself
    const TrainedRun shared = train(4, &world);
    REQUIRE(on_every_rank(world, same_bits(shared, alone)));
    // The shard count is part of the maths: one shard is another (valid) run.
    if (world.size() == 1) REQUIRE_FALSE(same_bits(train(1, &world), alone));
}

TEST_CASE("a teacher whose regulariser gathers the latents is bitwise the one-process teacher") {
    const auto world = Communicator::world();
    const VicRegTeacher model(tiny_config());
    REQUIRE(on_every_rank(world, same_bits(train(4, &world, model), train(4, nullptr, model))));
}

TEST_CASE("a run checkpointed on one rank count resumes bitwise on another") {
    const auto world = Communicator::world();
    const TrainedRun alone = train(4, nullptr);
    const auto finish = [&](const std::filesystem::path& checkpoint, const Communicator* shared) {
        auto trainer = jepa::Trainer<jepa::Teacher>::resume(checkpoint, toy_data());
        if (shared != nullptr)
            trainer.share_steps(std::make_shared<jepasnn::dist::MpiShards>(*shared));
        trainer.run();
        return record(trainer);
    };
    const auto start = [&](const std::filesystem::path& checkpoint, const Communicator* shared) {
        auto config = train_config(4);
        config.checkpoint = checkpoint.string();
        config.checkpoint_every = 3;
        jepa::Trainer<jepa::Teacher> trainer(tiny_teacher(), toy_data(), config);
        if (shared != nullptr)
            trainer.share_steps(std::make_shared<jepasnn::dist::MpiShards>(*shared));
        trainer.run(3);
    };
    const auto [resumed_alone, resumed_shared] =
        jepasnn::test::resumed_across_rank_counts(world, start, finish);
    REQUIRE(on_every_rank(world, same_bits(resumed_alone, alone)));
    REQUIRE(on_every_rank(world, same_bits(resumed_shared, alone)));
}

TEST_CASE("more ranks than shards is refused on every rank") {
    const auto world = Communicator::world();
    if (world.size() == 1) return;
    const std::string seen = jepasnn::test::error_message([&] { train(1, &world); });
    REQUIRE(on_every_rank(world, seen.find("a step of 1 shards") != std::string::npos));
}
