// Experiment "cohort": the paper's data. Simulates the VBN-like cohort of config section
// "cohort" (SimulatorConfig keys; missing keys keep the simulator's defaults) into
// <paper dir>/cohort/, which every later experiment reads with jepasnn::data::Cohort::read.
#include <filesystem>

#include <jepasnn/data/data.hpp>
#include "driver_common.hpp"
#include "jepasnn_build_info.hpp"

int main(int argc, char** argv) {
    using namespace jepasnn;
    return paper::run_driver(argc, argv, "cohort", [](const paper::DriverContext& ctx) {
        const data::SimulatorConfig config =
            data::SimulatorConfig::from_json(ctx.section("cohort"), "paper config: cohort");
        // A previous run's cohort is regenerated, never reused: the seed or sizes may differ.
        std::filesystem::remove_all(ctx.out / "sessions");
        data::CohortOptions options;
        options.progress = progress_style();
        options.git_revision = JEPASNN_GIT_REVISION;
        const Json manifest =
            data::simulate_cohort(config, ctx.seed, ctx.out / "sessions", options);
        Json metrics;
        metrics["sessions"] = manifest["sessions"].size();
        std::uint64_t units = 0, spikes = 0;
        double minutes = 0.0;
        for (const Json& s : manifest["sessions"]) {
            units += s["units"].get<std::uint64_t>();
            spikes += s["spikes"].get<std::uint64_t>();
            minutes += s["duration_s"].get<double>() / 60.0;
        }
        metrics["units"] = units;
        metrics["spikes"] = spikes;
        metrics["recording_minutes"] = minutes;
        metrics["latent_dim"] = config.latent_dim;
        return metrics;
    });
}
