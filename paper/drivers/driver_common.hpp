// Shared command line and bookkeeping of the paper drivers. A driver is invoked by
// paper/run_paper.py as
//   <driver> --config paper/config.json --profile full|quick --out <dir> [--paper-dir <dir>]
//            [--nwb FILE]...
// (--nwb, repeatable, names real NWB session files for the cohort step; see cohort.cpp) reads its
// section of the pinned configuration, writes what the plot scripts need into <dir>, and returns
// its metrics, which are written atomically to <dir>/metrics.json.
#pragma once

#include <jepasnn/core/core.hpp>

#include <jepasnn_build_info.hpp>

#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace jepasnn::paper {

struct DriverContext {
    Json config;   // the whole pinned config
    Json profile;  // config["profiles"][profile]
    std::string profile_name;
    std::uint64_t seed = 0;
    std::filesystem::path out;          // this experiment's output directory
    std::filesystem::path paper_dir;    // the run's root (other experiments' outputs live beside)
    std::filesystem::path config_path;  // relative paths in the config resolve here
    std::vector<std::filesystem::path> nwb_files;  // --nwb FILE..., in command-line order

    /// profile[section] (an object, or empty when the profile has no such section).
    Json section(const std::string& name) const {
        return profile.contains(name) ? profile[name] : Json::object();
    }
};

inline int run_driver(int argc, char** argv, const std::string& name,
                      const std::function<Json(const DriverContext&)>& body) {
    try {
        DriverContext ctx;
        std::filesystem::path& config_path = ctx.config_path;
        if (argc % 2 == 0) fail(name, "flag ", argv[argc - 1], " has no value");
        for (int i = 1; i + 1 < argc; i += 2) {
            const std::string flag = argv[i], value = argv[i + 1];
            if (flag == "--config")
                config_path = value;
            else if (flag == "--profile")
                ctx.profile_name = value;
            else if (flag == "--out")
                ctx.out = value;
            else if (flag == "--paper-dir")
                ctx.paper_dir = value;
            else if (flag == "--nwb")
                ctx.nwb_files.emplace_back(value);
            else
                fail(name, "unknown flag ", flag);
        }
        if (config_path.empty() || ctx.profile_name.empty() || ctx.out.empty())
            fail(name, "usage: ", name,
                 " --config FILE --profile NAME --out DIR [--paper-dir DIR] [--nwb FILE]...");
        if (ctx.paper_dir.empty()) ctx.paper_dir = ctx.out.parent_path();
        ctx.config = read_json(config_path);
        const Json profiles = json_get<Json>(ctx.config, "profiles", config_path.string());
        if (!profiles.contains(ctx.profile_name))
            fail(config_path.string(), "no profile '", ctx.profile_name, "'");
        ctx.profile = profiles[ctx.profile_name];
        ctx.seed = json_get<std::uint64_t>(ctx.config, "seed", config_path.string());
        set_thread_count(
            json_get_or<int>(ctx.config, "threads", thread_count(), config_path.string()));
        std::filesystem::create_directories(ctx.out);
        const Json metrics = body(ctx);
        write_json(ctx.out / "metrics.json", metrics);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << name << ": error: " << e.what() << std::endl;
        return 1;
    }
}

}  // namespace jepasnn::paper
