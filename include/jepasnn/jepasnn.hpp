// Umbrella header: everything in jepasnn (CPU). CUDA specialisations live in jepasnn/cuda/*.cuh and
// are included explicitly by .cu translation units that link jepasnn::cuda.
//
// Data flows one way: data → jepa (teacher) → latents → distill (lif + constraints + cca) →
// eval. nn and core serve everyone; nothing lower includes anything higher.
#pragma once

#include "core/core.hpp"
#include "data/data.hpp"
#include "cca/cca.hpp"
#include "nn/nn.hpp"
#include "jepa/jepa.hpp"
#include "eval/eval.hpp"
#include "lif/lif.hpp"
#include "constraints/constraints.hpp"
#include "distill/distill.hpp"
