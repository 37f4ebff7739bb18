// A small simulated cohort and a teacher configuration that trains on it in seconds, shared by the
// teacher pipeline and CLI tests.
#pragma once

#include <jepasnn/data/simulator/simulate.hpp>
#include <jepasnn/teacher/config.hpp>

#include <filesystem>

#include "test_support.hpp"

namespace jepasnn::test {

/// 3 sessions × ~60 units × 2 min, written into `dir` (which must not exist or be empty).
inline void simulate_small_cohort(const std::filesystem::path& dir, std::uint64_t seed = 5) {
    data::SimulatorConfig c;
    c.sessions = 3;
    c.units = 60;
    c.minutes = 2.0;
    data::simulate_cohort(c, seed, dir);
}

/// A small teacher (H = 32, D = 8) trained briefly; session_002 held out.
inline Json small_teacher_config_json(const std::filesystem::path& cohort) {
    return {{"data", {{"cohort", cohort.string()}, {"heldout", {"session_002"}}}},
            {"model",
             {{"hidden", 32},
              {"latent", 8},
              {"predictor_hidden", 32},
              {"conv_kernel", 4},
              {"horizon", 4},
              {"burn_in", 8},
              {"lambda", 0.05},
              {"init_seed", 1}}},
            {"regularizer_config", {{"directions", 64}}},
            {"train",
             {{"seed", 3},
              {"steps", 150},
              {"batch_size", 16},
              {"window", 48},
              {"learning_rate", 3e-3},
              {"warmup_steps", 15},
              {"validate_every", 0},
              {"validation_windows", 16},
              {"checkpoint_every", 0},
              {"progress", false},
              {"split", {{"block_bins", 1000}}}}},
            {"readin", {{"seed", 4}, {"steps", 80}, {"batch_size", 16}, {"window", 48}}},
            {"evaluation", {{"sigreg_directions", 64}}}};
}

}  // namespace jepasnn::test
