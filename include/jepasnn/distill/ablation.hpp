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
#include "../core/type_list.hpp"
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

/// An ablation: a name, the group it is reported in, the student's policies and, optionally, a
/// change of settings. Adding one is a struct here and an entry in Ablations.
struct Ablation {
    using Policies = lif::DefaultPolicies;
    static void configure(DistillConfig&) {}
};
struct Full : Ablation {
    static constexpr std::string_view name = "full", group = "full";
};
struct NoDale : Ablation {
    static constexpr std::string_view name = "no_dale", group = "dale";
    using Policies = NoDalePolicies;
};
struct NoHomeostasis : Ablation {
    static constexpr std::string_view name = "no_homeostasis", group = "homeostasis";
    using Policies = NoHomeostasisPolicies;
};
struct SurrogateArcTan : Ablation {
    static constexpr std::string_view name = "surrogate_atan", group = "surrogate";
    using Policies = ArcTanPolicies;
};
struct SurrogateSigmoid : Ablation {
    static constexpr std::string_view name = "surrogate_sigmoid", group = "surrogate";
    using Policies = SigmoidPolicies;
};
struct SurrogateStraightThrough : Ablation {
    static constexpr std::string_view name = "surrogate_straight_through", group = "surrogate";
    using Policies = StraightThroughPolicies;
};
struct Feedforward : Ablation {
    static constexpr std::string_view name = "feedforward", group = "recurrence";
    static void configure(DistillConfig& c) { c.recurrent = false; }
};

/// Every ablation, in report order.
using Ablations = TypeList<Full, NoDale, NoHomeostasis, SurrogateArcTan, SurrogateSigmoid,
                           SurrogateStraightThrough, Feedforward>;

/// Every ablation name, in report order.
inline std::vector<std::string> ablation_names() {
    const std::vector<std::string_view> names = names_of(Ablations{});
    return {names.begin(), names.end()};
}

/// Trains and evaluates the named ablation ("full" is the default student with the fast-sigmoid
/// surrogate).
inline AblationResult run_ablation(std::string_view name, const DistillData& data,
                                   const DistillConfig& config) {
    return visit_by_name(Ablations{}, name, "ablation", "distill::run_ablation", [&](auto tag) {
        using A = typename decltype(tag)::type;
        DistillConfig c = config;
        A::configure(c);
        return run_variant<typename A::Policies>(std::string(A::name), std::string(A::group), data,
                                                 c);
    });
}

}  // namespace jepasnn::distill
