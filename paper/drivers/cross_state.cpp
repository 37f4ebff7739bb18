// Experiment "cross_state": does a linear read-out of the stimulus survive the change of brain
// state? For every session, image identity (which of the images a flash showed) and change (an
// image-change flash against the flash just before it) are decoded from four representations of
// each flash's response window: raw spike counts of the QC-passing units, PCA of those counts at
// the latent dimension, both again with each state z-scored by its own mean and SD (no labels:
// the baseline that undoes a per-unit affine change of the code), the JEPA teacher's latents
// (<paper dir>/teacher/latents_<session>.npy) and, for simulated cohorts, the ground-truth latents.
// Decoders are multinomial logistic probes (eval::fit_logistic) evaluated on folds of interleaved
// image runs. Reported per representation: within-state accuracy (fit on the active block's
// training runs, test on its held-out runs; the same on the passive block) and transfer accuracy
// (the same active-fitted probe tested on the passive replay of the held-out runs: same images in
// the same order, other state). C is chosen by the active block's within-state accuracy. The
// simulator changes each unit's gain and baseline between states while the latent dynamics stay the
// same (DESIGN.md "Simulator"), so raw-count decoders should degrade on transfer while latents that
// recover the dynamics should not; the summary also gives the best baseline's transfer and the
// latents' margin over it. Outputs: results.csv (one row per session, task, representation and
// condition) and summary.json (means over sessions), read by paper/plots/cross_state.py.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include <jepasnn/data/data.hpp>
#include <jepasnn/eval/eval.hpp>
#include "csv.hpp"
#include "driver_common.hpp"
#include "paper_cohort.hpp"
#include "teacher_latents.hpp"

namespace {

using namespace jepasnn;
namespace fs = std::filesystem;

struct CrossStateConfig {
    double window_start_s = 0.0;  // response window [onset + start, onset + stop)
    double window_stop_s = 0.25;  // VBN flashes are 250 ms on
    double bin_width_s = 0.01;
    std::vector<double> cs = {1e-3, 1e-2, 1e-1, 1.0, 10.0};
    Index folds = 5;                 // within-state CV folds (interleaved image runs)
    Index pca_dim_fallback = 6;      // PCA dimension when neither teacher latents nor ground truth
    double solver_tolerance = 1e-6;  // L-BFGS gradient tolerance of the logistic probes

    static void fields(auto& s, auto&& field) {
        field("window_start_s", s.window_start_s);
        field("window_stop_s", s.window_stop_s);
        field("bin_width_s", s.bin_width_s);
        field("logistic_c", s.cs);
        field("folds", s.folds);
        field("pca_dim", s.pca_dim_fallback);
        field("solver_tolerance", s.solver_tolerance);
    }
    void validate(std::string_view where) const {
        require(window_stop_s > window_start_s && bin_width_s > 0, where, "response window [",
                window_start_s, ", ", window_stop_s, ") s must be non-empty with bin_width_s > 0");
        require(!cs.empty() && std::all_of(cs.begin(), cs.end(), [](double v) { return v > 0; }),
                where, "logistic_c must be a non-empty list of positive values");
        require(folds >= 2 && pca_dim_fallback >= 1 && solver_tolerance > 0, where, "folds ", folds,
                ", pca_dim ", pca_dim_fallback, ", solver_tolerance ", solver_tolerance,
                ": expected folds >= 2, pca_dim >= 1, solver_tolerance > 0");
    }
    data::WindowSpec window() const { return {-window_start_s, window_stop_s, bin_width_s}; }
};

/// Latents on a 10 ms grid from t = 0 (teacher files or ground truth), with the row of a time.
struct LatentTrack {
    RowMatrix<double> z;  // (T, d)
    double bin_width = 0.01;

