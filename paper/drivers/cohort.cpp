// Experiment "cohort": the paper's data. By default simulates the VBN-like cohort of config
// section "cohort" (SimulatorConfig keys; missing keys keep the simulator's defaults) into
// <paper dir>/cohort/sessions/, which later experiments read with data::Cohort::read. Given real
// NWB session files instead (--nwb FILE..., or "nwb_files" in the section, relative to the config
// file), it checks that each opens and has the active and passive image blocks, and lists them in
// <paper dir>/cohort/nwb_cohort.json (no ground truth; see paper_cohort.hpp).
#include <algorithm>
#include <filesystem>

#include <jepasnn/data/data.hpp>
#include "driver_common.hpp"
#include "jepasnn_build_info.hpp"
#include "paper_cohort.hpp"

namespace {

using namespace jepasnn;
namespace fs = std::filesystem;

/// The real session files: --nwb flags win over the config's "nwb_files" list.
std::vector<fs::path> nwb_files(const paper::DriverContext& ctx, const Json& section) {
    if (!ctx.nwb_files.empty()) return ctx.nwb_files;
    std::vector<fs::path> files;
    if (!section.contains("nwb_files")) return files;
    const std::string where =
        ctx.config_path.string() + ": profiles." + ctx.profile_name + ".cohort";
    for (const std::string& f : json_get<std::vector<std::string>>(section, "nwb_files", where))
        files.push_back(fs::path(f).is_absolute() ? fs::path(f)
                                                  : ctx.config_path.parent_path() / f);
    require(!files.empty(), where, "nwb_files is an empty list");
    return files;
}

/// Totals over a manifest's sessions (both kinds list units, spikes and duration_s).
Json cohort_metrics(const Json& sessions, bool ground_truth) {
    Json metrics;
    metrics["ground_truth"] = ground_truth;
    metrics["sessions"] = sessions.size();
    std::uint64_t units = 0, spikes = 0;
    double minutes = 0.0;
    for (const Json& s : sessions) {
        units += s["units"].get<std::uint64_t>();
        spikes += s["spikes"].get<std::uint64_t>();
        minutes += s["duration_s"].get<double>() / 60.0;
    }
    metrics["units"] = units;
    metrics["spikes"] = spikes;
    metrics["recording_minutes"] = minutes;
    return metrics;
}

Json simulated_cohort(const paper::DriverContext& ctx, const Json& section) {
    const data::SimulatorConfig config =
        read_settings<data::SimulatorConfig>(section, "paper config: cohort");
    data::CohortOptions options;
    options.progress = progress_style();
    options.git_revision = JEPASNN_GIT_REVISION;
    const Json manifest = data::simulate_cohort(
        config, ctx.seed, paper::PaperCohort::simulated_dir(ctx.paper_dir), options);
    Json metrics = cohort_metrics(manifest["sessions"], true);
    metrics["latent_dim"] = config.latent_dim;
    return metrics;
}

/// Lists real session files after checking what the later experiments need from each: a units
/// table and the active and passive image blocks. Spike times are not read here.
Json real_cohort(const paper::DriverContext& ctx, const std::vector<fs::path>& files) {
    Json manifest;
    manifest["format"] = paper::nwb_cohort_format;
    manifest["run"] = run_record(ctx.seed, JEPASNN_GIT_REVISION);
    manifest["sessions"] = Json::array();
    std::vector<std::string> names;
    for (const fs::path& given : files)
        if (!fs::is_regular_file(given)) fail(given.string(), "NWB file not found");
    ProgressBar bar("check NWB files", files.size(), progress_style());
    for (const fs::path& given : files) {
        const fs::path path = fs::absolute(given).lexically_normal();
        const data::NwbFile file(path);
        if (!file.has_units()) fail(path.string(), "has no /units table");
        const data::UnitIndex index = file.read_unit_index();
        const std::vector<data::SessionBlock> blocks = data::derive_blocks(file.read_intervals());
        const data::SessionBlock& active =
            data::state_block(blocks, data::BrainState::active, path.string());
        const data::SessionBlock& passive =
            data::state_block(blocks, data::BrainState::passive, path.string());
        std::string name = path.stem().string();
        if (std::find(names.begin(), names.end(), name) != names.end())
            fail(path.string(), "two cohort files share the name '", name, "'");
        names.push_back(name);
        double duration = 0.0;
        for (const data::SessionBlock& b : blocks)
            duration = std::max(duration, b.stop);
        manifest["sessions"].push_back({{"name", name},
                                        {"nwb", path.string()},
                                        {"units", index.size()},
                                        {"spikes", index.total_spikes()},
                                        {"duration_s", duration},
                                        {"active_block", active.block},
                                        {"passive_block", passive.block}});
        bar.advance();
    }
    write_json(paper::PaperCohort::nwb_manifest(ctx.paper_dir), manifest);
    return cohort_metrics(manifest["sessions"], false);
}

}  // namespace

int main(int argc, char** argv) {
    return paper::run_driver(argc, argv, "cohort", [](const paper::DriverContext& ctx) {
        const Json section = ctx.section("cohort");
        // A previous run's cohort (of either kind) is regenerated, never reused: the seed, sizes
        // or files may differ, and a stale manifest of the other kind would shadow this one. The
        // stores binned from it go too (the teacher refuses a store whose file has changed).
        fs::remove_all(paper::PaperCohort::simulated_dir(ctx.paper_dir));
        fs::remove(paper::PaperCohort::nwb_manifest(ctx.paper_dir));
        fs::remove_all(paper::PaperCohort::stores_dir(ctx.paper_dir));
        const std::vector<fs::path> files = nwb_files(ctx, section);
        if (!files.empty()) return real_cohort(ctx, files);
        Json sim = section;
        sim.erase("nwb_files");
        return simulated_cohort(ctx, sim);
    });
}
