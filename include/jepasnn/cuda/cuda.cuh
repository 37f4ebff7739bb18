// jepasnn::cuda: the optional GPU specialisations (link jepasnn::cuda; include from .cu files
// only). CPU headers never include this folder.
#pragma once

#include "blas.cuh"
#include "lif_kernels.cuh"
#include "philox_fill.cuh"
#include "population.cuh"
#include "runtime.cuh"
#include "sigreg.cuh"
