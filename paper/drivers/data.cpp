// Experiment "data" (Phase 0 figures): for one session of the cohort, a spike raster and its
// 10 ms binned counts around an image change, and the whole session's counts in coarse bins with
// its stimulus blocks; for every session, the unit-QC funnel (VBN default filter, DESIGN.md
// "Unit QC default"), the firing-rate distribution, and the quality metrics recomputed from the
// spikes against the values stored in the file. Outputs (all read by paper/plots/data.py):
//   session.json          display session, window, blocks, units shown (area of each row)
//   raster_times.npy      (S,) float64 spike times in the window (s)
//   raster_rows.npy       (S,) int32   display row of each spike (QC-passing units, by area)
//   window_counts.npy     (T, U) int32 10 ms counts of the window, same rows as the raster
//   overview_counts.npy   (N, U) int32 counts of the whole session in overview_bin_s bins
//   flashes.csv           the image presentations overlapping the window
//   funnel.json           per session: total, steps (criterion, failing, removed, remaining), kept
//   units.csv             per unit: session, id, area, recomputed firing rate (Hz), passes QC
//   quality_metrics.csv   per unit and metric: stored and recomputed value (both finite)
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

#include <jepasnn/data/data.hpp>
#include "csv.hpp"
#include "driver_common.hpp"
#include "paper_cohort.hpp"

namespace {

using namespace jepasnn;
namespace fs = std::filesystem;

struct DataConfig {
    std::string session;          // name in the cohort; empty = the first session
    double window_s = 6.0;        // raster / 10 ms counts window
    double window_lead_s = 2.0;   // window starts this long before the first active change
    double bin_width_s = 0.01;    // DESIGN.md binning: 10 ms
    double overview_bin_s = 1.0;  // whole-session counts

    static void fields(auto& s, auto&& field) {
        field("session", s.session);
        field("window_s", s.window_s);
        field("window_lead_s", s.window_lead_s);
        field("bin_width_s", s.bin_width_s);
        field("overview_bin_s", s.overview_bin_s);
    }
    void validate(std::string_view where) const {
        require(window_s > 0 && window_lead_s >= 0 && window_lead_s < window_s, where, "window_s ",
                window_s, " and window_lead_s ", window_lead_s, " must satisfy 0 <= lead < window");
        require(bin_width_s > 0 && overview_bin_s >= bin_width_s, where, "bin_width_s ",
                bin_width_s, " and overview_bin_s ", overview_bin_s,
                " must satisfy 0 < bin width <= overview bin");
    }
};

std::string area_of(const data::UnitTable& units, std::size_t u) {
    return units.has_locations() ? units.locations()[u] : std::string("unknown");
}

/// QC-passing units ordered by area (then file order), so each area is a band of the raster.
std::vector<std::size_t> display_order(const data::UnitTable& units,
                                       const std::vector<std::size_t>& kept) {
    std::vector<std::size_t> order = kept;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return area_of(units, a) < area_of(units, b);
    });
    return order;
}

/// The window shown in the raster: it starts `lead` before the first image change of the active
/// block (so the reader sees ordinary flashes and a change), or at the block start without one.
double window_start(const data::Session& s, const DataConfig& c) {
    const data::SessionBlock& active = s.state(data::BrainState::active);
    data::EventQuery changes;
    changes.kind = data::EventKind::changes;
    changes.state = data::BrainState::active;
    const data::EventLabels l = data::select_events(s, changes);
    for (double t : l.time)
        if (t - c.window_lead_s >= active.start) return t - c.window_lead_s;
    return active.start;
}

