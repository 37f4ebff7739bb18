// jepasnn embed CHECKPOINT FILE.nwb --out LATENTS.npy [--threads N]
// Latents (float64, bins × D, 10 ms bins from t = 0 by the checkpoint's binning and QC) of one
// session. A session the checkpoint was trained on (same NWB identifier and units) uses its own
// read-in; any other gets a read-in fitted with the encoder frozen. Which one is said on stderr.
#include <jepasnn/core/npy.hpp>
#include <jepasnn/core/threads.hpp>
#include <jepasnn/teacher/pipeline.hpp>

#include <cstdio>

#include "command.hpp"

namespace {

struct EmbedOptions {
    std::string checkpoint;
    std::string file;
    std::string out;
    int threads = 0;
};

void run_embed(const EmbedOptions& o) {
    if (o.threads > 0) jepasnn::set_thread_count(o.threads);
    const jepasnn::teacher::EmbedResult e = jepasnn::teacher::embed_session(o.checkpoint, o.file);
    jepasnn::save_npy(o.out, e.latents);
    std::fprintf(stderr,
                 e.fitted_readin
                     ? "embed: %s is not in the checkpoint: fitted its read-in (%lld units) with "
                       "the encoder frozen\n"
                     : "embed: %s is in the checkpoint: used its trained read-in (%lld units)\n",
                 e.session.c_str(), static_cast<long long>(e.units));
    std::printf("wrote %s: %lld bins x %lld latents (%g ms bins from 0 s)\n", o.out.c_str(),
                static_cast<long long>(e.latents.rows()), static_cast<long long>(e.latents.cols()),
                1000.0 * e.grid.bin_width);
}

void setup_embed(CLI::App& app) {
    auto o = std::make_shared<EmbedOptions>();
    app.add_option("CHECKPOINT", o->checkpoint, "teacher checkpoint (train-teacher's teacher.ckpt)")
        ->required();
    app.add_option("FILE.nwb", o->file, "NWB session file")->required();
    app.add_option("--out", o->out, "latents .npy (float64, bins x D)")->required();
    app.add_option("--threads", o->threads, "threads (default: all)")->check(CLI::PositiveNumber);
    app.callback([o] { run_embed(*o); });
}

const jepasnn::cli::CommandRegistration embed_registration{
    "embed", "Latents of an NWB session from a teacher checkpoint (fits a read-in if unseen)",
    setup_embed};

}  // namespace
