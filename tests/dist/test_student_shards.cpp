// The student distilled with its steps shared over the MPI ranks of the job (each rank computing
// its own shards of every batch) is bitwise the student one process distils with the same config:
// weights, losses, rates and the monitored CCA; a run checkpointed on P ranks resumes bitwise
// alone, and the other way round.
#include <catch2/catch.hpp>
#include <jepasnn/dist/dist.hpp>
#include <jepasnn/dist/mpi_shards.hpp>
#include <jepasnn/distill/distill.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../distill/distill_test_support.hpp"
#include "dist_test_util.hpp"

namespace distill = jepasnn::distill;
using jepasnn::Index;
using jepasnn::dist::Communicator;
using jepasnn::test::on_every_rank;
using jepasnn::test::same_bits;
using jepasnn::test::TrainedRun;

namespace {

distill::DistillConfig student_config(Index shards) {
    distill::DistillConfig c = jepasnn::test::small_config();
    c.shards = shards;
    return c;
}

distill::DistillData student_data() {
    auto [counts, z] = jepasnn::test::synthetic_session(1000, 12, 5);
    return distill::make_distill_data(std::move(counts), std::move(z), student_config(4));
}

TrainedRun record(const distill::Distiller<>& d) {
    TrainedRun r;
    const auto w = d.network().parameters().values();
    r.weights.assign(w.begin(), w.end());
    for (const auto& s : d.history())
        r.records.insert(r.records.end(), {s.loss, s.cca_loss, s.homeostasis, s.rate_exc_hz,
                                           s.rate_inh_hz, s.grad_norm});
    for (const auto& m : d.monitor_history())
        r.records.insert(r.records.end(), {m.cca_train, m.cca_heldout});
    return r;
}

void share(distill::Distiller<>& d, const Communicator* world) {
    if (world != nullptr) d.share_steps(std::make_shared<jepasnn::dist::MpiShards>(*world));
}

/// The student of `shards` shards trained for the config's steps, alone or sharing its steps
/// over `world`.
TrainedRun distil(Index shards, const Communicator* world) {
    const distill::DistillData data = student_data();
    distill::Distiller<> d(data, student_config(shards));
    share(d, world);
    d.train(jepasnn::ProgressStyle::quiet);
    return record(d);
}

}  // namespace

TEST_CASE("a student distilled on P ranks is bitwise the one-process student") {
    const auto world = Communicator::world();
    const TrainedRun alone = distil(4, nullptr);  // every rank computes the one-process run
    const TrainedRun shared = distil(4, &world);
    REQUIRE(on_every_rank(world, same_bits(shared, alone)));
    // The shard count is part of the maths: one shard is another (valid) run.
    if (world.size() == 1) REQUIRE_FALSE(same_bits(distil(1, &world), alone));
}

TEST_CASE("more ranks than the student's shards is refused on every rank") {
    const auto world = Communicator::world();
    if (world.size() == 1) return;
    const std::string seen = jepasnn::test::error_message([&] { distil(1, &world); });
    REQUIRE(on_every_rank(world, seen.find("a step of 1 shards") != std::string::npos));
}

TEST_CASE("a student checkpointed on one rank count resumes bitwise on another") {
    const auto world = Communicator::world();
    const TrainedRun alone = distil(4, nullptr);
    const distill::DistillData data = student_data();
    // Three of the six steps, as train() runs them: monitor, then checkpoint (rank 0's).
    const auto start = [&](const std::filesystem::path& checkpoint, const Communicator* shared) {
        distill::Distiller<> d(data, student_config(4));
        share(d, shared);
        for (int step = 0; step < 3; ++step)
            d.step();
        d.monitor();
        if (world.is_root() || shared == nullptr) d.save_checkpoint(checkpoint);
    };
    const auto finish = [&](const std::filesystem::path& checkpoint, const Communicator* shared) {
        distill::Distiller<> d = distill::Distiller<>::resume(checkpoint, data, student_config(4));
        share(d, shared);
        d.train(jepasnn::ProgressStyle::quiet);
        return record(d);
    };
    const auto [resumed_alone, resumed_shared] =
        jepasnn::test::resumed_across_rank_counts(world, start, finish);
    REQUIRE(on_every_rank(world, same_bits(resumed_alone, alone)));
    REQUIRE(on_every_rank(world, same_bits(resumed_shared, alone)));
}