/// The display session's figures: raster, 10 ms counts, whole-session overview, blocks, flashes.
Json display_session(const data::Session& s, const std::string& name,
                     const std::vector<std::size_t>& kept, const DataConfig& c,
                     const fs::path& out) {
    const std::vector<std::size_t> rows = display_order(s.units, kept);
    const double t0 = window_start(s, c);
    const data::BinGrid window{t0, c.bin_width_s,
                               static_cast<std::size_t>(std::llround(c.window_s / c.bin_width_s))};
    const Tensor<std::int32_t, 2> counts = data::bin_spikes(s.units, window, rows);  // (T, U)
    save_npy(out / "window_counts.npy", counts);

    std::vector<double> times;      // (S,)
    std::vector<std::int32_t> row;  // (S,)
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (double t : s.units.spike_times(rows[r]))
            if (t >= window.t_start && t < window.t_stop()) {
                times.push_back(t);
                row.push_back(static_cast<std::int32_t>(r));
            }
    save_npy(out / "raster_times.npy", times);
    save_npy(out / "raster_rows.npy", row);

    const data::TimeRange extent = s.extent();
    const data::BinGrid overview = data::BinGrid::covering({0.0, extent.stop}, c.overview_bin_s);
    save_npy(out / "overview_counts.npy", data::bin_spikes(s.units, overview, rows));  // (N, U)

    paper::CsvTable flashes({"start_s", "stop_s", "image_name", "is_change", "omitted"});
    if (const data::Table* images = s.image_presentations()) {
        const data::Column& start = images->column("start_time");
        const data::Column& stop = images->column("stop_time");
        const data::Column& image = images->column("image_name");
        const data::Column* change = images->find("is_change");
        const data::Column* omitted = images->find("omitted");
        for (std::size_t r = 0; r < images->rows(); ++r) {
            if (stop.real(r) <= window.t_start || start.real(r) >= window.t_stop()) continue;
            flashes.row(start.real(r), stop.real(r), image.text(r),
                        change && change->boolean(r).value_or(false),
                        omitted && omitted->boolean(r).value_or(false));
        }
    }
    flashes.write(out / "flashes.csv");

    Json j;
    j["session"] = name;
    j["window_start_s"] = window.t_start;
    j["window_stop_s"] = window.t_stop();
    j["bin_width_s"] = c.bin_width_s;
    j["overview_bin_s"] = c.overview_bin_s;
    j["overview_bins"] = overview.n_bins;
    Json areas = Json::array();
    for (std::size_t u : rows)
        areas.push_back(area_of(s.units, u));
    j["row_areas"] = areas;
    j["blocks"] = Json::array();
    for (const data::SessionBlock& b : s.blocks)
        j["blocks"].push_back(
            {{"block", b.block}, {"active", b.active}, {"start_s", b.start}, {"stop_s", b.stop}});
    const data::SessionBlock& passive = s.state(data::BrainState::passive);
    j["passive_block"] = passive.block;
    j["active_block"] = s.state(data::BrainState::active).block;
    j["spikes_in_window"] = times.size();
    write_json(out / "session.json", j);
    return j;
}

/// The QC funnel over every session: units before and after, and removed per criterion.
struct QcTally {
    std::vector<std::string> criteria;
    std::vector<std::size_t> removed;
    std::size_t before = 0, after = 0;
    Json sessions = Json::array();

    explicit QcTally(const data::UnitFilter& qc)
        : criteria(qc.names()), removed(criteria.size(), 0) {}

    void add(const std::string& session, const data::QcFunnel& funnel) {
        Json f = funnel.to_json();
        f["session"] = session;
        sessions.push_back(f);
        before += funnel.total;
        after += funnel.kept.size();
        for (std::size_t c = 0; c < funnel.steps.size(); ++c)
            removed[c] += funnel.steps[c].removed;
    }

    Json funnel_json() const { return {{"criteria", criteria}, {"sessions", sessions}}; }

    void write_into(Json& metrics) const {
        metrics["units_before_qc"] = before;
        metrics["units_after_qc"] = after;
        metrics["qc_kept_fraction"] =
            before ? static_cast<double>(after) / static_cast<double>(before) : 0.0;
        // Keyed by the criterion's column ("isi_violations"), not its text ("isi_violations <
        // 0.5"), whose dots would break dotted metric paths.
        Json funnel_removed;
        for (std::size_t c = 0; c < criteria.size(); ++c)
            funnel_removed[criteria[c].substr(0, criteria[c].find(' '))] = removed[c];
        metrics["qc_removed"] = funnel_removed;
    }
};

/// Agreement of stored and recomputed quality metrics over every session: per metric, units
/// compared / agreeing and the largest difference; the correlation is reported for the display
/// session (pooled sessions would mix recording lengths).
struct MetricAgreement {
    std::map<std::string, Json> by_metric;

