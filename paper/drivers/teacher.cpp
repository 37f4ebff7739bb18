// Experiment "teacher": the Phase 1 LeJEPA teacher on the paper's cohort (simulated, or real NWB
// files; see paper_cohort.hpp). Trains on the cohort's sessions except the held-out ones, fits the
// held-out read-ins with the encoder frozen, and writes for every session latents_<name>.npy
// (float64, 10 ms bins from t = 0, the ground truth's grid for simulated sessions, columns =
// latent dims) plus teacher.json describing them (read by the student and cross_state
// experiments); the training curves, latent PCs with image/state labels, ground-truth recovery
// against PCA and LDS baselines (simulated cohorts only), and the regulariser ablation (SIGReg /
// VICReg / EMA / none, shorter runs) for paper/plots/teacher.py, and seed replicates of the
// teacher (replicates.csv; the minimum R² and effective rank over them go to the report).
//
// Config section "teacher": "config" is a teacher config (teacher::TeacherConfig JSON without
// "data.cohort"/"data.nwb", which come from the cohort experiment, and "data.stores": the
// sessions are binned once into stores beside the cohort and trained from there; seeds are
// derived from the paper seed), "ablation" = {"steps": N, "regularizers": [...]}, "replicates" = N
// (extra seeds). On real files the held-out sessions are those of the config whose names are files
// of the cohort, else the last file (none when the cohort has one file).
#include <jepasnn/core/npy.hpp>
#include <jepasnn/eval/pca.hpp>
#include <jepasnn/teacher/pipeline.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "csv.hpp"
#include "driver_common.hpp"
#include "paper_cohort.hpp"
#include "teacher_latents.hpp"

