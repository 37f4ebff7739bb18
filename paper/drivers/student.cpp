// Experiment "student": distils the teacher's latents of one cohort session into the
// bio-constrained LIF student (jepasnn/distill) and evaluates it on held-out time blocks.
// Reads <paper dir>/teacher/teacher.json and latents_<session>.npy (the teacher experiment's
// outputs) and the cohort's NWB file of that session (simulated or real); writes for
// paper/plots/student.py:
//   history.json        training curve (per step) and monitored held-out CCA
//   evaluation.json     held-out canonical correlations (readout, filtered E), null draws
//   neurons.csv         per neuron: population, rate, ISI CV, Fano factor, mean E/I currents
//   raster.csv          spikes (time_ms, neuron) of a held-out stretch
//   ablations.json      the same metrics for each ablation (Dale, homeostasis, surrogates,
//                       recurrence)
//   student.ckpt        the trained student
// Section "student" of the profile: "session" (name; default: the teacher's first held-out
// session, else the first), "qc" (none|default), "distill" (distill::DistillConfig keys),
// "ablations" (names), "ablation" (DistillConfig keys overriding "distill" for the ablation
// runs, e.g. fewer steps), "raster_bins" (length of the raster stretch).
// The counts are read a window at a time from the session's binned store: the one the teacher
// experiment wrote beside the cohort when it holds the student's QC, else one binned afresh into
// <out>/stores.
#include <jepasnn/distill/distill.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "csv.hpp"
#include "driver_common.hpp"
#include "paper_cohort.hpp"
#include "teacher_latents.hpp"

namespace {

using namespace jepasnn;
namespace fs = std::filesystem;

/// The session to distil: the section's "session", else the teacher's first held-out session,
/// else its first.
const paper::TeacherLatents::Session& chosen_session(const paper::TeacherLatents& t,
                                                     const Json& section) {
    const std::string where = paper::TeacherLatents::file_in(t.dir).string();
    std::string wanted = json_get_or<std::string>(section, "session", "", "paper config: student");
    if (wanted.empty()) {
        wanted = t.sessions.front().name;
        for (const auto& s : t.sessions)
            if (s.heldout) {
                wanted = s.name;
                break;
            }
    }
    const paper::TeacherLatents::Session* s = t.find(wanted);
    require(s != nullptr, where, "has no session '", wanted, "'");
    return *s;
}

void write_neurons(const fs::path& file, const distill::SessionRun& run, Index excitatory) {
    const Vector<double> me = run.currents.mean_excitatory(), mi = run.currents.mean_inhibitory();
    const Vector<double> corr = run.currents.correlation();
    paper::CsvTable csv({"neuron", "population", "rate_hz", "isi_cv", "fano_factor",
                         "mean_exc_current", "mean_inh_current", "ei_current_correlation"});
    for (Index i = 0; i < run.rates_hz.size(); ++i)
        csv.row(i, i < excitatory ? "E" : "I", run.rates_hz(i), run.isi_cv(i), run.fano_factor(i),
                me(i), mi(i), corr(i));
    csv.write(file);
}

/// Spikes of the trained student over `bins` bins from the start of the first held-out run.
template <class Net>
void write_raster(const fs::path& file, Net& net, const distill::DistillData& data, Index bins) {
    const data::RowRange run = data.split.validation.front();
    const Index len = std::min(bins, run.size());
    Tensor<float, 3> input(
        std::array<std::size_t, 3>{1, std::size_t(len), std::size_t(data.inputs())});
    Eigen::Map<RowMatrix<float>>(input.data(), len, data.inputs()) =
        data.input(run.begin, len).cast<float>();
    net.forward(input, lif::InputKind::binned_counts);
    paper::CsvTable csv({"time_ms", "neuron"});
    const double dt_ms = net.config().dt_ms, t0_ms = double(run.begin) * data.bin_s * 1e3;
    for (Index t = 0; t < net.steps(); ++t)
        net.spikes().for_each_active(0, t,
                                     [&](Index i, auto) { csv.row(t0_ms + double(t) * dt_ms, i); });
    csv.write(file);
}

/// The store directory for the session `nwb` binned with `qc`: the teacher's when its store of
/// that session holds `qc`, else <out>/stores, emptied first (the cohort may have changed).
fs::path stores_for(const paper::DriverContext& ctx, const fs::path& nwb, const std::string& qc) {
    const fs::path shared = paper::PaperCohort::stores_dir(ctx.paper_dir);
    const fs::path store = teacher::session_store_path(shared, nwb);
    if (fs::exists(store) && data::BinnedStore(store).header().qc == qc) return shared;
    fs::remove_all(ctx.out / "stores");
    return ctx.out / "stores";
}

Json score_json(const distill::HeldoutScore& s) {
    return {{"cca_heldout", s.cca_heldout},
            {"correlations_heldout", to_json(s.correlations)},
            {"correlations_train", to_json(s.train_correlations)},
            {"null_mean", s.null_mean},
            {"null_p95", s.null_p95},
            {"p_value", s.p_value},
            {"null_samples", s.null_samples}};
}

}  // namespace