    /// Mean latent over the bins starting in [t0, t0 + n·dt) (binning rule of DESIGN.md).
    RowVector<double> mean_over(double t0, std::size_t n, const std::string& where) const {
        const auto first = static_cast<Index>(std::floor(t0 / bin_width + 1e-9));
        require(first >= 0 && first + static_cast<Index>(n) <= z.rows(), where, "window at ", t0,
                " s needs latent rows [", first, ", ", first + static_cast<Index>(n),
                "), file has ", z.rows());
        return z.middleRows(first, static_cast<Index>(n)).colwise().mean();
    }
};

/// Session `name`'s teacher latents, when the teacher experiment ran.
std::optional<LatentTrack> teacher_latents(const std::optional<paper::TeacherLatents>& teacher,
                                           const std::string& session) {
    if (!teacher) return std::nullopt;
    const fs::path file = teacher->latents_file(session);
    // The teacher writes latents for every session (paper contract): a missing file is an error,
    // not a silently shorter average.
    if (!fs::exists(file)) fail(file.string(), "teacher latents missing for session ", session);
    LatentTrack t{load_npy_matrix<double>(file), teacher->bin_width_s};
    require_finite(file.string(), "latents", t.z);
    return t;
}

/// Labelled flashes of one state with their response windows' features.
struct StateEvents {
    data::EventLabels labels;
    RowMatrix<double> counts;  // (E, U) spike counts summed over the response window
};

StateEvents state_events(const data::Session& s, data::BrainState state,
                         const std::vector<std::size_t>& units, const CrossStateConfig& c) {
    data::EventQuery q;
    q.kind = data::EventKind::flashes;
    q.state = state;
    const data::EventWindows w = data::event_windows(s, q, c.window(), units);
    StateEvents e;
    e.labels = w.labels;
    const std::size_t n_events = w.counts.shape()[0], n_bins = w.counts.shape()[1],
                      n_units = w.counts.shape()[2];
    e.counts = RowMatrix<double>::Zero(static_cast<Index>(n_events), static_cast<Index>(n_units));
    for (std::size_t ev = 0; ev < n_events; ++ev)
        for (std::size_t b = 0; b < n_bins; ++b)
            for (std::size_t u = 0; u < n_units; ++u)
                e.counts(static_cast<Index>(ev), static_cast<Index>(u)) += w.counts(ev, b, u);
    return e;
}

/// `x` z-scored with the mean and SD (n − 1) of `fit`'s columns; silent features stay at zero.
RowMatrix<double> zscore(const RowMatrix<double>& x, const RowMatrix<double>& fit) {
    const RowVector<double> mean = fit.colwise().mean();
    RowVector<double> sd = ((fit.rowwise() - mean).array().square().colwise().sum() /
                            std::max<double>(1.0, static_cast<double>(fit.rows() - 1)))
                               .sqrt()
                               .matrix();
    for (Index j = 0; j < sd.size(); ++j)
        if (!(sd(j) > 1e-12)) sd(j) = 1.0;
    return (x.rowwise() - mean).array().rowwise() / sd.array();
}

/// Features standardised with the active block's mean and SD (what a decoder fitted in the active
/// state would use), stacked active rows first.
RowMatrix<double> standardise(const RowMatrix<double>& active, const RowMatrix<double>& passive) {
    RowMatrix<double> x(active.rows() + passive.rows(), active.cols());
    x << zscore(active, active), zscore(passive, active);
    return x;
}

/// Each state standardised with its own mean and SD (no labels), stacked active rows first.
RowMatrix<double> standardise_per_state(const RowMatrix<double>& active,
                                        const RowMatrix<double>& passive) {
    RowMatrix<double> x(active.rows() + passive.rows(), active.cols());
    x << zscore(active, active), zscore(passive, passive);
    return x;
}

struct Task {
    std::string name;                 // "image" or "change"
    std::vector<Index> rows;          // rows of the stacked (active, passive) events used
    std::vector<std::int64_t> y;      // label per used row
    std::vector<std::int8_t> active;  // state per used row
    std::vector<std::int64_t> run;    // image run (flashes since the last change) per used row
};

/// Image identity: every flash that showed an image. Change: each change flash against the flash
/// just before it (same context, balanced classes), as in VBN change-detection analyses. State:
/// the image flashes again, labelled by their state (balanced: the passive block replays them).
std::vector<Task> tasks(const StateEvents& a, const StateEvents& p) {
    Task image{"image", {}, {}, {}, {}}, change{"change", {}, {}, {}, {}};
    Index offset = 0;
    for (const StateEvents* e : {&a, &p}) {
        const std::int8_t is_active = e == &a;
        std::int64_t run = 0;
        for (std::size_t i = 0; i < e->labels.size(); ++i) {
            run += e->labels.is_change[i];
            if (e->labels.image[i] < 0) continue;
            image.rows.push_back(offset + static_cast<Index>(i));
            image.y.push_back(e->labels.image[i]);
            image.active.push_back(is_active);
            image.run.push_back(run);
            if (e->labels.is_change[i] && i > 0 && e->labels.image[i - 1] >= 0 &&
                !e->labels.is_change[i - 1]) {
                for (std::size_t k : {i - 1, i}) {
                    change.rows.push_back(offset + static_cast<Index>(k));
                    change.y.push_back(e->labels.is_change[k]);
                    change.active.push_back(is_active);
                    change.run.push_back(run);  // a change and its preceding flash share a fold
                }
            }
        }
        offset += static_cast<Index>(e->labels.size());
    }
    Task state = image;
    state.name = "state";
    state.y.assign(image.active.begin(), image.active.end());
    return {image, change, state};
}

struct Outcome {
    std::string condition;
    double accuracy = 0.0;
    double chance = 0.0;  // majority-class rate of the tested labels
    double c = 0.0;
    std::size_t n_fit = 0, n_test = 0;
};

double majority_rate(const std::vector<std::int64_t>& y) {
    std::map<std::int64_t, std::size_t> count;
    std::size_t best = 0;
    for (std::int64_t v : y)
        best = std::max(best, ++count[v]);
    return y.empty() ? 0.0 : static_cast<double>(best) / static_cast<double>(y.size());
}

/// Fold assignment: fold f holds the image runs r (flashes between two changes) with
/// r mod k == f. Every image is then seen in training, and a test flash never has a same-run
/// neighbour in training. The passive block replays the active block's sequence, so the passive
/// rows of fold f are the replay of the active rows of fold f.
struct FoldScores {
    std::vector<double> within, transfer;  // per C: mean accuracy over folds
};

/// Per C, the mean over folds of the accuracy of a probe fitted on the fold's training rows of
/// `fit_state`, tested on its test rows of `fit_state` (within) and of the other state (transfer).
/// Without a fit state the probe is fitted on the training rows of both states and tested on the
/// test rows of both (within; transfer stays 0).
FoldScores cross_validate(const RowMatrix<double>& x, const Task& t,
                          std::optional<std::int8_t> fit_state, const CrossStateConfig& c,
                          const std::string& where) {
    // Every (C, fold) fit is independent: they run in parallel, each writing its own slot, and
    // are summed in a fixed order afterwards, so the result does not depend on the thread count.
    const auto n_c = static_cast<std::int64_t>(c.cs.size());
    std::vector<double> within(static_cast<std::size_t>(n_c * c.folds), 0.0);
    std::vector<double> transfer(within.size(), 0.0);
    std::vector<char> used(within.size(), 0);
    parallel_for(0, n_c * c.folds, [&](std::int64_t job) {
        const auto slot = static_cast<std::size_t>(job);
        const Index f = job % c.folds;
        std::vector<Index> train, test_same, test_other;
        for (std::size_t i = 0; i < t.y.size(); ++i) {
            const bool held = t.run[i] % c.folds == f;
            if (!fit_state || t.active[i] == *fit_state)
                (held ? test_same : train).push_back(static_cast<Index>(i));
            else if (held)
                test_other.push_back(static_cast<Index>(i));
        }
        const std::vector<std::int64_t> y_train = eval::detail::take(t.y, train);
        if (test_same.empty() || (fit_state && test_other.empty()) || majority_rate(y_train) == 1.0)
            return;  // a fold needs test rows (in both states when fitted on one), 2 classes
        eval::LogisticOptions options;
        options.C = c.cs[static_cast<std::size_t>(job / c.folds)];
        // Accuracy, not the optimum's last digits, is what is reported: a gradient tolerance of
        // 1e-6 on the 1/n-scaled objective (the default here) leaves predictions unchanged.
        options.solver.gradient_tolerance = c.solver_tolerance;
        const eval::LogisticModel m =
            eval::fit_logistic(eval::take_rows(x, train), y_train, options);
        auto score = [&](const std::vector<Index>& rows) {
            return eval::accuracy(eval::detail::take(t.y, rows),
                                  m.predict(eval::take_rows(x, rows)));
        };
        within[slot] = score(test_same);
        if (fit_state) transfer[slot] = score(test_other);
        used[slot] = 1;
    });
    FoldScores s;
    for (std::int64_t ci = 0; ci < n_c; ++ci) {
        double sum_within = 0.0, sum_transfer = 0.0;
        int folds = 0;
        for (Index f = 0; f < c.folds; ++f) {
            const auto slot = static_cast<std::size_t>(ci * c.folds + f);
            if (!used[slot]) continue;
            sum_within += within[slot];
            sum_transfer += transfer[slot];
            ++folds;
        }
        require(folds > 0, where, "no usable CV fold for the ", t.name, " task (", t.y.size(),
                " flashes)");
        s.within.push_back(sum_within / folds);
        s.transfer.push_back(sum_transfer / folds);
    }
    return s;
}

/// Within-state accuracy in each state and transfer active → passive, all on the same folds; C is
/// chosen by the fitting state's within-state accuracy (the passive labels are never used for it).
std::vector<Outcome> decode(const RowMatrix<double>& features, const Task& t,
                            const CrossStateConfig& c, const std::string& where) {
    const RowMatrix<double> x = eval::take_rows(features, t.rows);  // (events, p)
    std::vector<std::int64_t> y_active, y_passive;
    for (std::size_t i = 0; i < t.y.size(); ++i)
        (t.active[i] ? y_active : y_passive).push_back(t.y[i]);
    const FoldScores from_active = cross_validate(x, t, 1, c, where);
    const FoldScores from_passive = cross_validate(x, t, 0, c, where);
    const std::size_t a = eval::detail::first_max(from_active.within);
    const std::size_t p = eval::detail::first_max(from_passive.within);
    return {{"within_active", from_active.within[a], majority_rate(y_active), c.cs[a],
             y_active.size(), y_active.size()},
            {"within_passive", from_passive.within[p], majority_rate(y_passive), c.cs[p],
             y_passive.size(), y_passive.size()},
            {"transfer", from_active.transfer[a], majority_rate(y_passive), c.cs[a],
             y_active.size(), y_passive.size()}};
}

/// State decodability: a probe of the state (active or passive) fitted on both states' training
/// runs, tested on their held-out runs; C chosen by that accuracy (an upper estimate).
Outcome decode_state(const RowMatrix<double>& features, const Task& t, const CrossStateConfig& c,
                     const std::string& where) {
    const FoldScores s =
        cross_validate(eval::take_rows(features, t.rows), t, std::nullopt, c, where);
    const std::size_t k = eval::detail::first_max(s.within);
    return {"cv", s.within[k], majority_rate(t.y), c.cs[k], t.y.size(), t.y.size()};
}

RowMatrix<double> latent_features(const LatentTrack& track, const StateEvents& e,
                                  const CrossStateConfig& c, const std::string& where) {
    // The response window in the track's own bins (the teacher may use another bin width).
    const auto n = static_cast<std::size_t>(
        std::max(1.0, std::round((c.window_stop_s - c.window_start_s) / track.bin_width)));
    RowMatrix<double> x(static_cast<Index>(e.labels.size()), track.z.cols());
    for (std::size_t i = 0; i < e.labels.size(); ++i)
        x.row(static_cast<Index>(i)) =
            track.mean_over(e.labels.time[i] + c.window_start_s, n, where);
    return x;
}

/// PCA at dimension `dim` of the stacked (active, passive) rows of `x` (unsupervised, like the
/// teacher that sees the whole session): the scores of each state.
std::pair<RowMatrix<double>, RowMatrix<double>> pca_scores(const RowMatrix<double>& x,
                                                           Index n_active, Index dim) {
    const Index k = std::min<Index>(dim, std::min(x.rows(), x.cols()));
    const RowMatrix<double> scores = eval::Pca::fit(x, k).transform(x);
    return {scores.topRows(n_active), scores.bottomRows(x.rows() - n_active)};
}

/// One session's representations of its flashes, each (E_active + E_passive, p): raw counts and
/// their PCA standardised on the active block, the same standardised per state, and the
/// teacher's and the true latents when there are any (standardised on the active block).
std::map<std::string, RowMatrix<double>> representations(const paper::CohortEntry& entry,
                                                         const StateEvents& active,
                                                         const StateEvents& passive,
                                                         const std::optional<LatentTrack>& jepa,
                                                         const CrossStateConfig& config) {
    const std::string w = entry.nwb.string();
    std::map<std::string, RowMatrix<double>> reps;
    reps["raw"] = standardise(active.counts, passive.counts);
    reps["raw_per_state"] = standardise_per_state(active.counts, passive.counts);
    std::optional<LatentTrack> truth;
    if (entry.ground_truth) {
        const data::GroundTruth g = data::GroundTruth::load(*entry.ground_truth);
        truth = LatentTrack{g.latents, g.bin_width};
    }
    const Index dim = jepa ? jepa->z.cols() : truth ? truth->z.cols() : config.pca_dim_fallback;
    // PCA at the latent dimension, of the counts and of the per-state z-scored counts.
    const Index n_active = active.counts.rows();
    RowMatrix<double> all_counts(n_active + passive.counts.rows(), active.counts.cols());
    all_counts << active.counts, passive.counts;
    const auto [pca_active, pca_passive] = pca_scores(all_counts, n_active, dim);
    reps["pca"] = standardise(pca_active, pca_passive);
    const auto [per_state_active, per_state_passive] =
        pca_scores(reps["raw_per_state"], n_active, dim);
    reps["pca_per_state"] = standardise_per_state(per_state_active, per_state_passive);
    for (const auto& [name, track] :
         {std::pair{std::string("jepa"), jepa}, std::pair{std::string("ground_truth"), truth}})
        if (track)
            reps[name] = standardise(latent_features(*track, active, config, w),
                                     latent_features(*track, passive, config, w));
    return reps;
}

/// Accuracies summed over sessions, for the means of the summary.
struct Summary {
    // sums[task][representation][condition]
    std::map<std::string, std::map<std::string, std::map<std::string, std::pair<double, int>>>>
        sums;
    std::map<std::string, std::pair<double, int>> chance;  // per task, over raw counts
    std::map<std::string, Index> dims;                     // per representation