namespace {

using namespace jepasnn;

/// On real files: the configured held-out names that are sessions of the cohort, else the last.
std::vector<std::string> real_heldout(const paper::PaperCohort& cohort, const Json& data) {
    std::vector<std::string> names, heldout;
    for (const paper::CohortEntry& e : cohort.sessions)
        names.push_back(e.name);
    for (const auto& h : json_get_or<std::vector<std::string>>(data, "heldout", {}, "teacher"))
        if (std::find(names.begin(), names.end(), h) != names.end()) heldout.push_back(h);
    if (heldout.empty() && names.size() > 1) heldout.push_back(names.back());
    return heldout;
}

/// `config` with every seed derived from `base`: model base + 1, training base + 2, read-in
/// base + 3.
teacher::TeacherConfig with_seeds(teacher::TeacherConfig config, std::uint64_t base) {
    config.model.init_seed = base + 1;
    config.train.seed = base + 2;
    config.readin.seed = base + 3;
    return config;
}

/// The profile's teacher config with the cohort and seeds (from the paper seed) filled in.
teacher::TeacherConfig teacher_config(const paper::DriverContext& ctx,
                                      const paper::PaperCohort& cohort) {
    const Json section = ctx.section("teacher");
    Json doc = section.contains("config") ? section["config"] : Json::object();
    if (!doc.contains("data")) doc["data"] = Json::object();
    Json& data = doc["data"];
    if (cohort.simulated) {
        data["cohort"] = paper::PaperCohort::simulated_dir(ctx.paper_dir).string();
    } else {
        data["heldout"] = real_heldout(cohort, data);
        data["nwb"] = Json::array();
        for (const paper::CohortEntry& e : cohort.sessions)
            data["nwb"].push_back(e.nwb.string());
    }
    data["stores"] = paper::PaperCohort::stores_dir(ctx.paper_dir).string();
    doc["train"]["progress"] = progress_style() != ProgressStyle::quiet;
    return with_seeds(read_settings<teacher::TeacherConfig>(doc, "paper config: teacher"),
                      ctx.seed);
}

void write_curves(const std::filesystem::path& out, const jepa::TrainHistory& h) {
    paper::CsvTable steps(
        {"step", "loss", "prediction", "regularizer", "learning_rate", "grad_norm"});
    for (const auto& r : h.steps)
        steps.row(r.step, r.loss, r.prediction, r.regularizer, r.learning_rate, r.grad_norm);
    steps.write(out / "training_curve.csv");
    paper::CsvTable validation({"step", "loss", "prediction", "regularizer"});
    for (const auto& r : h.validation)
        validation.row(r.step, r.loss, r.prediction, r.regularizer);
    validation.write(out / "validation_curve.csv");
}

/// One row per session and method (teacher and the baselines): held-out R² overall and per state.
void write_recovery(const std::filesystem::path& file, const Json& sessions) {
    paper::CsvTable csv({"session", "heldout", "method", "r2", "r2_active", "r2_passive"});
    for (const Json& s : sessions)
        for (const char* method : {"teacher", "smoothed", "pca", "lds"})
            if (s.contains(method))
                csv.row(s["name"], s["heldout"], method, s[method]["r2"], s[method]["r2_active"],
                        s[method]["r2_passive"]);
    csv.write(file);
}

/// The teacher's lowest held-out R² margin over the smoothed-count baseline, overall and in each
/// state (null without ground truth or baselines).
Json smoothed_margin(const Json& m) {
    double margin = std::numeric_limits<double>::infinity();
    for (const char* part : {"", "_active", "_passive"}) {
        const Json& t = m[std::string("gt_recovery_r2") + part];
        const Json& b = m[std::string("smoothed_r2") + part];
        if (t.is_null() || b.is_null()) return nullptr;
        margin = std::min(margin, t.get<double>() - b.get<double>());
    }
    return margin;
}

/// The first three principal components of a session's latents (fitted on all its bins) and the
/// labels of each bin from the NWB file's stimulus table: image shown (−1 none), brain state
/// (1 active, 0 passive, −1 other), change flash.
void write_trajectories(const std::filesystem::path& out, const teacher::BinnedSession& s,
                        const RowMatrix<double>& z) {
    const eval::Pca pca = eval::Pca::fit(z, std::min<Index>(3, z.cols()));
    save_npy(out / "trajectory_pcs.npy", RowMatrix<double>(pca.transform(z)));
    const data::BinCovariates bins = data::bin_covariates(data::load_session(s.nwb), s.grid);
    RowMatrix<std::int32_t> labels(z.rows(), 3);  // (bins, [image, state, change])
    for (Index t = 0; t < z.rows(); ++t) {
        const auto k = static_cast<std::size_t>(t);
        labels(t, 0) = bins.image[k];
        labels(t, 1) = s.state[k];
        labels(t, 2) = bins.is_change[k];
    }
    save_npy(out / "trajectory_labels.npy", labels);
}

/// `section.replicates` more runs of `config`, the k-th with seeds from paper seed + 1000·k
/// (with_seeds) and no baselines; one row each, written to replicates.csv too.
Json seed_replicates(const paper::DriverContext& ctx, const teacher::TeacherConfig& config,
                     const std::vector<teacher::BinnedSession>& sessions) {
    const auto count = json_get_or<std::uint64_t>(ctx.section("teacher"), "replicates", 0,
                                                  "paper config: teacher");
    paper::CsvTable csv(
        {"init_seed", "train_seed", "readin_seed", "r2", "effective_rank", "sigreg_heldout"});
    Json rows = Json::array();
    for (std::uint64_t k = 1; k <= count; ++k) {
        teacher::TeacherConfig c = with_seeds(config, ctx.seed + 1000 * k);
        c.evaluation.baselines = false;
        const Json m = teacher::train_teacher(c, sessions, {}, teacher::discard_latents).metrics;
        rows.push_back({{"init_seed", c.model.init_seed},
                        {"train_seed", c.train.seed},
                        {"readin_seed", c.readin.seed},
                        {"gt_recovery_r2", m["gt_recovery_r2"]},
                        {"effective_rank", m["effective_rank"]},
                        {"sigreg_heldout", m["sigreg_heldout"]}});
        csv.row(c.model.init_seed, c.train.seed, c.readin.seed, m["gt_recovery_r2"],
                m["effective_rank"], m["sigreg_heldout"]);
    }
    csv.write(ctx.out / "replicates.csv");
    return rows;
}

/// The smallest non-null `key` over `rows` (null when there is none).
Json min_over(const Json& rows, const char* key) {
    Json best = nullptr;
    for (const Json& r : rows)
        if (!r[key].is_null() && (best.is_null() || r[key].get<double>() < best.get<double>()))
            best = r[key];
    return best;
}

/// A LatentSink that writes latents_<session>.npy as each session's latents are made, the
/// trajectory PCs of the first held-out session (else the last), and, on finish(), teacher.json
/// describing them.
class LatentWriter {
  public:
    LatentWriter(const std::filesystem::path& out, const teacher::TeacherConfig& config,
                 const std::vector<teacher::BinnedSession>& sessions)
        : config_(config), sessions_(sessions) {
        described_.dir = out;
        described_.bin_width_s = config.data.bin_ms / 1000.0;
    }

    void operator()(std::size_t s, const teacher::SessionLatents& lat) {
        const std::string file = paper::TeacherLatents::default_file(lat.name);
        save_npy(described_.dir / file, lat.z);
        described_.sessions.push_back({lat.name,
                                       file,
                                       lat.heldout,
                                       {{"nwb", sessions_[s].nwb.filename().string()},
                                        {"bins", lat.z.rows()},
                                        {"dims", lat.z.cols()},
                                        {"units", sessions_[s].units()}}});
        if (trajectory_session_.empty() && (lat.heldout || s + 1 == sessions_.size())) {
            write_trajectories(described_.dir, sessions_[s], lat.z);
            trajectory_session_ = lat.name;
        }
    }

