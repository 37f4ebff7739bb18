// Umbrella header: everything in jepasnn (CPU). CUDA specialisations live in jepasnn/cuda/*.cuh and
// are included explicitly by .cu translation units that link jepasnn::cuda; the MPI module,
// jepasnn/dist/dist.hpp, by programs that link jepasnn::dist.
//
// Modules in layer order: each includes only those before it (tests/packaging/check_layers.cmake).
// Data flows up the list: data → jepa (the model) → teacher (the pipeline: latents) → distill
// (lif + constraints + cca).
#pragma once

// In layer order, not sorted.
// clang-format off
#include "core/core.hpp"
#include "data/data.hpp"
#include "nn/nn.hpp"
#include "train/train.hpp"
#include "constraints/constraints.hpp"
#include "cca/cca.hpp"
#include "eval/eval.hpp"
#include "lif/lif.hpp"
#include "jepa/jepa.hpp"
#include "teacher/teacher.hpp"
#include "distill/distill.hpp"
// clang-format on
