// Ablations of the student, reported by the same training and evaluation code as the full model:
// without Dale's principle, without homeostasis, each surrogate gradient, and
// feed-forward instead of recurrent. Each variant is a different policy struct (one line of user
// code) or a configuration switch, trained from the same seed on the same data.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "../constraints/surrogate.hpp"
#include "evaluation.hpp"
#include "trainer.hpp"

namespace jepasnn::distill {

struct NoDalePolicies : lif::DefaultPolicies {
    using Sign = constraints::NoSignConstraint;
};
struct NoHomeostasisPolicies : lif::DefaultPolicies {
    using Rate = constraints::NoRatePenalty;
};
struct ArcTanPolicies : lif::DefaultPolicies {
    using Surrogate = constraints::ArcTan;
};
struct SigmoidPolicies : lif::DefaultPolicies {
    using Surrogate = constraints::Sigmoid;
};
struct StraightThroughPolicies : lif::DefaultPolicies {
    using Surrogate = constraints::StraightThrough;
};

/// One trained and evaluated variant.
struct AblationResult {
    std::string name;   // e.g. "no_dale"
    std::string group;  // "full", "dale", "homeostasis", "surrogate", "recurrence"
    double cca_heldout = 0.0;
    double cca_heldout_filtered_exc = 0.0;
    double cca_null_95 = 0.0;
    Index bptt_truncate_bins = 0;  // the variant's training BPTT (DistillConfig), 0: whole window
    StudentMetrics metrics;
    /// Training stopped on NaN/Inf (e.g. straight-through gradients exploding through BPTT):
    /// the reason, and the metrics of the last parameters with finite values, if any.
    std::string stopped;
};

inline Json to_json(const AblationResult& r) {
    Json j = to_json(r.metrics);
    j["name"] = r.name;
    j["group"] = r.group;
    j["cca_heldout"] = r.cca_heldout;
    j["cca_heldout_filtered_exc"] = r.cca_heldout_filtered_exc;
    j["cca_null_95"] = r.cca_null_95;
    j["bptt_truncate_bins"] = r.bptt_truncate_bins;
    j["stopped"] = r.stopped;
    return j;
}

/// Trains and evaluates the student with `Policies` (quietly, without checkpoints).
template <class Policies, class T = float>
AblationResult run_variant(std::string name, std::string group, const DistillData& data,
                           const DistillConfig& config) {
    Distiller<T, Policies> d(data, config);
    AblationResult r;
    r.name = std::move(name);
    r.group = std::move(group);
    r.bptt_truncate_bins = config.bptt_truncate_bins;
    try {
        d.train(ProgressStyle::quiet);
    } catch (const Error& e) {
        r.stopped = e.what();  // reported, not fatal: a variant may legitimately diverge
    }
    bool finite = true;
    for (const T v : d.network().parameters().values())
        finite = finite && std::isfinite(v);
    if (!finite) {
        r.cca_heldout = r.cca_heldout_filtered_exc = r.cca_null_95 =
            std::numeric_limits<double>::quiet_NaN();
        return r;
    }
    const StudentEvaluation e = evaluate_student(d.network(), data, config);
    r.cca_heldout = e.readout.cca_heldout;
    r.cca_heldout_filtered_exc = e.filtered.cca_heldout;
    r.cca_null_95 = e.readout.null_p95;
    r.metrics = e.metrics;
    return r;
}

/// Every ablation name, in report order.
inline const std::vector<std::string>& ablation_names() {
    static const std::vector<std::string> names = {
        "full",           "no_dale",           "no_homeostasis",
        "surrogate_atan", "surrogate_sigmoid", "surrogate_straight_through",
        "feedforward"};
    return names;
}

/// Runs the named variant ("full" is the default student with fast-sigmoid surrogate).
inline AblationResult run_ablation(std::string_view name, const DistillData& data,
                                   const DistillConfig& config) {
    const std::string n(name);
    if (name == "full") return run_variant<lif::DefaultPolicies>(n, "full", data, config);
    if (name == "no_dale") return run_variant<NoDalePolicies>(n, "dale", data, config);
    if (name == "no_homeostasis")
        return run_variant<NoHomeostasisPolicies>(n, "homeostasis", data, config);
    if (name == "surrogate_atan") return run_variant<ArcTanPolicies>(n, "surrogate", data, config);
    if (name == "surrogate_sigmoid")
        return run_variant<SigmoidPolicies>(n, "surrogate", data, config);
    if (name == "surrogate_straight_through")
        return run_variant<StraightThroughPolicies>(n, "surrogate", data, config);
    if (name == "feedforward") {
        DistillConfig c = config;
        c.recurrent = false;
        return run_variant<lif::DefaultPolicies>(n, "recurrence", data, c);
    }
    fail("distill::run_ablation", "unknown ablation '", name,
         "', expected full, no_dale, no_homeostasis, surrogate_atan, surrogate_sigmoid, ",
         "surrogate_straight_through or feedforward");
}

}  // namespace jepasnn::distill