    void add(const std::string& task, const std::string& rep, const Outcome& o) {
        auto& acc = sums[task][rep][o.condition];
        acc.first += o.accuracy;
        acc.second += 1;
        if (rep == "raw" && (o.condition == "transfer" || o.condition == "cv")) {
            chance[task].first += o.chance;
            chance[task].second += 1;
        }
    }

    /// Keys <representation>_<condition>_accuracy for image identity (the primary task),
    /// change_<...> for change detection, state_<representation>_cv_accuracy for the state,
    /// <task>_chance_accuracy and the dimensions.
    void write_into(Json& metrics) const {
        auto key_condition = [](const std::string& c) {
            return c == "within_active" ? std::string("within_state") : c;
        };
        auto key_rep = [](const std::string& r) { return r == "jepa" ? std::string("latent") : r; };
        for (const auto& [task, by_rep] : sums)
            for (const auto& [rep, by_condition] : by_rep)
                for (const auto& [condition, acc] : by_condition) {
                    const std::string key = (task == "image" ? "" : task + "_") + key_rep(rep) +
                                            "_" + key_condition(condition) + "_accuracy";
                    metrics[key] = acc.first / acc.second;
                }
        for (const auto& [task, c] : chance)
            metrics[task + "_chance_accuracy"] = c.first / c.second;
        // The best transfer of a representation that needs no teacher, and the latents' margin.
        const auto mean_transfer = [&](const std::string& rep) {
            const auto& acc = sums.at("image").at(rep).at("transfer");
            return acc.first / acc.second;
        };
        double best = -1.0;
        for (const char* rep : {"raw", "pca", "raw_per_state", "pca_per_state"})
            best = std::max(best, mean_transfer(rep));
        metrics["best_baseline_transfer_accuracy"] = best;
        if (sums.at("image").contains("jepa"))
            metrics["latent_transfer_margin"] = mean_transfer("jepa") - best;
        // How far per-state z-scores fall short of the true latents: the state regime's realism.
        if (sums.at("image").contains("ground_truth"))
            metrics["raw_per_state_transfer_gap"] =
                mean_transfer("ground_truth") - mean_transfer("raw_per_state");
        Json dim_json;
        for (const auto& [rep, d] : dims)
            dim_json[key_rep(rep)] = d;
        metrics["dimensions"] = dim_json;
    }
};

}  // namespace

