// Module header of distill: training a bio-constrained LIF student against teacher latents by
// Deep CCA with homeostasis and Dale's principle, its held-out evaluation and student metrics,
// and the ablations (DESIGN.md, "Student").
#pragma once

#include "ablation.hpp"
#include "config.hpp"
#include "data.hpp"
#include "evaluation.hpp"
#include "loss.hpp"
#include "spike_statistics.hpp"
#include "trainer.hpp"
