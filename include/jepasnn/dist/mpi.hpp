// MPI for data-parallel training (optional: the jepasnn::dist target, built when CMake finds MPI;
// JEPASNN_WITH_MPI is then defined). A thin RAII layer over the MPI C API, which Open MPI, MPICH
// and every cluster's MPI provide: the environment's lifetime, a communicator's rank and size,
// and checked calls that throw jepasnn::Error with MPI's own message.
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../core/error.hpp"

namespace jepasnn::dist {

/// Throws Error naming `what` and MPI's message unless `code` is MPI_SUCCESS.
inline void check_mpi(int code, std::string_view what) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    fail("dist", what, " failed: ", std::string(text, static_cast<std::size_t>(length)));
}

/// MPI for the lifetime of the object: initialises it (threads funnelled through the thread that
/// made it: OpenMP loops run between MPI calls) unless it already is, and finalises what it
/// initialised.
class Environment {
  public:
    Environment(int& argc, char**& argv) { init(&argc, &argv); }
    /// Without the program's arguments (MPI does not need them).
    Environment() { init(nullptr, nullptr); }
    ~Environment() {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (owns_ && !finalised) MPI_Finalize();
    }
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

  private:
    void init(int* argc, char*** argv) {
        int initialised = 0;
        check_mpi(MPI_Initialized(&initialised), "MPI_Initialized");
        if (initialised) return;
        int provided = 0;
        check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
        owns_ = true;
    }

    bool owns_ = false;
};

/// Whether this process was started by an MPI launcher (Open MPI's mpirun, MPICH's or Slurm's
/// PMI): a program that can run either way initialises MPI only then.
inline bool launched_by_mpi() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
        if (std::getenv(name) != nullptr) return true;
    return false;
}

/// A communicator (not owned): its rank and size, read once.
class Communicator {
  public:
    explicit Communicator(MPI_Comm comm) : comm_(comm) {
        check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    }
    static Communicator world() { return Communicator(MPI_COMM_WORLD); }

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool is_root() const { return rank_ == 0; }
    MPI_Comm get() const { return comm_; }

  private:
    MPI_Comm comm_;
    int rank_ = 0, size_ = 1;
};

/// The MPI datatype of a scalar.
template <class T>
MPI_Datatype mpi_type();
template <>
inline MPI_Datatype mpi_type<float>() {
    return MPI_FLOAT;
}
template <>
inline MPI_Datatype mpi_type<double>() {
    return MPI_DOUBLE;
}
template <>
inline MPI_Datatype mpi_type<std::int64_t>() {
    return MPI_INT64_T;
}

/// An MPI count (int) from a size, checked.
inline int mpi_count(std::size_t n, std::string_view what) {
    require(n <= static_cast<std::size_t>(INT_MAX), "dist", what, " has ", n,
            " elements, more than one MPI message holds (", INT_MAX, ")");
    return static_cast<int>(n);
}

}  // namespace jepasnn::dist