int main(int argc, char** argv) {
    return paper::run_driver(argc, argv, "cross_state", [](const paper::DriverContext& ctx) {
        const std::string where =
            ctx.config_path.string() + ": profiles." + ctx.profile_name + ".cross_state";
        const CrossStateConfig config =
            read_settings<CrossStateConfig>(ctx.section("cross_state"), where);
        const paper::PaperCohort cohort = paper::PaperCohort::read(ctx.paper_dir);
        const std::optional<paper::TeacherLatents> teacher =
            paper::TeacherLatents::read_if_present(ctx.paper_dir / "teacher");
        const data::UnitFilter qc = data::vbn_default_filter();

        paper::CsvTable csv({"session", "task", "representation", "condition", "accuracy", "chance",
                             "C", "n_fit", "n_test", "dim"});
        Summary summary;
        bool all_latents = true;
        ProgressBar bar("cross_state: sessions", cohort.sessions.size(), progress_style());
        for (const paper::CohortEntry& entry : cohort.sessions) {
            const data::Session s = data::load_session(entry.nwb);
            const std::vector<std::size_t> units = qc.select(s.units);
            require(!units.empty(), entry.nwb.string(), "no unit passes QC");
            const StateEvents active = state_events(s, data::BrainState::active, units, config);
            const StateEvents passive = state_events(s, data::BrainState::passive, units, config);
            const std::optional<LatentTrack> jepa = teacher_latents(teacher, entry.name);
            all_latents = all_latents && jepa.has_value();
            const auto reps = representations(entry, active, passive, jepa, config);
            const std::string w = entry.nwb.string();
            for (const Task& t : tasks(active, passive)) {
                require(t.rows.size() >= 4, w, "too few flashes for the ", t.name, " task (",
                        t.rows.size(), ")");
                for (const auto& [rep, x] : reps) {
                    summary.dims[rep] = x.cols();
                    const std::vector<Outcome> outcomes =
                        t.name == "state" ? std::vector{decode_state(x, t, config, w)}
                                          : decode(x, t, config, w);
                    for (const Outcome& o : outcomes) {
                        csv.row(entry.name, t.name, rep, o.condition, o.accuracy, o.chance, o.c,
                                o.n_fit, o.n_test, x.cols());
                        summary.add(t.name, rep, o);
                    }
                }
            }
            bar.advance();
        }
        bar.finish();
        csv.write(ctx.out / "results.csv");

        Json metrics;
        metrics["sessions"] = cohort.sessions.size();
        metrics["latents_available"] = all_latents;
        metrics["ground_truth_available"] = cohort.has_ground_truth();
        metrics["response_window_s"] = {config.window_start_s, config.window_stop_s};
        summary.write_into(metrics);
        write_json(ctx.out / "summary.json", metrics);
        return metrics;
    });
}
