// Evaluation of teacher latents against a simulated session's ground truth (DESIGN.md "Teacher",
// Evaluation): an affine map latents → true latents fitted on the training time blocks and scored
// (R², overall and per brain state) on the held-out blocks; the same for the preprocessed counts
// smoothed by a causal exponential filter, for PCA of them and for the least-squares LDS baseline
// of the same dimension; collapse diagnostics
// (effective rank, per-dimension variance, SIGReg) on the held-out blocks.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../core/tensor.hpp"
#include "../eval/lds.hpp"
#include "../eval/pca.hpp"
#include "../eval/regression.hpp"
#include "../eval/smoothing.hpp"
#include "../jepa/collapse.hpp"
#include "../jepa/dataset.hpp"
#include "../jepa/preprocess.hpp"
#include "data.hpp"

namespace jepasnn::teacher {

struct TeacherEvalConfig {
    double ridge = 1e-6;         // of the affine map, relative: ridge·n (n training rows)
    bool baselines = true;       // smoothed counts, and PCA and LDS of the latents' dimension
    double smoothing_ms = 50.0;  // time constant of the smoothed-count baseline
    Index sigreg_stride = 25;    // SIGReg on every stride-th held-out bin (≈ independent samples)
    Index sigreg_directions = 256;

    static void fields(auto& s, auto&& field) {
        field("ridge", s.ridge);
        field("baselines", s.baselines);
        field("smoothing_ms", s.smoothing_ms);
        field("sigreg_stride", s.sigreg_stride);
        field("sigreg_directions", s.sigreg_directions);
    }
    void validate(std::string_view where) const {
        require(ridge >= 0.0, where, "evaluation.ridge is ", ridge, ", expected >= 0");
        require(sigreg_stride >= 1 && sigreg_directions >= 1, where,
                "evaluation.sigreg_stride and sigreg_directions are ", sigreg_stride, " and ",
                sigreg_directions, ", expected >= 1");
        require(std::isfinite(smoothing_ms) && smoothing_ms > 0.0, where,
                "evaluation.smoothing_ms is ", smoothing_ms, ", expected > 0");
    }
};

/// Held-out R² of an affine map to the true latents: overall and within each brain state.
struct RecoveryScore {
    double overall = 0.0;
    double active = 0.0;   // NaN when the held-out blocks hold no active bins
    double passive = 0.0;  // likewise
};

inline Json to_json(const RecoveryScore& r) {
    const auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
    return {{"r2", r.overall}, {"r2_active", num(r.active)}, {"r2_passive", num(r.passive)}};
}

/// Fits truth ≈ features·W + b on the `train` rows (ridge·n on W, n training rows; nothing is
/// copied for the fit) and scores it on the `test` rows.
inline RecoveryScore recovery_score(eval::ConstMat features, eval::ConstMat truth,
                                    std::span<const std::int8_t> state,
                                    std::span<const data::RowRange> train,
                                    std::span<const data::RowRange> test, double ridge) {
    constexpr std::string_view where = "teacher::recovery_score";
    require(features.rows() == truth.rows() && static_cast<Index>(state.size()) == truth.rows(),
            where, "features have ", features.rows(), " rows, truth ", truth.rows(), ", states ",
            state.size());
    const Index n_train = data::rows_in(train), n_test = data::rows_in(test);
    require(n_train >= 2 && n_test >= 2, where, "needs >= 2 training and test rows, found ",
            n_train, " and ", n_test);
    const eval::AffineMap map =
        eval::fit_affine(features, truth, train, ridge * static_cast<double>(n_train));
    std::vector<std::int64_t> groups;
    for (const data::RowRange& r : test)
        for (Index t = r.begin; t < r.end; ++t)
            groups.push_back(state[static_cast<std::size_t>(t)]);
    const eval::GroupedR2 r = eval::heldout_r2(map, eval::take_runs(features, test),
                                               eval::take_runs(truth, test), groups);
    const auto group = [&](data::BinState s) {
        const auto it = r.per_group.find(static_cast<std::int64_t>(s));
        return it == r.per_group.end() ? std::nan("") : it->second;
    };
    return {r.overall, group(data::BinState::active), group(data::BinState::passive)};
}

/// Collapse diagnostics of the held-out rows of z; SIGReg on every stride-th of them, since the
/// statistic assumes independent samples and neighbouring 10 ms bins are not.
inline Json collapse_json(eval::ConstMat z, std::span<const data::RowRange> test,
                          const TeacherEvalConfig& config, std::uint64_t seed) {
    jepa::SigRegConfig sc;
    sc.directions = config.sigreg_directions;
    const jepa::CollapseDiagnostics d =
        jepa::collapse_diagnostics(eval::take_runs(z, test), sc, seed, config.sigreg_stride);
    return {{"effective_rank", d.effective_rank},
            {"effective_rank_centred", d.effective_rank_centred},
            {"variance", jepasnn::to_json(d.variance)},
            {"min_variance_ratio", d.variance.minCoeff() / std::max(d.variance.maxCoeff(), 1e-300)},
            {"sigreg", d.sigreg},
            {"sigreg_samples", d.sigreg_samples}};
}

/// Everything measured on one session: ground-truth recovery of the latents and of the baselines
/// (when ground truth exists) and collapse diagnostics. `rec` is the session's prepared recording
/// (its split and model input), `z` the latents (bins × D). The baselines need the whole input
/// in memory; nothing else reads it.
template <class T>
Json evaluate_session(const BinnedSession& session, const jepa::SessionRecording<T>& rec,
                      eval::ConstMat z, const TeacherEvalConfig& config, std::uint64_t seed) {
    constexpr std::string_view where = "teacher::evaluate_session";
    require(rec.bins() == session.bins() && z.rows() == session.bins(), where, "input has ",
            rec.bins(), " bins and latents ", z.rows(), ", session '", session.name, "' has ",
            session.bins(), " bins");
    const std::span<const data::RowRange> train = rec.split.train, test = rec.split.validation;
    require(!test.empty(), where, "session '", session.name,
            "' has no held-out time blocks (split.validation_fraction is 0)");
    Json j;
    j["collapse"] = collapse_json(z, test, config, seed);
    if (!session.truth) return j;
    const RowMatrix<double> truth = session.truth->load();
    const std::span<const std::int8_t> state = session.state;
    j["teacher"] = to_json(recovery_score(z, truth, state, train, test, config.ridge));
    if (config.baselines) {
        // Every baseline is fitted on the training blocks only, like the teacher.
        const eval::Mat x = rec.input().template cast<double>();
        const eval::Mat smoothed = eval::causal_exponential_smoothing(x, session.grid.bin_width,
                                                                      config.smoothing_ms / 1000.0);
        j["smoothed"] = to_json(recovery_score(smoothed, truth, state, train, test, config.ridge));
        const eval::Mat xtr = eval::take_runs(x, train);
        const Index q = std::min<Index>(z.cols(), x.cols());
        const eval::Pca pca = eval::Pca::fit(xtr, q);
        j["pca"] =
            to_json(recovery_score(pca.transform(x), truth, state, train, test, config.ridge));
        const auto lds = eval::LinearDynamicalBaseline::fit(xtr, q);
        j["lds"] = to_json(recovery_score(lds.filter(x), truth, state, train, test, config.ridge));
        j["baseline_dim"] = q;
    }
    return j;
}

}  // namespace jepasnn::teacher
