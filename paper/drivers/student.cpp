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
#include <jepasnn/distill/distill.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "driver_common.hpp"
#include "paper_cohort.hpp"

namespace {

using namespace jepasnn;
namespace fs = std::filesystem;

/// The teacher's description of its latents and the chosen session's entry in it.
struct TeacherLatents {
    fs::path file;
    std::string session;
    double bin_s = 0.01;
};

TeacherLatents find_latents(const fs::path& teacher_dir, const Json& section) {
    const fs::path described = teacher_dir / "teacher.json";
    const std::string where = described.string();
    require(fs::exists(described), where,
            "is missing: the student experiment needs the teacher experiment's latents");
    const Json t = read_json(described);
    TeacherLatents out;
    out.bin_s = json_get_or(t, "bin_width_s", 0.01, where);
    const Json sessions = json_get<Json>(t, "sessions", where);
    require(sessions.is_array() && !sessions.empty(), where, "lists no session");
    std::string wanted = json_get_or<std::string>(section, "session", "", "paper config: student");
    if (wanted.empty()) {
        wanted = json_get<std::string>(sessions[0], "name", where);
        for (const Json& s : sessions)
            if (json_get_or(s, "heldout", false, where)) {
                wanted = json_get<std::string>(s, "name", where);
                break;
            }
    }
    for (const Json& s : sessions)
        if (json_get<std::string>(s, "name", where) == wanted) {
            out.session = wanted;
            out.file = teacher_dir /
                       json_get_or<std::string>(s, "file", "latents_" + wanted + ".npy", where);
        }
    require(!out.session.empty(), where, "has no session '", wanted, "'");
    return out;
}

std::string num(double v) {
    std::ostringstream os;
    os.precision(9);
    os << v;
    return std::isfinite(v) ? os.str() : "";
}

void write_neurons(const fs::path& file, const distill::SessionRun& run, Index excitatory) {
    const Vector<double> me = run.currents.mean_excitatory(), mi = run.currents.mean_inhibitory();
    const Vector<double> corr = run.currents.correlation();
    std::ostringstream csv;
    csv << "neuron,population,rate_hz,isi_cv,fano_factor,mean_exc_current,mean_inh_current,"
           "ei_current_correlation\n";
    for (Index i = 0; i < run.rates_hz.size(); ++i)
        csv << i << ',' << (i < excitatory ? "E" : "I") << ',' << num(run.rates_hz(i)) << ','
            << num(run.isi_cv(i)) << ',' << num(run.fano_factor(i)) << ',' << num(me(i)) << ','
            << num(mi(i)) << ',' << num(corr(i)) << '\n';
    write_atomically(file, [&](std::ostream& out) { out << csv.str(); });
}

/// Spikes of the trained student over `bins` bins from the start of the first held-out run.
template <class Net>
void write_raster(const fs::path& file, Net& net, const distill::DistillData& data, Index bins) {
    const data::RowRange run = data.split.validation.front();
    const Index len = std::min(bins, run.size());
    Tensor<float, 3> input(
        std::array<std::size_t, 3>{1, std::size_t(len), std::size_t(data.inputs())});
    Eigen::Map<RowMatrix<float>>(input.data(), len, data.inputs()) =
        (data.counts.middleRows(run.begin, len) * data.input_gain.asDiagonal()).cast<float>();
    net.forward(input, lif::InputKind::binned_counts);
    std::ostringstream csv;
    csv << "time_ms,neuron\n";
    const double dt_ms = net.config().dt_ms, t0_ms = double(run.begin) * data.bin_s * 1e3;
    for (Index t = 0; t < net.steps(); ++t)
        net.spikes().for_each_active(0, t, [&](Index i, auto) {
            csv << num(t0_ms + double(t) * dt_ms) << ',' << i << '\n';
        });
    write_atomically(file, [&](std::ostream& out) { out << csv.str(); });
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
        const TeacherLatents latents = find_latents(ctx.paper_dir / "teacher", section);
        const paper::PaperCohort cohort = paper::PaperCohort::read(ctx.paper_dir);
        fs::path nwb;
        for (const paper::CohortEntry& s : cohort.sessions)
            if (s.name == latents.session) nwb = s.nwb;
        require(!nwb.empty(), where, "the cohort has no session '", latents.session, "'");

        distill::DistillConfig config = read_settings<distill::DistillConfig>(
            json_get_or(section, "distill", Json::object(), where), where + ".distill");
        config.seed = ctx.seed;
        const std::string qc = json_get_or<std::string>(section, "qc", "none", where);
        const distill::DistillData data =
            distill::load_session(nwb, latents.file, qc, config, latents.bin_s);

        // A previous run's checkpoint is never resumed: the config or the teacher may differ.
        const fs::path checkpoint = ctx.out / "student.ckpt";
        fs::remove(checkpoint);
        distill::Distiller<> student(data, config, checkpoint);
        student.train(progress_style());
        const distill::StudentEvaluation e =
            distill::evaluate_student(student.network(), data, config);

        Json history = {{"steps", Json::array()}, {"monitor", Json::array()}};
        for (const auto& r : student.history())
            history["steps"].push_back(distill::to_json(r));
        for (const auto& r : student.monitor_history())
            history["monitor"].push_back(distill::to_json(r));
        write_json(ctx.out / "history.json", history);
        write_json(ctx.out / "evaluation.json",
                   {{"session", latents.session},
                    {"readout", score_json(e.readout)},
                    {"filtered_exc", score_json(e.filtered)},
                    {"band",
                     {{"exc", {config.rate_low_hz, config.rate_high_hz}},
                      {"inh", {config.rate_low_hz_inh, config.rate_high_hz_inh}}}}});
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
        metrics["session"] = latents.session;
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
