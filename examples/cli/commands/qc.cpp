// jepasnn qc FILE.nwb [--json] [--filter default|none]: Phase 0 data-quality validation. Prints
// the QC funnel (units removed by each criterion of the VBN default filter) and the quality
// metrics recomputed from the spikes (firing rate, ISI violations at 1.5 ms, presence ratio,
// amplitude cutoff when spike_amplitudes exist) against the values stored in the file.
#include <jepasnn/core/json.hpp>
#include <jepasnn/data/quality_metrics.hpp>
#include <jepasnn/data/session.hpp>
#include <jepasnn/data/unit_qc.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "command.hpp"

namespace {

struct QcOptions {
    std::string file;
    bool json = false;
    std::string filter = "default";
};

jepasnn::Json nullable(double v) {
    return std::isfinite(v) ? jepasnn::Json(v) : jepasnn::Json(nullptr);
}

void run_qc(const QcOptions& o) {
    namespace data = jepasnn::data;
    const data::NwbFile file(o.file);
    const data::UnitTable units = file.read_units();  // ragged columns: spike_amplitudes too
    const data::UnitFilter filter = data::qc_filter_named(o.filter);
    const data::QcFunnel funnel = filter.funnel(units);
    const data::UnitMetrics metrics = data::compute_quality_metrics(units);
    const std::vector<data::MetricComparison> comparisons =
        data::compare_quality_metrics(units, metrics);

    if (o.json) {
        jepasnn::Json j;
        j["file"] = file.path();
        j["filter"] = filter.names();
        j["funnel"] = funnel.to_json();
        jepasnn::Json kept = jepasnn::Json::array();
        for (std::size_t u : funnel.kept)
            kept.push_back(units.id(u));
        j["kept_ids"] = kept;
        jepasnn::Json recomputed;
        recomputed["range"] = {metrics.range.start, metrics.range.stop};
        recomputed["ids"] = units.ids();
        jepasnn::Json fr = jepasnn::Json::array(), isi = jepasnn::Json::array(),
                      presence = jepasnn::Json::array(), cutoff = jepasnn::Json::array();
        for (std::size_t u = 0; u < units.size(); ++u) {
            fr.push_back(nullable(metrics.firing_rate[u]));
            isi.push_back(nullable(metrics.isi_violations[u]));
            presence.push_back(nullable(metrics.presence_ratio[u]));
            cutoff.push_back(nullable(metrics.amplitude_cutoff[u]));
        }
        recomputed["firing_rate"] = fr;
        recomputed["isi_violations"] = isi;
        recomputed["presence_ratio"] = presence;
        recomputed["amplitude_cutoff"] = cutoff;
        j["recomputed"] = recomputed;
        jepasnn::Json cmp = jepasnn::Json::array();
        for (const auto& c : comparisons)
            cmp.push_back(c.to_json(true));
        j["comparison"] = cmp;
        std::cout << j.dump(1) << std::endl;
        return;
    }
    std::printf("%s: %zu units\n\nQC funnel\n", file.path().c_str(), funnel.total);
    std::printf("  %-28s %8s %8s %10s\n", "criterion", "failing", "removed", "remaining");
    for (const auto& s : funnel.steps)
        std::printf("  %-28s %8zu %8zu %10zu\n", s.criterion.c_str(), s.failing, s.removed,
                    s.remaining);
    std::printf("  kept %zu of %zu units\n\n", funnel.kept.size(), funnel.total);
    std::printf("Metrics recomputed from the spikes over [%.3f, %.3f] s vs stored\n",
                metrics.range.start, metrics.range.stop);
    std::printf("  %-18s %8s %9s %10s %10s %11s\n", "metric", "units", "agreeing", "max |diff|",
                "mean |diff|", "correlation");
    for (const auto& c : comparisons)
        std::printf("  %-18s %8zu %9zu %10.4g %10.4g %11.4f\n", c.metric.c_str(), c.compared,
                    c.agreeing, c.max_abs_difference, c.mean_abs_difference, c.correlation);
    if (comparisons.empty()) std::printf("  (the file stores none of these metrics)\n");
}

void setup_qc(CLI::App& app) {
    auto o = std::make_shared<QcOptions>();
    app.add_option("FILE.nwb", o->file, "NWB session file")->required();
    app.add_flag("--json", o->json, "print JSON (funnel, recomputed metrics, comparison)");
    app.add_option("--filter", o->filter, "unit filter: default (VBN notebook) or none")
        ->check(CLI::IsMember({"none", "default"}));
    app.callback([o] { run_qc(*o); });
}

const jepasnn::cli::CommandRegistration qc_registration{
    "qc", "Unit QC funnel and quality metrics recomputed from the spikes vs stored", setup_qc};

}  // namespace
