// Errors under MPI end every rank, never a hang. Work between collectives runs inside agree(): if
// it throws on any rank, every rank throws the same CollectiveError (the lowest failing rank's
// message), so all leave their loops together and exit non-zero. An error outside agree() may
// leave other ranks waiting in a collective: guarded_main() reports it with its rank and ends the
// job through MPI_Abort.
#pragma once

#include <exception>
#include <iostream>
#include <string>
#include <utility>

#include "mpi.hpp"

namespace jepasnn::dist {

/// An error every rank of a communicator knows of (raised by agree() on all of them).
class CollectiveError : public Error {
  public:
    using Error::Error;
};

/// Runs `work()` (local work: no collective calls inside) on every rank of `comm`, then agrees:
/// when it threw on any rank, every rank throws CollectiveError("rank r: <message>") for the
/// lowest such rank r. A collective: every rank of `comm` must call it.
template <class Work>
void agree(const Communicator& comm, Work&& work) {
    std::string message;
    bool failed = false;
    try {
        std::forward<Work>(work)();
    } catch (const std::exception& e) {
        message = e.what();
        failed = true;
    }
    const int mine = failed ? comm.rank() : comm.size();
    int lowest = comm.size();
    check_mpi(MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm.get()), "MPI_Allreduce");
    if (lowest == comm.size()) return;
    int length = comm.rank() == lowest ? mpi_count(message.size(), "an error message") : 0;
    check_mpi(MPI_Bcast(&length, 1, MPI_INT, lowest, comm.get()), "MPI_Bcast");
    message.resize(static_cast<std::size_t>(length));
    check_mpi(MPI_Bcast(message.data(), length, MPI_CHAR, lowest, comm.get()), "MPI_Bcast");
    throw CollectiveError("rank " + std::to_string(lowest) + ": " + message);
}

/// The body of an MPI program's main(): returns body()'s exit code. A CollectiveError is printed
/// once (by rank 0) as "<program>: <message>" and every rank returns 1, leaving MPI in order; any
/// other error is printed by its rank and ends every rank of the job through MPI_Abort (exit code
/// 1), since the others may be waiting for this one.
template <class Body>
int guarded_main(const Communicator& comm, std::string_view program, Body&& body) {
    try {
        return std::forward<Body>(body)();
    } catch (const CollectiveError& e) {
        if (comm.is_root()) std::cerr << program << ": " << e.what() << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << program << ": rank " << comm.rank() << ": " << e.what() << std::endl;
        if (comm.size() > 1) MPI_Abort(comm.get(), 1);
        return 1;
    }
}

}  // namespace jepasnn::dist
