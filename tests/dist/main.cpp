// Catch2 runner for the MPI suite, started by mpirun on every rank: MPI lives for the whole run,
// every rank runs the same test cases in the same order (their collectives pair up), and the
// process fails on every rank when a test failed on any.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <jepasnn/dist/mpi.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char* argv[]) {
    jepasnn::dist::Environment mpi(argc, argv);
    const auto world = jepasnn::dist::Communicator::world();
    Catch::Session session;
    if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
    if (world.is_root()) {
        const char* rc_params = std::getenv("RC_PARAMS");
        std::cerr << "test seeds: RC_PARAMS=" << (rc_params ? rc_params : "(unset: fresh seed)")
                  << ", catch --rng-seed " << session.config().rngSeed() << "; " << world.size()
                  << " MPI rank(s)" << std::endl;
    }
    const int failed = session.run() != 0 ? 1 : 0;
    int any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, world.get());
    return any;
}
