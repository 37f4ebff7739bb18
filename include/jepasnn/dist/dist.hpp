// Module header for jepasnn/dist (optional; needs MPI, target jepasnn::dist): the MPI environment
// and communicator, errors that end every rank, and the fixed-order tree sum across ranks that
// makes data-parallel results bitwise independent of the number of ranks.
#pragma once

#include "collective_error.hpp"
#include "mpi.hpp"
#include "tree_allreduce.hpp"
