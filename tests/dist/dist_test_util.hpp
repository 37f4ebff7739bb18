// Helpers of the MPI suite: what a training run ends with, compared bit for bit, and a verdict
// that every rank of the job shares.
#pragma once

#include <jepasnn/core/error.hpp>
#include <jepasnn/dist/mpi.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace jepasnn::test {

/// A trained run: its weights and its records (losses, rates, metrics), in order.
struct TrainedRun {
    std::vector<float> weights;
    std::vector<double> records;
};

inline bool same_bits(const TrainedRun& a, const TrainedRun& b) {
    return a.weights.size() == b.weights.size() && a.records.size() == b.records.size() &&
           std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0 &&
           std::memcmp(a.records.data(), b.records.data(), a.records.size() * sizeof(double)) == 0;
}

/// Whether `ok` holds on every rank of `comm`.
inline bool on_every_rank(const dist::Communicator& comm, bool ok) {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm.get());
    return all == 1;
}

/// The message of the jepasnn::Error that work() throws; empty when it throws none.
template <class Work>
std::string error_message(Work&& work) {
    try {
        work();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

/// A run checkpointed part-way on one rank count and finished on another, both ways, in a
/// directory of this job's own (suites with different rank counts run side by side):
/// start(path, shared) writes the checkpoint `path` part-way (rank 0 writes it when `shared` is
/// the world; nullptr: one process), finish(path, shared) resumes it and returns the run. Returns
/// {the P ranks' checkpoint finished by each rank alone, one process's finished by the P ranks}.
template <class Start, class Finish>
std::pair<TrainedRun, TrainedRun> resumed_across_rank_counts(const dist::Communicator& world,
                                                             Start&& start, Finish&& finish) {
    long long id = world.is_root() ? static_cast<long long>(::getpid()) : 0;
    MPI_Bcast(&id, 1, MPI_LONG_LONG, 0, world.get());
    const auto dir =
        std::filesystem::temp_directory_path() / ("jepasnn_dist_resume_" + std::to_string(id));
    if (world.is_root()) std::filesystem::create_directories(dir);
    MPI_Barrier(world.get());
    // P ranks write the checkpoint (rank 0), every rank resumes alone from its own copy.
    start(dir / "shared.ckpt", &world);
    MPI_Barrier(world.get());
    const auto own = dir / ("shared." + std::to_string(world.rank()) + ".ckpt");
    std::filesystem::copy_file(dir / "shared.ckpt", own);
    TrainedRun resumed_alone = finish(own, nullptr);
    // One process writes the checkpoint, the P ranks resume it together.
    if (world.is_root()) start(dir / "alone.ckpt", nullptr);
    MPI_Barrier(world.get());
    TrainedRun resumed_shared = finish(dir / "alone.ckpt", &world);
    MPI_Barrier(world.get());
    if (world.is_root()) std::filesystem::remove_all(dir);
    return {std::move(resumed_alone), std::move(resumed_shared)};
}

}  // namespace jepasnn::test
