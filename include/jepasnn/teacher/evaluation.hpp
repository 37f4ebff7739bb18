// Evaluation of teacher latents against a simulated session's ground truth (DESIGN.md "Teacher",
// Evaluation): an affine map latents → true latents fitted on the training time blocks and scored
// (R², overall and per brain state) on the held-out blocks; the same for the preprocessed counts
// smoothed by a causal exponential filter, for PCA of them and for the least-squares LDS baseline
// of the same dimension; collapse diagnostics
// (effective rank, per-dimension variance, SIGReg) on the held-out blocks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
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
        require(std::isfinite(ridge) && ridge > 0.0, where, "evaluation.ridge is ", ridge,
                ", expected > 0 (the ground-truth maps are streamed ridge fits)");
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

/// Held-out R² of an affine map to the true latents, for features made in time order a block at
/// a time, in two passes: fit(first, block) for every bin in order (truth ≈ features·W + b is
/// fitted on the `train` rows, ridge·n on W for n training rows; eval::AffineMoments), then
/// test(first, block) for every bin in order (only the `test` rows' predictions are kept), then
/// score(). A causal filter making the features carries its state from one block to the next;
/// several scorers can share one pass over the input.
class RecoveryScorer {
  public:
    RecoveryScorer(eval::ConstMat truth, std::span<const std::int8_t> state,
                   std::span<const data::RowRange> train, std::span<const data::RowRange> test,
                   double ridge)
        : truth_(truth), state_(state), train_(train), test_(test), ridge_(ridge) {
        require(static_cast<Index>(state.size()) == truth.rows(), where, "truth has ", truth.rows(),
                " rows, states ", state.size());
        const Index n_train = data::rows_in(train), n_test = data::rows_in(test);
        require(n_train >= 2 && n_test >= 2 && ridge > 0.0, where,
                "needs >= 2 training and test rows and a ridge > 0, found ", n_train, ", ", n_test,
                " and ", ridge);
    }

    /// The first pass: bins [first, first + block.rows()) of the features.
    void fit(Index first, eval::ConstMat block) {
        require(!map_, where, "fit() after test()");
        next(first, block);
        if (!moments_) moments_.emplace(block.cols(), truth_.cols());
        data::for_overlaps(train_, first, first + block.rows(), [&](Index b, Index e, Index) {
            moments_->add(block.middleRows(b - first, e - b), truth_.middleRows(b, e - b), b);
        });
    }

    /// The second pass, likewise; its first block fits the map.
    void test(Index first, eval::ConstMat block) {
        if (!map_) {
            complete("fit");
            map_ = moments_->fit(ridge_ * static_cast<double>(data::rows_in(train_)));
            predicted_.resize(data::rows_in(test_), truth_.cols());
            seen_ = 0;
        }
        next(first, block);
        data::for_overlaps(test_, first, first + block.rows(), [&](Index b, Index e, Index at) {
            predicted_.middleRows(at, e - b) = map_->predict(block.middleRows(b - first, e - b));
        });
    }

    RecoveryScore score() const {
        require(map_.has_value(), where, "score() before test()");
        complete("test");
        require_finite(where, "predictions", predicted_);
        eval::Mat actual(predicted_.rows(), truth_.cols());
        std::vector<std::int64_t> groups;
        data::for_overlaps(test_, 0, truth_.rows(), [&](Index b, Index e, Index at) {
            actual.middleRows(at, e - b) = truth_.middleRows(b, e - b);
            for (Index t = b; t < e; ++t)
                groups.push_back(state_[static_cast<std::size_t>(t)]);
        });
        const eval::GroupedR2 r = eval::grouped_r2(actual, predicted_, groups);
        const auto group = [&](data::BinState s) {
            const auto it = r.per_group.find(static_cast<std::int64_t>(s));
            return it == r.per_group.end() ? std::nan("") : it->second;
        };
        return {r.overall, group(data::BinState::active), group(data::BinState::passive)};
    }

  private:
    static constexpr std::string_view where = "teacher::recovery_score";

    void next(Index first, eval::ConstMat block) {
        require(first == seen_ && first + block.rows() <= truth_.rows(), where,
                "features came for bins ", first, "..", first + block.rows(), " after ", seen_,
                " of ", truth_.rows());
        seen_ += block.rows();
    }
    void complete(std::string_view pass) const {
        require(seen_ == truth_.rows(), where, "the ", pass, " pass covered ", seen_, " of ",
                truth_.rows(), " bins");
    }

    eval::ConstMat truth_;
    std::span<const std::int8_t> state_;
    std::span<const data::RowRange> train_, test_;
    double ridge_;
    Index seen_ = 0;
    std::optional<eval::AffineMoments> moments_;
    std::optional<eval::AffineMap> map_;
    eval::Mat predicted_;
};

