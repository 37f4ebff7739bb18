// Module header for jepasnn/jepa: the LeJEPA model on binned spikes — SIGReg (with the official
// quadrature table and parity), the VICReg / EMA-target / no-regulariser ablations, collapse
// diagnostics, preprocessing, causal encoders, the predictor, the model, batches, the trainer,
// held-out read-in fitting, label-free adaptation to a brain state, and a toy Poisson LDS with
// known latents.
#pragma once

#include "adaptation.hpp"
#include "batch.hpp"
#include "collapse.hpp"
#include "config.hpp"
#include "dataset.hpp"
#include "encoder.hpp"
#include "model.hpp"
#include "parity.hpp"
#include "predictor.hpp"
#include "preprocess.hpp"
#include "regularizers.hpp"
#include "sigreg.hpp"
#include "sigreg_knots.hpp"
#include "toy_lds.hpp"
#include "trainer.hpp"
#include "vicreg.hpp"
