// Module header for jepasnn/jepa: the LeJEPA teacher on binned spikes — SIGReg (with the official
// quadrature table and parity), the VICReg / EMA-target / no-regulariser ablations, preprocessing,
// causal encoders, the predictor, the model, time-block splits and batches, checkpoints, the
// trainer, held-out read-in fitting, a toy Poisson LDS with known latents, and the teacher
// pipeline (config file, NWB sessions → training → held-out read-ins → latents → evaluation).
#pragma once

#include "batch.hpp"
#include "checkpoint.hpp"
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
#include "streams.hpp"
#include "teacher.hpp"
#include "teacher_config.hpp"
#include "teacher_data.hpp"
#include "teacher_eval.hpp"
#include "toy_lds.hpp"
#include "trainer.hpp"
#include "vicreg.hpp"
