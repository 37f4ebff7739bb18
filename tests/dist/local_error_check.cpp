// The MPI error paths end every rank with a message and exit code 1, never a hang
// (expect_failure.cmake runs this under mpirun with a time limit):
//   local_error_check local    the last rank fails alone, outside any collective, while the
//                              others wait in MPI_Barrier: guarded_main ends the job (MPI_Abort)
//   local_error_check agreed   every rank learns of rank 0's error through agree() and leaves
//                              in order; rank 0 prints it once
#include <jepasnn/dist/dist.hpp>

#include <string_view>

int main(int argc, char* argv[]) {
    jepasnn::dist::Environment mpi(argc, argv);
    const auto world = jepasnn::dist::Communicator::world();
    const std::string_view mode = argc > 1 ? argv[1] : "";
    return jepasnn::dist::guarded_main(world, "local_error_check", [&] {
        if (mode == "local") {
            if (world.rank() == world.size() - 1)
                jepasnn::fail("data", "'session_7.nwb' is not an HDF5 file");
            MPI_Barrier(world.get());  // the other ranks wait here for the failed one
        } else if (mode == "agreed") {
            jepasnn::dist::agree(world, [&] {
                if (world.rank() == 0) jepasnn::fail("train-teacher", "non-finite loss at step 3");
            });
        }
        return 0;
    });
}
