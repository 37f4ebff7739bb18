// The processes a training command shares its steps with: one, or, when an MPI launcher started
// a CLI built with MPI (`mpirun -np P jepasnn train-teacher|distill`), the MPI ranks. An error
// that every rank meets (dist::CollectiveError, from ShardExchange::agree) ends each of them as
// usual; an error on one rank alone ends every rank through MPI_Abort with its message, since the
// others may be waiting for it in a collective.
#pragma once

#include <jepasnn/train/shard_exchange.hpp>
#if defined(JEPASNN_WITH_MPI)
#include <jepasnn/dist/collective_error.hpp>
#include <jepasnn/dist/mpi_shards.hpp>
#endif

#include <exception>
#include <iostream>
#include <memory>

namespace jepasnn::cli {

using SharedExchange = std::shared_ptr<const train::ShardExchange>;

/// The processes sharing the run.
inline SharedExchange shard_exchange() {
#if defined(JEPASNN_WITH_MPI)
    if (dist::launched_by_mpi()) {
        static dist::Environment mpi;  // finalised when the program ends
        return std::make_shared<dist::MpiShards>(dist::Communicator::world());
    }
#endif
    return std::make_shared<train::LocalShards>();
}

/// Runs work(exchange) on shard_exchange()'s processes, ending all of them on an error.
template <class Work>
void run_shared(Work&& work) {
    const SharedExchange exchange = shard_exchange();
#if defined(JEPASNN_WITH_MPI)
    if (exchange->processes() > 1) {
        try {
            work(exchange);
        } catch (const dist::CollectiveError&) {
            throw;  // every rank has it and leaves
        } catch (const std::exception& e) {
            std::cerr << "jepasnn: error: rank " << exchange->rank() << ": " << e.what()
                      << std::endl;
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        return;
    }
#endif
    work(exchange);
}

}  // namespace jepasnn::cli
