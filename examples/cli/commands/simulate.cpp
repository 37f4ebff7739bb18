// jepasnn simulate --seed N --out DIR [--sessions K --units U --minutes M] [--profile P]
//                  [--state-regime easy|realistic]
// A cohort of VBN-like sessions (NWB) with ground truth (layout: jepasnn/data/simulator/
// ground_truth.hpp). DIR must not exist or be empty; the cohort appears there only when complete.
#include <jepasnn/core/progress.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/core/timer.hpp>
#include <jepasnn/data/simulator/simulate.hpp>

#include <jepasnn_build_info.hpp>

#include <cstdio>
#include <optional>

#include "command.hpp"

namespace {

struct SimulateOptions {
    std::uint64_t seed = 0;
    std::string out;
    std::string profile = "default";
    std::optional<std::size_t> sessions, units;
    std::optional<double> minutes;
    std::string state_regime = "easy";
    bool no_amplitudes = false;
    bool quiet = false;
    int threads = 0;
};

void run_simulate(const SimulateOptions& o) {
    namespace data = jepasnn::data;
    if (o.threads > 0) jepasnn::set_thread_count(o.threads);
    data::SimulatorConfig c = o.profile == "quick"       ? data::SimulatorConfig::quick()
                              : o.profile == "vbn-scale" ? data::SimulatorConfig::vbn_scale()
                                                         : data::SimulatorConfig{};
    if (o.sessions) c.sessions = *o.sessions;
    if (o.units) c.units = *o.units;
    if (o.minutes) c.minutes = *o.minutes;
    c.state_regime =
        jepasnn::enum_from_name<data::StateRegime>(o.state_regime, "simulate: --state-regime");
    if (o.no_amplitudes) c.write_amplitudes = false;
    data::CohortOptions options;
    options.progress = jepasnn::progress_style(o.quiet);
    options.git_revision = JEPASNN_GIT_REVISION;
    const jepasnn::Stopwatch watch;
    const jepasnn::Json manifest = data::simulate_cohort(c, o.seed, o.out, options);
    std::uint64_t spikes = 0, units = 0;
    for (const auto& s : manifest["sessions"]) {
        spikes += s["spikes"].get<std::uint64_t>();
        units += s["units"].get<std::uint64_t>();
    }
    if (!o.quiet)
        std::printf("simulated %zu sessions (%llu units, %llu spikes) into %s in %.1f s\n",
                    c.sessions, static_cast<unsigned long long>(units),
                    static_cast<unsigned long long>(spikes), o.out.c_str(), watch.seconds());
}

void setup_simulate(CLI::App& app) {
    auto o = std::make_shared<SimulateOptions>();
    app.add_option("--seed", o->seed, "seed of the cohort")->required();
    app.add_option("--out", o->out, "output directory (must not exist, or be empty)")->required();
    app.add_option("--profile", o->profile,
                   "base sizes: default (4 x ~400 units x 24 min), quick (2 x ~120 x 4 min), "
                   "vbn-scale (1 x ~2000 x 150 min)")
        ->check(CLI::IsMember({"default", "quick", "vbn-scale"}));
    app.add_option("--sessions", o->sessions, "sessions in the cohort");
    app.add_option("--units", o->units, "mean units per session");
    app.add_option("--minutes", o->minutes, "recording length per session");
    app.add_option("--state-regime", o->state_regime,
                   "how brain state changes the neural code: easy (per-unit gain and baseline "
                   "per block) or realistic (drifting engagement, per-input gains, task mode)")
        ->check(CLI::IsMember({"easy", "realistic"}));
    app.add_flag("--no-amplitudes", o->no_amplitudes,
                 "do not write spike_amplitudes (halves files)");
    app.add_flag("--quiet", o->quiet, "no progress or summary");
    app.add_option("--threads", o->threads, "threads (default: all)")->check(CLI::PositiveNumber);
    app.callback([o] { run_simulate(*o); });
}

const jepasnn::cli::CommandRegistration simulate_registration{
    "simulate", "Simulate a cohort of VBN-like sessions (NWB) with ground-truth latents",
    setup_simulate};

}  // namespace
