// Shared command line and bookkeeping of the paper drivers. A driver is invoked by
// paper/run_paper.py as
//   <driver> --config paper/config.json --profile full|quick --out <dir> [--paper-dir <dir>]
//            [--variant NAME] [--nwb FILE]...
// (--nwb, repeatable, names real NWB session files for the cohort step; see cohort.cpp) reads its
// section of the pinned configuration, writes what the plot scripts need into <dir>, and returns
// its metrics, which are written atomically to <dir>/metrics.json. --variant NAME runs the
// profile with profile["variants"][NAME] merged over it (RFC 7386 merge patch), e.g. the
// realistic state regime's cohort; run_paper.py gives each variant its own paper dir.
#pragma once

#include <jepasnn/core/core.hpp>

#include <jepasnn_build_info.hpp>

#include <CLI/CLI.hpp>

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
    std::string variant;  // empty: the profile itself
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
    DriverContext ctx;
    CLI::App app{"Paper experiment '" + name + "' (run by paper/run_paper.py).", "paper_" + name};
    app.add_option("--config", ctx.config_path, "the pinned paper configuration (JSON)")
        ->required();
    app.add_option("--profile", ctx.profile_name, "profile of the configuration (full, quick)")
        ->required();
    app.add_option("--out", ctx.out, "this experiment's output folder")->required();
    app.add_option("--paper-dir", ctx.paper_dir,
                   "the run's root folder, where the other experiments write (default: the "
                   "parent of --out)");
    app.add_option("--nwb", ctx.nwb_files, "real NWB session file (repeatable)");
    app.add_option("--variant", ctx.variant,
                   "run the profile with its variants.<NAME> sections merged over it");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << name << ": error: " << e.what() << std::endl;
        return 1;
    }
    try {
        if (ctx.paper_dir.empty()) ctx.paper_dir = ctx.out.parent_path();
        const std::string where = ctx.config_path.string();
        ctx.config = read_json(ctx.config_path);
        const Json profiles = json_get<Json>(ctx.config, "profiles", where);
        if (!profiles.contains(ctx.profile_name))
            fail(where, "no profile '", ctx.profile_name, "'");
        ctx.profile = profiles[ctx.profile_name];
        if (!ctx.variant.empty()) {
            const Json variants = json_get_or<Json>(ctx.profile, "variants", Json::object(), where);
            if (!variants.contains(ctx.variant))
                fail(where, "profile '", ctx.profile_name, "' has no variant '", ctx.variant, "'");
            Json patch = variants[ctx.variant];
            patch.erase(std::string(settings_comment_key));
            ctx.profile.merge_patch(patch);
        }
        ctx.profile.erase("variants");
        ctx.seed = json_get<std::uint64_t>(ctx.config, "seed", where);
        set_thread_count(json_get_or<int>(ctx.config, "threads", thread_count(), where));
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
