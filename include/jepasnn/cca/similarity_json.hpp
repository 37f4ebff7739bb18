// JSON records of the similarity results, with the field names of the CLI contract
// (`jepasnn cca --json`: canonical_correlations, mean_cca, r2_cca, linear_cka, rank_x, rank_y),
// for the CLI, the paper drivers and the distillation metrics.
#pragma once

#include "../core/json.hpp"
#include "cross_validation.hpp"
#include "null_distribution.hpp"
#include "similarity_report.hpp"

namespace jepasnn::cca {

inline Json to_json(const NullDistribution& d) {
    Json j;
    j["statistic"] = d.statistic;
    j["kind"] = null_kind_name(d.kind);
    j["samples"] = d.samples.size();
    j["seed"] = d.seed;
    if (d.kind == NullKind::circular_shift) j["min_shift"] = d.min_shift;
    j["observed"] = d.observed;
    j["mean"] = d.mean;
    j["sd"] = d.sd;
    j["quantile_95"] = d.quantile(0.95);
    j["p_value"] = d.p_value;
    j["z_score"] = d.z_score;
    return j;
}

inline Json to_json(const SimilarityReport& r) {
    Json j;
    j["n"] = r.cca.samples;
    j["p"] = r.cca.weights_x.rows();
    j["q"] = r.cca.weights_y.rows();
    j["rank_x"] = r.cca.rank_x;
    j["rank_y"] = r.cca.rank_y;
    j["canonical_correlations"] = jepasnn::to_json(r.cca.correlations);
    j["mean_cca"] = r.cca.mean_cca;
    j["r2_cca"] = r.cca.r2_cca;
    j["chance_sum_r2"] = r.chance_sum_r2;
    j["linear_cka"] = r.linear_cka;
    j["debiased_cka"] = r.debiased_cka;
    j["svcca"] = r.svcca.similarity;
    j["svcca_kept_x"] = r.svcca.kept_x;
    j["svcca_kept_y"] = r.svcca.kept_y;
    j["pwcca"] = r.pwcca.similarity;
    j["procrustes_similarity"] = r.procrustes.similarity;
    j["angular_procrustes_distance"] = r.procrustes.distance;
    return j;
}

inline Json to_json(const CrossValidatedCcaResult& r) {
    Json j;
    j["folds"] = r.fold_correlations.rows();
    j["correlations"] = jepasnn::to_json(r.correlations);
    j["mean_cca"] = r.mean_cca;
    return j;
}

inline Json to_json(const HeldoutReport& r) {
    Json j;
    j["cca_heldout"] = r.cca_heldout;
    j["correlations"] = jepasnn::to_json(r.heldout.correlations);
    j["null_p95"] = r.null_p95;
    j["null"] = to_json(r.null);
    return j;
}

/// The document of the CLI contract (`jepasnn cca --json`) for X and Y, rows = samples: every
/// measure of compare_representations and the ridge, plus the null of mean CCA when
/// `null.samples` > 0 and the K-fold cross-validated CCA when `folds` > 0. The CLI and the
/// Python package both answer with it.
template <class DX, class DY>
Json similarity_document(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y,
                         double ridge, const NullOptions& null, Index folds) {
    SimilarityReportOptions report_options;
    report_options.cca.ridge = ridge;
    Json doc = to_json(compare_representations(x, y, report_options));
    doc["ridge"] = ridge;
    if (null.samples > 0) doc["null"] = to_json(cca_null(x, y, null, report_options.cca));
    if (folds > 0) {
        CrossValidationOptions cv;
        cv.folds = folds;
        cv.cca = report_options.cca;
        doc["cross_validated"] = to_json(cross_validated_cca(x, y, cv));
    }
    return doc;
}

}  // namespace jepasnn::cca