    void finish() {
        described_.details = {{"t_start_s", 0.0},
                              {"grid",
                               "row k covers [k*dt, (k+1)*dt) of the session's clock (the ground "
                               "truth's grid for simulated sessions)"},
                              {"latent_dim", config_.model.latent},
                              {"heldout", config_.data.heldout},
                              {"trajectory_session", trajectory_session_},
                              {"checkpoint", "teacher.ckpt"}};
        described_.write();
    }

  private:
    const teacher::TeacherConfig& config_;
    const std::vector<teacher::BinnedSession>& sessions_;
    paper::TeacherLatents described_;
    std::string trajectory_session_;
};

/// Regulariser ablation: same data, architecture and seeds, shorter runs, no baselines; one
/// entry per regulariser into metrics["ablation"], and ablation.csv.
void regularizer_ablation(const paper::DriverContext& ctx, const teacher::TeacherConfig& config,
                          const std::vector<teacher::BinnedSession>& sessions, Json& metrics) {
    const Json section = ctx.section("teacher");
    const Json ab = section.contains("ablation") ? section["ablation"] : Json::object();
    const auto steps = json_get_or<std::uint64_t>(ab, "steps", config.train.steps / 2,
                                                  "paper config: teacher.ablation");
    const auto kinds = json_get_or<std::vector<std::string>>(
        ab, "regularizers", {"sigreg", "vicreg", "ema", "none"}, "paper config: teacher.ablation");
    paper::CsvTable csv({"regularizer", "steps", "r2", "r2_active", "r2_passive", "effective_rank",
                         "sigreg_heldout"});
    Json ablation = Json::object();
    for (const std::string& kind : kinds) {
        teacher::TeacherConfig c = config;
        c.regularizer = kind;
        c.regularizer_config =
            kind == config.regularizer ? config.regularizer_config : Json::object();
        c.train.steps = steps;
        c.train.warmup_steps = std::min(c.train.warmup_steps, steps);
        c.evaluation.baselines = false;
        const Json m = teacher::train_teacher(c, sessions, {}, teacher::discard_latents).metrics;
        ablation[kind] = {{"gt_recovery_r2", m["gt_recovery_r2"]},
                          {"gt_recovery_r2_active", m["gt_recovery_r2_active"]},
                          {"gt_recovery_r2_passive", m["gt_recovery_r2_passive"]},
                          {"effective_rank", m["effective_rank"]},
                          {"sigreg_heldout", m["sigreg_heldout"]},
                          {"final_prediction_loss", m["training"]["final_prediction_loss"]}};
        csv.row(kind, steps, m["gt_recovery_r2"], m["gt_recovery_r2_active"],
                m["gt_recovery_r2_passive"], m["effective_rank"], m["sigreg_heldout"]);
    }
    csv.write(ctx.out / "ablation.csv");
    metrics["ablation"] = std::move(ablation);
    metrics["ablation_steps"] = steps;
}

}  // namespace

int main(int argc, char** argv) {
    return paper::run_driver(argc, argv, "teacher", [](const paper::DriverContext& ctx) {
        const paper::PaperCohort cohort = paper::PaperCohort::read(ctx.paper_dir);
        const teacher::TeacherConfig config = teacher_config(ctx, cohort);
        const std::vector<teacher::BinnedSession> sessions =
            teacher::load_teacher_sessions(config.data);

        // The teacher itself.
        LatentWriter latents(ctx.out, config, sessions);
        const teacher::TeacherResult r =
            teacher::train_teacher(config, sessions, {}, std::ref(latents));
        teacher::write_teacher_checkpoint(ctx.out / "teacher.ckpt", r);
        latents.finish();
        write_curves(ctx.out, r.history);
        write_recovery(ctx.out / "recovery.csv", r.metrics["sessions"]);

        Json metrics = r.metrics;
        metrics["steps"] = config.train.steps;
        metrics["heldout_sessions"] = config.data.heldout;
        metrics["smoothing_ms"] = config.evaluation.smoothing_ms;
        metrics["smoothed_margin"] = smoothed_margin(metrics);
        regularizer_ablation(ctx, config, sessions, metrics);

        // Seed replicates: the paper run again with other seeds (everything else equal), so that
        // recovery and the absence of collapse are shown for more than one seed.
        metrics["replicates"] = seed_replicates(ctx, config, sessions);
        metrics["replicates_min_effective_rank"] =
            min_over(metrics["replicates"], "effective_rank");
        metrics["replicates_min_gt_recovery_r2"] =
            min_over(metrics["replicates"], "gt_recovery_r2");
        return metrics;
    });
}
