// Module header for jepasnn/teacher: the teacher pipeline on top of the LeJEPA model — its
// configuration file, NWB sessions → binned counts with state labels and ground truth, training,
// held-out read-in fitting, evaluation against ground truth and baselines, checkpoint and
// embedding.
#pragma once

#include "config.hpp"
#include "data.hpp"
#include "evaluation.hpp"
#include "pipeline.hpp"
