// jepasnn train-teacher --config FILE [--out DIR] [--resume] [--latents] [--threads N] [--quiet]
// Trains the LeJEPA teacher described by a JSON config (data, model, regulariser, training,
// held-out read-ins, evaluation; seeds pinned in the file), checkpointing the training every
// train.checkpoint_every steps to DIR/train.ckpt (or the config's train.checkpoint), which
// --resume continues bitwise identically. Then writes DIR/teacher.ckpt (for `jepasnn embed`),
// DIR/metrics.json (ground-truth recovery vs PCA/LDS, collapse diagnostics, training summary)
// and, with --latents, DIR/latents_<session>.npy; none of these unless everything succeeded.
// DIR defaults to the config's "output".
// Under mpirun (a CLI built with MPI), the ranks share every training step: each computes its
// shards of the batch (train.shards >= ranks), the result is bitwise the one-process run's, and
// rank 0 alone shows progress and writes files. An error on one rank ends every rank.
#include <jepasnn/core/atomic_file.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/teacher/pipeline.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "command.hpp"
#include "shared_run.hpp"

namespace {

struct TrainTeacherOptions {
    std::string config;
    std::string out;
    bool latents = false;
    bool resume = false;
    bool quiet = false;
    int threads = 0;
};

void train_teacher_shared(const TrainTeacherOptions& o,
                          const jepasnn::cli::SharedExchange& exchange) {
    namespace teacher = jepasnn::teacher;
    namespace fs = std::filesystem;
    const bool root = exchange->rank() == 0;
    if (o.threads > 0) jepasnn::set_thread_count(o.threads);
    // Every rank reads the config: a bad one is refused by all of them alike.
    teacher::TeacherConfig config;
    fs::path out, checkpoint;
    exchange->agree([&] {
        config = teacher::read_teacher_config(o.config);
        out = o.out.empty() ? config.output : fs::path(o.out);
        if (config.train.checkpoint.empty())
            config.train.checkpoint = (out / "train.ckpt").string();
        checkpoint = config.train.checkpoint;
        jepasnn::require(o.resume || !fs::exists(checkpoint), checkpoint.string(),
                         "already exists: pass --resume to continue it, or choose another --out");
    });
    if (o.quiet || !root) config.train.progress = config.readin.progress = false;
    // Rank 0 first: it bins the stores the others then read.
    std::vector<teacher::BinnedSession> sessions;
    exchange->agree([&] {
        if (root) sessions = teacher::load_teacher_sessions(config.data);
    });
    exchange->agree([&] {
        if (!root) sessions = teacher::load_teacher_sessions(config.data);
    });
    const bool created = !fs::exists(out);
    if (!checkpoint.parent_path().empty()) fs::create_directories(checkpoint.parent_path());
    // All outputs or none: each file is written atomically (the latents as each session is
    // evaluated, so they are never all held), and a failure removes those already written (a
    // training checkpoint stays, for --resume; so does its folder).
    std::vector<fs::path> written;
    const auto write_latents = [&](std::size_t, const teacher::SessionLatents& s) {
        if (!o.latents || !root) return;
        fs::create_directories(out);
        written.push_back(out / ("latents_" + s.name + ".npy"));
        jepasnn::save_npy(written.back(), s.z);
    };
    teacher::TeacherResult r;
    try {
        r = teacher::train_teacher(config, sessions, o.resume ? checkpoint : fs::path(),
                                   write_latents, exchange);
        if (!root) return;
        fs::create_directories(out);
        written.push_back(out / "teacher.ckpt");
        teacher::write_teacher_checkpoint(written.back(), r);
        written.push_back(out / "metrics.json");
        jepasnn::write_json(written.back(), r.metrics);
    } catch (...) {
        std::error_code ignored;
        for (const auto& p : written)
            fs::remove(p, ignored);
        if (created) fs::remove(out, ignored);
        throw;
    }
    const auto& m = r.metrics;
    std::printf(
        "wrote %s: %zu sessions, %s on %s: gt_recovery_r2 %s (pca %s, lds %s), "
        "effective rank %s\n",
        out.string().c_str(), sessions.size(), config.regularizer.c_str(),
        m["evaluated_on"].get<std::string>().c_str(), m["gt_recovery_r2"].dump().c_str(),
        m["pca_r2"].dump().c_str(), m["lds_r2"].dump().c_str(), m["effective_rank"].dump().c_str());
}

void setup_train_teacher(CLI::App& app) {
    auto o = std::make_shared<TrainTeacherOptions>();
    app.add_option("--config", o->config,
                   "teacher config (JSON; see examples/configs/teacher.json)")
        ->required();
    app.add_option("--out", o->out, "output directory (default: the config's \"output\")");
    app.add_flag("--resume", o->resume,
                 "continue the training from its checkpoint (DIR/train.ckpt)");
    app.add_flag("--latents", o->latents, "also write latents_<session>.npy (float64, bins x D)");
    app.add_flag("--quiet", o->quiet, "no progress bars");
    app.add_option("--threads", o->threads, "threads (default: all)")->check(CLI::PositiveNumber);
    app.callback([o] {
        jepasnn::cli::run_shared([&](const jepasnn::cli::SharedExchange& exchange) {
            train_teacher_shared(*o, exchange);
        });
    });
}

const jepasnn::cli::CommandRegistration train_teacher_registration{
    "train-teacher", "Train the LeJEPA teacher from a JSON config; write a checkpoint and metrics",
    setup_train_teacher};

}  // namespace