    void add(const data::MetricComparison& c, bool display_session) {
        Json& a = by_metric[c.metric];
        a["tolerance"] = c.tolerance;
        a["compared"] = a.value("compared", std::size_t{0}) + c.compared;
        a["agreeing"] = a.value("agreeing", std::size_t{0}) + c.agreeing;
        a["max_abs_difference"] =
            std::max(a.value("max_abs_difference", 0.0), c.max_abs_difference);
        if (display_session)
            a["correlation_display_session"] =
                std::isfinite(c.correlation) ? Json(c.correlation) : Json(nullptr);
    }

    Json to_json() const {
        Json quality;
        for (auto [metric, a] : by_metric) {
            const auto compared = a["compared"].get<std::size_t>();
            a["agreeing_fraction"] = compared
                                         ? static_cast<double>(a["agreeing"].get<std::size_t>()) /
                                               static_cast<double>(compared)
                                         : 0.0;
            quality[metric] = a;
        }
        return quality;
    }
};

}  // namespace

int main(int argc, char** argv) {
    return paper::run_driver(argc, argv, "data", [](const paper::DriverContext& ctx) {
        const DataConfig config = read_settings<DataConfig>(
            ctx.section("data"),
            ctx.config_path.string() + ": profiles." + ctx.profile_name + ".data");
        const paper::PaperCohort cohort = paper::PaperCohort::read(ctx.paper_dir);
        std::size_t shown = 0;
        for (std::size_t k = 0; k < cohort.sessions.size(); ++k)
            if (cohort.sessions[k].name == config.session) shown = k;
        const data::UnitFilter qc = data::vbn_default_filter();

        QcTally tally(qc);
        MetricAgreement agreement;
        paper::CsvTable units_csv({"session", "unit_id", "area", "firing_rate_hz", "passes_qc"});
        paper::CsvTable metrics_csv({"session", "unit_id", "metric", "stored", "recomputed"});
        std::vector<double> kept_rates;
        Json shown_json;
        ProgressBar bar("data: sessions", cohort.sessions.size(), progress_style());
        for (std::size_t k = 0; k < cohort.sessions.size(); ++k) {
            const paper::CohortEntry& entry = cohort.sessions[k];
            const data::Session s = data::load_session(entry.nwb);
            const data::QcFunnel funnel = qc.funnel(s.units);
            tally.add(entry.name, funnel);

            const data::UnitMetrics m = data::compute_quality_metrics(s.units);
            std::vector<char> passes(s.units.size(), 0);
            for (std::size_t u : funnel.kept) {
                passes[u] = 1;
                kept_rates.push_back(m.firing_rate[u]);
            }
            for (std::size_t u = 0; u < s.units.size(); ++u)
                units_csv.row(entry.name, s.units.id(u), area_of(s.units, u), m.firing_rate[u],
                              passes[u] != 0);
            for (const data::MetricComparison& c : data::compare_quality_metrics(s.units, m)) {
                for (std::size_t u = 0; u < s.units.size(); ++u)
                    if (std::isfinite(c.stored[u]) && std::isfinite(c.recomputed[u]))
                        metrics_csv.row(entry.name, s.units.id(u), c.metric, c.stored[u],
                                        c.recomputed[u]);
                agreement.add(c, k == shown);
            }
            if (k == shown)
                shown_json = display_session(s, entry.name, funnel.kept, config, ctx.out);
            bar.advance();
        }
        bar.finish();
        write_json(ctx.out / "funnel.json", tally.funnel_json());
        units_csv.write(ctx.out / "units.csv");
        metrics_csv.write(ctx.out / "quality_metrics.csv");

        Json metrics;
        metrics["sessions"] = cohort.sessions.size();
        metrics["display_session"] = shown_json["session"];
        tally.write_into(metrics);
        if (!kept_rates.empty()) {
            std::sort(kept_rates.begin(), kept_rates.end());
            metrics["median_firing_rate_hz"] = kept_rates[kept_rates.size() / 2];
        }
        metrics["quality_metric_agreement"] = agreement.to_json();
        metrics["spikes_in_window"] = shown_json["spikes_in_window"];
        return metrics;
    });
}
