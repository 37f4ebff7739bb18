// jepasnn distill --config FILE [--out DIR] [--resume] [--threads N] [--quiet]
// Distils a teacher's latents into the bio-constrained LIF student (jepasnn/distill). The config
// (JSON) names the session, either "nwb": FILE or "cohort": DIR + "session": NAME (a simulated
// cohort), the teacher "latents" (float64 .npy, rows = 10 ms bins from t = 0), the unit filter
// "qc" (none|default), the output folder "out", the student/training settings "student" (keys of
// distill::DistillConfig), optional "ablations" (names) and optional "stores": a directory of
// binned stores (the teacher's data.stores), from which the counts are read a window at a time
// (the session's store is reused, or binned there first). Relative paths are relative to the
// config file. Writes <out>/student.ckpt (atomic checkpoints, resumable with --resume) and, at
// the end, <out>/metrics.json and <out>/history.json (atomically).
// Under mpirun (a CLI built with MPI), the ranks share every training step: each computes its
// shards of the batch (student.shards >= ranks), the result is bitwise the one-process run's, and
// rank 0 alone shows progress, evaluates and writes files. An error on one rank ends every rank.
#include <jepasnn/core/progress.hpp>
#include <jepasnn/core/run_info.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/data/simulator/ground_truth.hpp>
#include <jepasnn/distill/distill.hpp>
#include <jepasnn_build_info.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "command.hpp"
#include "shared_run.hpp"