/// The score of features made by features(f), which calls f(first, block) for every bin once, in
/// order, each time it is called (twice: RecoveryScorer's two passes).
template <class Features>
RecoveryScore streamed_recovery_score(Features&& features, eval::ConstMat truth,
                                      std::span<const std::int8_t> state,
                                      std::span<const data::RowRange> train,
                                      std::span<const data::RowRange> test, double ridge) {
    RecoveryScorer scorer(truth, state, train, test, ridge);
    features([&](Index first, eval::ConstMat block) { scorer.fit(first, block); });
    features([&](Index first, eval::ConstMat block) { scorer.test(first, block); });
    return scorer.score();
}

/// Calls f(first, block) for the rows of x in blocks of stream_block_rows, in order.
inline auto matrix_blocks(eval::ConstMat x) {
    return [x](auto&& f) {
        for (Index b = 0; b < x.rows(); b += stream_block_rows)
            f(b, x.middleRows(b, std::min(stream_block_rows, x.rows() - b)));
    };
}

/// The same for features held in memory (bins × p).
inline RecoveryScore recovery_score(eval::ConstMat features, eval::ConstMat truth,
                                    std::span<const std::int8_t> state,
                                    std::span<const data::RowRange> train,
                                    std::span<const data::RowRange> test, double ridge) {
    require(features.rows() == truth.rows(), "teacher::recovery_score", "features have ",
            features.rows(), " rows, truth ", truth.rows());
    return streamed_recovery_score(matrix_blocks(features), truth, state, train, test, ridge);
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
/// (its split and model input), `z` the latents (bins × D). The baselines read the model input a
/// block at a time, in several passes; it is never held whole.
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
        // Every baseline is fitted on the training blocks only, like the teacher, from the model
        // input streamed a block at a time (a VBN-size session's input is ~10 GB in double).
        const auto input = [&](auto&& f) {
            for (Index b = 0; b < rec.bins(); b += stream_block_rows) {
                const Index n = std::min(stream_block_rows, rec.bins() - b);
                f(b, eval::Mat(rec.input(b, n).template cast<double>()));
            }
        };
        // Four passes: each baseline's fit pass shares the input with the previous one's test
        // pass (bitwise what separate passes give: each sees the same blocks in the same order).
        const double dt = session.grid.bin_width, tau = config.smoothing_ms / 1000.0;
        const Index p = rec.counts.units(), q = std::min<Index>(z.cols(), p);
        const auto scorer = [&] { return RecoveryScorer(truth, state, train, test, config.ridge); };
        RecoveryScorer smoothed = scorer(), pca_map = scorer(), lds_map = scorer();
        // 1: the smoothed counts' fit; the scatter of the training rows (PCA of the latents'
        // dimension).
        eval::AffineMoments moments(p, 0);  // of the rows alone: no targets
        eval::CausalExponentialSmoother smoother(dt, tau);
        input([&](Index first, const eval::Mat& x) {
            smoothed.fit(first, smoother.next(x));
            data::for_overlaps(train, first, first + x.rows(), [&](Index b, Index e, Index) {
                moments.add(x.middleRows(b - first, e - b), eval::Mat(e - b, 0), b);
            });
        });
        const eval::Pca pca =
            eval::Pca::from_scatter(moments.mean_x(), moments.scatter_x(), moments.count(), q);
        // 2: the smoothed counts' test; the PCA scores' fit and the lag moments of the training
        // rows' scores (consecutive training rows, as one recording) for the LDS.
        eval::LagMoments lags(q);
        smoother = eval::CausalExponentialSmoother(dt, tau);
        input([&](Index first, const eval::Mat& x) {
            smoothed.test(first, smoother.next(x));
            const eval::Mat scores = pca.transform(x);
            pca_map.fit(first, scores);
            data::for_overlaps(train, first, first + x.rows(), [&](Index b, Index e, Index) {
                lags.add(scores.middleRows(b - first, e - b));
            });
        });
        const auto lds =
            eval::LinearDynamicalBaseline::from_moments(pca, moments.scatter_x(), lags);
        // 3: the PCA scores' test; the LDS's filtered states' fit. 4: their test.
        RowVector<double> filtered = RowVector<double>::Zero(q);
        input([&](Index first, const eval::Mat& x) {
            pca_map.test(first, pca.transform(x));
            lds_map.fit(first, lds.filter(x, filtered));
        });
        filtered.setZero();
        input(
            [&](Index first, const eval::Mat& x) { lds_map.test(first, lds.filter(x, filtered)); });
        j["smoothed"] = to_json(smoothed.score());
        j["pca"] = to_json(pca_map.score());
        j["lds"] = to_json(lds_map.score());
        j["baseline_dim"] = q;
    }
    return j;
}

}  // namespace jepasnn::teacher
