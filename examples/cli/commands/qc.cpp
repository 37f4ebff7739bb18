// jepasnn qc FILE.nwb [--json] [--filter default|none]: Phase 0 data-quality validation. Prints
// the QC funnel (units removed by each criterion of the VBN default filter) and the quality
// metrics recomputed from the spikes (firing rate, ISI violations at 1.5 ms, presence ratio,
// amplitude cutoff when spike_amplitudes exist) against the values stored in the file.
#include <jepasnn/data/nwb_reader.hpp>
#include <jepasnn/data/qc_report.hpp>

#include <cstdio>
#include <iostream>

#include "command.hpp"

namespace {

struct QcOptions {
    std::string file;
    bool json = false;
    std::string filter = "default";
};

void run_qc(const QcOptions& o) {
    namespace data = jepasnn::data;
    const data::NwbFile file(o.file);
    // ragged columns: spike_amplitudes too, for the amplitude cutoff
    const data::QcReport report = data::qc_report(file.read_units(), o.filter, file.path());
    if (o.json) {
        std::cout << report.to_json().dump(1) << std::endl;
        return;
    }
    const data::QcFunnel& funnel = report.funnel;
    const data::UnitMetrics& metrics = report.metrics;
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
    for (const auto& c : report.comparisons)
        std::printf("  %-18s %8zu %9zu %10.4g %10.4g %11.4f\n", c.metric.c_str(), c.compared,
                    c.agreeing, c.max_abs_difference, c.mean_abs_difference, c.correlation);
    if (report.comparisons.empty()) std::printf("  (the file stores none of these metrics)\n");
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