namespace {

namespace fs = std::filesystem;
using jepasnn::Json;

struct DistillOptions {
    std::string config;
    std::string out;
    bool resume = false;
    bool quiet = false;
    int threads = 0;
};

fs::path relative_to(const fs::path& base, const std::string& p) {
    const fs::path path(p);
    return path.is_absolute() ? path : base / path;
}

/// What a distillation config asks for, paths resolved.
struct DistillRun {
    fs::path nwb, latents, out, stores;
    std::string qc;
    jepasnn::distill::DistillConfig config;
    std::vector<std::string> ablations;
};

DistillRun read_distill_run(const DistillOptions& o) {
    namespace distill = jepasnn::distill;
    const fs::path config_path(o.config);
    const std::string where = config_path.string();
    const Json doc = jepasnn::read_json(config_path);
    jepasnn::require(doc.is_object(), where, "expected a JSON object, found ", doc.type_name());
    const std::set<std::string> known = {"about", "nwb", "cohort",  "session",   "latents",
                                         "qc",    "out", "student", "ablations", "stores"};
    for (const auto& [key, value] : doc.items())
        jepasnn::require(known.count(key) == 1, where, "unknown key '", key, "'");
    const fs::path base = config_path.parent_path();
    DistillRun r;
    if (doc.contains("nwb")) {
        jepasnn::require(!doc.contains("cohort"), where, "give either 'nwb' or 'cohort', not both");
        r.nwb = relative_to(base, jepasnn::json_get<std::string>(doc, "nwb", where));
    } else {
        jepasnn::require(doc.contains("cohort"), where,
                         "missing 'nwb' (a session file) or 'cohort' + 'session'");
        const auto cohort = jepasnn::data::Cohort::read(
            relative_to(base, jepasnn::json_get<std::string>(doc, "cohort", where)));
        const auto name = jepasnn::json_get<std::string>(doc, "session", where);
        for (const auto& s : cohort.sessions)
            if (s.name == name) r.nwb = s.nwb;
        jepasnn::require(!r.nwb.empty(), where, "cohort has no session '", name, "'");
    }
    r.latents = relative_to(base, jepasnn::json_get<std::string>(doc, "latents", where));
    r.out = o.out.empty() ? relative_to(base, jepasnn::json_get<std::string>(doc, "out", where))
                          : fs::path(o.out);
    r.qc = jepasnn::json_get_or<std::string>(doc, "qc", "none", where);
    jepasnn::require(r.qc == "none" || r.qc == "default", where, "qc is '", r.qc,
                     "', expected none or default");
    r.config = jepasnn::read_settings<distill::DistillConfig>(
        jepasnn::json_get_or(doc, "student", Json::object(), where), where + ": student");
    r.ablations = jepasnn::json_get_or(doc, "ablations", std::vector<std::string>{}, where);
    for (const std::string& a : r.ablations) {
        bool ok = false;
        for (const std::string& n : distill::ablation_names())
            ok = ok || n == a;
        jepasnn::require(ok, where, "unknown ablation '", a, "'");
    }
    if (doc.contains("stores"))
        r.stores = relative_to(base, jepasnn::json_get<std::string>(doc, "stores", where));
    return r;
}

void run_distill(const DistillOptions& o, const jepasnn::cli::SharedExchange& exchange) {
    namespace distill = jepasnn::distill;
    const bool root = exchange->rank() == 0;
    if (o.threads > 0) jepasnn::set_thread_count(o.threads);
    // Every rank reads the config: a bad one is refused by all of them alike.
    DistillRun run;
    fs::path checkpoint;
    exchange->agree([&] {
        run = read_distill_run(o);
        checkpoint = run.out / "student.ckpt";
        jepasnn::require(o.resume || !fs::exists(checkpoint), checkpoint.string(),
                         "already exists: pass --resume to continue it, or choose another --out");
    });
    const distill::DistillConfig& config = run.config;
    // Rank 0 first: it bins the store the others then read.
    std::optional<distill::DistillData> data;
    const auto load = [&] {
        data.emplace(distill::load_session(run.nwb, run.latents, run.qc, config, 0.01, run.stores));
    };
    exchange->agree([&] {
        if (root) load();
    });
    exchange->agree([&] {
        if (!root) load();
    });
    if (root) fs::create_directories(run.out);
    std::optional<distill::Distiller<>> d;
    exchange->agree([&] {
        if (o.resume)
            d.emplace(distill::Distiller<>::resume(checkpoint, *data, config));
        else
            d.emplace(*data, config, checkpoint);
    });
    d->share_steps(exchange);
    d->train(jepasnn::progress_style(o.quiet));
    if (!root) return;  // rank 0 evaluates and writes
    const distill::StudentEvaluation e = distill::evaluate_student(d->network(), *data, config);

    Json metrics = to_json(e);
    metrics["session_nwb"] = run.nwb.string();
    metrics["latents"] = run.latents.string();
    metrics["units"] = data->inputs();
    metrics["bins"] = data->bins();
    metrics["latent_dim"] = data->latent_dim();
    metrics["steps"] = d->steps_done();
    metrics["policies"] = distill::Distiller<>::policy_names();
    metrics["config"] = jepasnn::settings_json(config);
    metrics["run"] = jepasnn::run_record(config.seed, JEPASNN_GIT_REVISION);
    if (!run.ablations.empty()) {
        Json list = Json::array();
        for (const std::string& a : run.ablations)
            list.push_back(distill::to_json(distill::run_ablation(a, *data, config)));
        metrics["ablations"] = std::move(list);
    }
    jepasnn::write_json(run.out / "history.json", d->history_json());
    jepasnn::write_json(run.out / "metrics.json", metrics);
    if (!o.quiet)
        std::printf(
            "held-out CCA %.4f (null 95th percentile %.4f), %.1f%% of neurons in band, "
            "E %.2f Hz, I %.2f Hz, %zu Dale violations -> %s\n",
            e.readout.cca_heldout, e.readout.null_p95, 100.0 * e.metrics.frac_neurons_in_band,
            e.metrics.mean_rate_hz_exc, e.metrics.mean_rate_hz_inh, e.metrics.dale_violations,
            (run.out / "metrics.json").string().c_str());
}

void setup_distill(CLI::App& app) {
    auto o = std::make_shared<DistillOptions>();
    app.add_option("--config", o->config, "distillation config (JSON)")->required();
    app.add_option("--out", o->out, "output folder (overrides the config's 'out')");
    app.add_flag("--resume", o->resume, "continue from <out>/student.ckpt");
    app.add_flag("--quiet", o->quiet, "no progress or summary");
    app.add_option("--threads", o->threads, "threads (default: all)")->check(CLI::PositiveNumber);
    app.callback([o] {
        jepasnn::cli::run_shared(
            [&](const jepasnn::cli::SharedExchange& exchange) { run_distill(*o, exchange); });
    });
}

const jepasnn::cli::CommandRegistration distill_registration{
    "distill", "Distil teacher latents into the bio-constrained LIF student", setup_distill};

}  // namespace
