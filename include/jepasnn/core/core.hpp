// Module header for jepasnn/core: Eigen (through eigen.hpp), errors and checks, counter-based RNG,
// tensor aliases and bridges, .npy and JSON I/O, atomic files, checkpoints, progress, timers,
// threads, run records, the fixed shard tree of data-parallel sums.
#pragma once

#include "atomic_file.hpp"
#include "checkpoint.hpp"
#include "config.hpp"
#include "eigen.hpp"
#include "error.hpp"
#include "json.hpp"
#include "npy.hpp"
#include "policy_settings.hpp"
#include "progress.hpp"
#include "rng.hpp"
#include "run_info.hpp"
#include "settings.hpp"
#include "shard_tree.hpp"
#include "streams.hpp"
#include "tensor.hpp"
#include "threads.hpp"
#include "timer.hpp"
#include "type_list.hpp"
#include "version.hpp"
