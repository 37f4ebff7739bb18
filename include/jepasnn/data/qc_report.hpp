// Phase 0 data-quality validation of one session's units, as `jepasnn qc` prints it and
// jepasnn.qc returns it: the QC funnel of a named filter (units removed by each criterion) and the
// quality metrics recomputed from the spikes (firing rate, ISI violations, presence ratio,
// amplitude cutoff where spike_amplitudes exist) against those stored in the file.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "../core/json.hpp"
#include "quality_metrics.hpp"
#include "unit_qc.hpp"
#include "units.hpp"

namespace jepasnn::data {

struct QcReport {
    std::string file;
    std::vector<std::string> filter;  // the filter's criteria, in order
    QcFunnel funnel;
    std::vector<std::int64_t> ids;  // every unit's id, in file order
    UnitMetrics metrics;            // recomputed, per unit in file order
    std::vector<MetricComparison> comparisons;

    /// The document of `jepasnn qc --json` (NaN as null).
    Json to_json() const {
        auto nullable = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
        auto column = [&](const std::vector<double>& v) {
            Json a = Json::array();
            for (const double x : v)
                a.push_back(nullable(x));
            return a;
        };
        Json j;
        j["file"] = file;
        j["filter"] = filter;
        j["funnel"] = funnel.to_json();
        Json kept = Json::array();
        for (const std::size_t u : funnel.kept)
            kept.push_back(ids[u]);
        j["kept_ids"] = kept;
        j["recomputed"] = {{"range", {metrics.range.start, metrics.range.stop}},
                           {"ids", ids},
                           {"firing_rate", column(metrics.firing_rate)},
                           {"isi_violations", column(metrics.isi_violations)},
                           {"presence_ratio", column(metrics.presence_ratio)},
                           {"amplitude_cutoff", column(metrics.amplitude_cutoff)}};
        Json cmp = Json::array();
        for (const MetricComparison& c : comparisons)
            cmp.push_back(c.to_json(true));
        j["comparison"] = cmp;
        return j;
    }
};

/// The report of `units` (read with their ragged columns, for the amplitude cutoff) under the QC
/// filter named `filter` ("none" or "default"); `file` names the session in the report.
inline QcReport qc_report(const UnitTable& units, std::string_view filter, std::string file) {
    const UnitFilter f = qc_filter_named(filter);
    QcReport r;
    r.file = std::move(file);
    r.filter = f.names();
    r.funnel = f.funnel(units);
    r.ids.assign(units.ids().begin(), units.ids().end());
    r.metrics = compute_quality_metrics(units);
    r.comparisons = compare_quality_metrics(units, r.metrics);
    return r;
}

}  // namespace jepasnn::data
