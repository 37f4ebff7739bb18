// Example: Phase 0 on a simulated session, the way an experiment uses real VBN files.
//
// Simulate a small VBN-like cohort (NWB + ground truth), read the session back through the NWB
// reader, run the default unit QC (funnel), bin the active block and its passive replay at 10 ms,
// cut windows around image changes, and line the counts up with the true latents. Everything is
// written into the working directory as .npy / JSON for numpy.
#include <jepasnn/data/data.hpp>

#include <cstdio>
#include <filesystem>
#include <numeric>

namespace data = jepasnn::data;
namespace fs = std::filesystem;

int main() {
    try {
        constexpr std::uint64_t seed = 20261124;
        data::SimulatorConfig config = data::SimulatorConfig::quick();
        config.sessions = 1;
        const fs::path cohort_dir = "simulate_and_bin_cohort";
        fs::remove_all(cohort_dir);
        data::simulate_cohort(config, seed, cohort_dir);
        const data::Cohort cohort = data::Cohort::read(cohort_dir);

        // The session goes through the same reader as a real VBN file.
        const data::Session session = data::load_session(cohort.sessions[0].nwb);
        const data::GroundTruth truth = cohort.ground_truth(0);
        std::printf("%s: %zu units, %llu spikes, %zu blocks\n", session.info.identifier.c_str(),
                    session.units.size(),
                    static_cast<unsigned long long>(session.units.total_spikes()),
                    session.blocks.size());

        // Unit QC: the VBN notebook's filter, with the funnel.
        const data::QcFunnel funnel = data::vbn_default_filter().funnel(session.units);
        for (const auto& step : funnel.steps)
            std::printf("  %-26s removes %3zu, %3zu left\n", step.criterion.c_str(), step.removed,
                        step.remaining);

        // 10 ms counts of each state, with the true latents on the same bins.
        jepasnn::Json summary;
        summary["funnel"] = funnel.to_json();
        for (data::BrainState state : {data::BrainState::active, data::BrainState::passive}) {
            const data::SessionBlock& block = session.state(state);
            const data::BinGrid grid = data::BinGrid::covering(block.range(), 0.01);
            const auto counts = data::bin_spikes(session.units, grid, funnel.kept);
            const std::string name(data::state_name(state));
            jepasnn::save_npy("counts_" + name + ".npy", counts);
            jepasnn::save_npy("latents_" + name + ".npy", truth.latents_for(grid));
            const auto spikes = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
            std::printf("%-7s block %lld: %zu bins x %zu units, %lld spikes\n", name.c_str(),
                        static_cast<long long>(block.block), counts.shape(0), counts.shape(1),
                        static_cast<long long>(spikes));
            summary[name] = {{"block", block.block}, {"bins", counts.shape(0)}, {"spikes", spikes}};
        }

        // Windows around image changes in the active block: (changes, 75 bins, units).
        data::EventQuery changes;
        changes.kind = data::EventKind::changes;
        changes.state = data::BrainState::active;
        const data::EventWindows w =
            data::event_windows(session, changes, data::WindowSpec{}, funnel.kept);
        jepasnn::save_npy("change_windows.npy", w.counts);
        std::printf("change windows: %zu x %zu x %zu\n", w.counts.shape(0), w.counts.shape(1),
                    w.counts.shape(2));
        summary["change_windows"] = w.labels.size();

        // Data-quality validation: the stored metrics against a recomputation from the spikes.
        const auto metrics = data::compute_quality_metrics(session.units);
        for (const auto& c : data::compare_quality_metrics(session.units, metrics))
            summary["metrics"].push_back(c.to_json());
        jepasnn::write_json("simulate_and_bin.json", summary);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "simulate_and_bin: %s\n", e.what());
        return 1;
    }
}
