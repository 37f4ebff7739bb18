#include <catch2/catch.hpp>
#include <jepasnn/dist/dist.hpp>
#include <jepasnn/dist/mpi_shards.hpp>
#include <jepasnn/jepa/toy_lds.hpp>
#include <jepasnn/jepa/trainer.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using jepasnn::dist::Communicator;

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

struct Run {
    std::vector<float> weights;
    std::vector<double> losses;
};

/// The teacher trained for the config's steps, alone or sharing its steps over `world`.
template <class Model = jepa::Teacher>
Run train(Index shards, const Communicator* world, Model model = tiny_teacher()) {
    jepa::Trainer<Model> trainer(std::move(model), toy_data(), train_config(shards));
    if (world != nullptr) trainer.share_steps(std::make_shared<jepasnn::dist::MpiShards>(*world));
    const auto& history = trainer.run();
    Run r;
    const auto w = trainer.model().parameters().values();
    r.weights.assign(w.begin(), w.end());
    for (const auto& s : history.steps)
        r.losses.insert(r.losses.end(), {s.loss, s.prediction, s.regularizer, s.grad_norm});
    for (const auto& v : history.validation)
        r.losses.push_back(v.loss);
    return r;
}

bool same_bits(const Run& a, const Run& b) {
    return a.weights.size() == b.weights.size() && a.losses.size() == b.losses.size() &&
           std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0 &&
           std::memcmp(a.losses.data(), b.losses.data(), a.losses.size() * sizeof(double)) == 0;
}

bool on_every_rank(const Communicator& comm, bool ok) {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm.get());
    return all == 1;
}

}  // namespace

TEST_CASE("a teacher trained on P ranks is bitwise the one-process teacher") {
    const auto world = Communicator::world();
    const Run alone = train(4, nullptr);  // every rank computes the one-process run itself
    const Run shared = train(4, &world);
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
    const Run alone = train(4, nullptr);
    // A directory of this job's own (suites with different rank counts run side by side).
    long long id = world.is_root() ? static_cast<long long>(::getpid()) : 0;
    MPI_Bcast(&id, 1, MPI_LONG_LONG, 0, world.get());
    const auto dir =
        std::filesystem::temp_directory_path() / ("jepasnn_dist_resume_" + std::to_string(id));
    if (world.is_root()) std::filesystem::create_directories(dir);
    const auto finish = [&](const std::filesystem::path& checkpoint, const Communicator* shared) {
        auto trainer = jepa::Trainer<jepa::Teacher>::resume(checkpoint, toy_data());
        if (shared != nullptr)
            trainer.share_steps(std::make_shared<jepasnn::dist::MpiShards>(*shared));
        trainer.run();
        Run r;
        const auto w = trainer.model().parameters().values();
        r.weights.assign(w.begin(), w.end());
        for (const auto& s : trainer.history().steps)
            r.losses.insert(r.losses.end(), {s.loss, s.prediction, s.regularizer, s.grad_norm});
        for (const auto& v : trainer.history().validation)
            r.losses.push_back(v.loss);
        return r;
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
    // P ranks write the checkpoint (rank 0), every rank resumes alone from its own copy.
    start(dir / "shared.ckpt", &world);
    MPI_Barrier(world.get());
    const auto own = dir / ("shared." + std::to_string(world.rank()) + ".ckpt");
    std::filesystem::copy_file(dir / "shared.ckpt", own);
    const Run resumed_alone = finish(own, nullptr);
    // One process writes the checkpoint, the P ranks resume it together.
    if (world.is_root()) start(dir / "alone.ckpt", nullptr);
    MPI_Barrier(world.get());
    const Run resumed_shared = finish(dir / "alone.ckpt", &world);
    MPI_Barrier(world.get());
    if (world.is_root()) std::filesystem::remove_all(dir);
    REQUIRE(on_every_rank(world, same_bits(resumed_alone, alone)));
    REQUIRE(on_every_rank(world, same_bits(resumed_shared, alone)));
}

TEST_CASE("more ranks than shards is refused on every rank") {
    const auto world = Communicator::world();
    if (world.size() == 1) return;
    std::string seen;
    try {
        train(1, &world);
    } catch (const jepasnn::Error& e) {
        seen = e.what();
    }
    REQUIRE(on_every_rank(world, seen.find("a step of 1 shards") != std::string::npos));
}