int main(int argc, char** argv) {
    return paper::run_driver(argc, argv, "student", [](const paper::DriverContext& ctx) {
        const Json section = ctx.section("student");
        const std::string where = "paper config: student";
        const std::optional<paper::TeacherLatents> teacher =
            paper::TeacherLatents::read_if_present(ctx.paper_dir / "teacher");
        require(teacher.has_value(),
                paper::TeacherLatents::file_in(ctx.paper_dir / "teacher").string(),
                "is missing: the student experiment needs the teacher experiment's latents");
        const paper::TeacherLatents::Session& latents = chosen_session(*teacher, section);
        const paper::PaperCohort cohort = paper::PaperCohort::read(ctx.paper_dir);
        fs::path nwb;
        for (const paper::CohortEntry& s : cohort.sessions)
            if (s.name == latents.name) nwb = s.nwb;
        require(!nwb.empty(), where, "the cohort has no session '", latents.name, "'");

        distill::DistillConfig config = read_settings<distill::DistillConfig>(
            json_get_or(section, "distill", Json::object(), where), where + ".distill");
        config.seed = ctx.seed;
        const std::string qc = json_get_or<std::string>(section, "qc", "none", where);
        const distill::DistillData data =
            distill::load_session(nwb, teacher->dir / latents.file, qc, config,
                                  teacher->bin_width_s, stores_for(ctx, nwb, qc));

        // A previous run's checkpoint is never resumed: the config or the teacher may differ.
        const fs::path checkpoint = ctx.out / "student.ckpt";
        fs::remove(checkpoint);
        distill::Distiller<> student(data, config, checkpoint);
        student.train(progress_style());
        const distill::StudentEvaluation e =
            distill::evaluate_student(student.network(), data, config);

        write_json(ctx.out / "history.json", student.history_json());
        write_json(
            ctx.out / "evaluation.json",
            {{"session", latents.name},
             {"readout", score_json(e.readout)},
             {"filtered_exc", score_json(e.filtered)},
             {"band",
              {{"exc", {config.band().excitatory.low_hz, config.band().excitatory.high_hz}},
               {"inh", {config.band().inhibitory.low_hz, config.band().inhibitory.high_hz}}}}});
        write_neurons(ctx.out / "neurons.csv", e.run, student.network().config().excitatory);
        write_raster(ctx.out / "raster.csv", student.network(), data,
                     json_get_or<Index>(section, "raster_bins", 200, where));

        // Ablations: the same data and seed, settings from "distill" overridden by "ablation".
        Json ablation_settings = settings_json(config);
        ablation_settings.update(json_get_or(section, "ablation", Json::object(), where));
        const distill::DistillConfig ablation_config =
            read_settings<distill::DistillConfig>(ablation_settings, where + ".ablation");
        Json ablations = Json::array();
        for (const std::string& name :
             json_get_or(section, "ablations", distill::ablation_names(), where))
            ablations.push_back(
                distill::to_json(distill::run_ablation(name, data, ablation_config)));
        write_json(ctx.out / "ablations.json", ablations);

        Json metrics = distill::to_json(e);
        metrics.erase("canonical_correlations_train");
        metrics["session"] = latents.name;
        metrics["targets"] = "teacher latents";
        metrics["target_dims"] = data.latent_dim();
        metrics["bin_s"] = data.bin_s;
        metrics["target_variance_kept"] = data.target_variance_kept;
        metrics["units"] = data.inputs();
        metrics["neurons"] = student.network().neurons();
        metrics["steps"] = student.steps_done();
        metrics["cca_heldout_minus_null_95"] = e.readout.cca_heldout - e.readout.null_p95;
        metrics["no_silent_or_saturated"] = !(e.metrics.silent_exc || e.metrics.silent_inh ||
                                              e.metrics.saturated_exc || e.metrics.saturated_inh);
        Json by_name = Json::object();
        for (const Json& a : ablations)
            by_name[a["name"].get<std::string>()] = {
                {"cca_heldout", a["cca_heldout"]},
                {"frac_neurons_in_band", a["frac_neurons_in_band"]},
                {"dale_violations", a["dale_violations"]}};
        metrics["ablation"] = by_name;
        return metrics;
    });
}
