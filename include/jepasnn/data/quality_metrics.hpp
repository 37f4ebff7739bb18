// Unit quality metrics recomputed from the spikes, and their comparison with the values stored in
// the file: Phase 0's data-quality validation. Definitions follow the Allen Institute's
// ecephys quality metrics (which the VBN units table stores):
//   firing rate      n / T over the metric range T;
//   ISI violations   Hill, Mehta & Kleinfeld (2011, J Neurosci 31:8699): with refractory period
//                    τ_r (1.5 ms) and censored period τ_c, after dropping spikes within τ_c of
//                    the previous one, violations v = #{ISI < τ_r}, violation rate
//                    v / (2 n (τ_r − τ_c)), reported relative to the unit's rate n / T;
//   presence ratio   the fraction of 100 equal blocks of the range that hold a spike;
//   amplitude cutoff Hill et al. (2011): the fraction of spikes missed below the detection
//                    threshold, estimated from the amplitude histogram (500 bins, Gaussian
//                    smoothing σ = 3 bins) as the mass above the point on the high side whose
//                    density equals the density at the low edge, capped at 0.5.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/threads.hpp"
#include "time_range.hpp"
#include "units.hpp"

namespace jepasnn::data {

struct MetricOptions {
    double refractory_s = 0.0015;  // τ_r
    double censored_s = 0.0;       // τ_c: spikes closer than this are duplicates
    std::size_t presence_blocks = 100;
    std::size_t amplitude_bins = 500;
    double amplitude_smoothing_bins = 3.0;
    /// The range over which rates and presence are measured; default: the earliest to the latest
    /// spike of the whole table (as the Allen pipeline does for a recording).
    std::optional<TimeRange> range;
};

/// n / duration.
inline double firing_rate(std::span<const double> t, TimeRange range) {
    return static_cast<double>(t.size()) / range.duration();
}

/// Hill et al. (2011) ISI-violation ratio; NaN for a unit without spikes.
inline double isi_violation_ratio(std::span<const double> t, TimeRange range,
                                  const MetricOptions& o = {}) {
    std::size_t n = 0, violations = 0;
    double previous = 0.0;
    for (std::size_t k = 0; k < t.size(); ++k) {
        if (n > 0) {
            const double isi = t[k] - previous;
            if (isi <= o.censored_s) continue;  // a duplicate: dropped
            if (isi < o.refractory_s) ++violations;
        }
        previous = t[k];
        ++n;
    }
    if (n == 0) return std::nan("");
    const double violation_time = 2.0 * static_cast<double>(n) * (o.refractory_s - o.censored_s);
    const double total_rate = static_cast<double>(n) / range.duration();
    return (static_cast<double>(violations) / violation_time) / total_rate;
}

/// The fraction of `blocks` equal blocks of `range` holding at least one spike (the last block
/// includes range.stop).
inline double presence_ratio(std::span<const double> t, TimeRange range, std::size_t blocks = 100) {
    std::vector<char> seen(blocks, 0);
    const double width = range.duration() / static_cast<double>(blocks);
    for (double s : t) {
        if (s < range.start || s > range.stop) continue;
        const auto b = std::min(blocks - 1, static_cast<std::size_t>((s - range.start) / width));
        seen[b] = 1;
    }
    return static_cast<double>(std::count(seen.begin(), seen.end(), 1)) /
           static_cast<double>(blocks);
}

/// Hill et al. (2011) amplitude cutoff; NaN without amplitudes.
inline double amplitude_cutoff(std::span<const double> amplitudes, const MetricOptions& o = {}) {
    if (amplitudes.size() < 2) return std::nan("");
    const auto [lo_it, hi_it] = std::minmax_element(amplitudes.begin(), amplitudes.end());
    const double lo = *lo_it, hi = *hi_it;
    if (!(hi > lo)) return 0.0;
    const std::size_t n_bins = o.amplitude_bins;
    const double width = (hi - lo) / static_cast<double>(n_bins);
    // Density histogram: counts / (n · width).
    std::vector<double> pdf(n_bins, 0.0);  // (n_bins,)
    for (double a : amplitudes)
        pdf[std::min(n_bins - 1, static_cast<std::size_t>((a - lo) / width))] += 1.0;
    for (double& p : pdf)
        p /= static_cast<double>(amplitudes.size()) * width;
    // Gaussian smoothing, kernel truncated at 4σ, mirrored ("reflect") at both ends.
    const double sigma = o.amplitude_smoothing_bins;
    const auto radius = static_cast<std::ptrdiff_t>(4.0 * sigma + 0.5);
    std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
    double kernel_sum = 0.0;
    for (std::ptrdiff_t i = -radius; i <= radius; ++i)
        kernel_sum += kernel[static_cast<std::size_t>(i + radius)] =
            std::exp(-0.5 * static_cast<double>(i * i) / (sigma * sigma));
    const auto n = static_cast<std::ptrdiff_t>(n_bins);
    auto reflect = [n](std::ptrdiff_t i) {
        while (i < 0 || i >= n)
            i = i < 0 ? -i - 1 : 2 * n - i - 1;
        return static_cast<std::size_t>(i);
    };
    std::vector<double> smoothed(n_bins, 0.0);  // (n_bins,)
    for (std::ptrdiff_t i = 0; i < n; ++i)
        for (std::ptrdiff_t k = -radius; k <= radius; ++k)
            smoothed[static_cast<std::size_t>(i)] +=
                kernel[static_cast<std::size_t>(k + radius)] * pdf[reflect(i + k)] / kernel_sum;
    const std::size_t peak = static_cast<std::size_t>(
        std::max_element(smoothed.begin(), smoothed.end()) - smoothed.begin());
    std::size_t g = peak;
    for (std::size_t i = peak; i < n_bins; ++i)
        if (std::fabs(smoothed[i] - smoothed[0]) < std::fabs(smoothed[g] - smoothed[0])) g = i;
    double missing = 0.0;
    for (std::size_t i = g; i < n_bins; ++i)
        missing += smoothed[i];
    return std::min(missing * width, 0.5);
}

/// The recomputed metrics of every unit (NaN where a metric cannot be computed).
struct UnitMetrics {
    TimeRange range;
    std::vector<double> firing_rate;
    std::vector<double> isi_violations;
    std::vector<double> presence_ratio;
    std::vector<double> amplitude_cutoff;  // NaN without a spike_amplitudes column

    /// n units over `range`, every metric NaN until it is set.
    static UnitMetrics unknown(std::size_t n, TimeRange range) {
        const double nan = std::nan("");
        return {range, std::vector<double>(n, nan), std::vector<double>(n, nan),
                std::vector<double>(n, nan), std::vector<double>(n, nan)};
    }

    /// Unit u's firing rate, ISI violations and presence ratio from its spike times `t` over
    /// `range` (which must have a positive duration).
    void set_spike_time_metrics(std::size_t u, std::span<const double> t, const MetricOptions& o) {
        firing_rate[u] = data::firing_rate(t, range);
        isi_violations[u] = isi_violation_ratio(t, range, o);
        presence_ratio[u] = data::presence_ratio(t, range, o.presence_blocks);
    }
};

/// Recomputes the metrics of every unit from its spikes (and from the ragged spike_amplitudes
/// column, when the table has one, for the amplitude cutoff).
inline UnitMetrics compute_quality_metrics(const UnitTable& units, const MetricOptions& o = {}) {
    require(o.refractory_s > o.censored_s && o.censored_s >= 0.0, "compute_quality_metrics",
            "refractory period ", o.refractory_s, " s must exceed the censored period ",
            o.censored_s, " s >= 0");
    require(o.presence_blocks >= 1 && o.amplitude_bins >= 2, "compute_quality_metrics",
            "need >= 1 presence block and >= 2 amplitude bins");
    const std::size_t n = units.size();
    UnitMetrics m =
        UnitMetrics::unknown(n, o.range ? *o.range : units.spike_extent().value_or(TimeRange{}));
    if (!(m.range.duration() > 0.0)) return m;  // no spikes, or all at one instant
    const Column* amplitudes = units.columns().find("spike_amplitudes");
    if (amplitudes != nullptr && !(amplitudes->is_ragged() && amplitudes->is_numeric() &&
                                   amplitudes->kind() == ColumnKind::real))
        amplitudes = nullptr;
    parallel_for(0, static_cast<std::int64_t>(n), [&](std::int64_t i) {
        const auto u = static_cast<std::size_t>(i);
        m.set_spike_time_metrics(u, units.spike_times(u), o);
        if (amplitudes != nullptr) {
            const auto [first, last] = amplitudes->row_range(u);
            m.amplitude_cutoff[u] =
                amplitude_cutoff(amplitudes->values<double>().subspan(first, last - first), o);
        }
    });
    return m;
}

/// Stored against recomputed values of one metric, over the units where both are finite.
struct MetricComparison {
    std::string metric;
    std::size_t compared = 0;  // units with both values finite
    std::size_t agreeing = 0;  // |stored − recomputed| <= tolerance
    double tolerance = 0.0;
    double max_abs_difference = 0.0;
    double mean_abs_difference = 0.0;
    double correlation = std::nan("");       // Pearson; NaN with < 2 units or no variance
    std::vector<double> stored, recomputed;  // per unit (NaN where missing)

    Json to_json(bool with_values = false) const {
        Json j;
        j["metric"] = metric;
        j["compared"] = compared;
        j["agreeing"] = agreeing;
        j["tolerance"] = tolerance;
        j["max_abs_difference"] = max_abs_difference;
        j["mean_abs_difference"] = mean_abs_difference;
        j["correlation"] = std::isfinite(correlation) ? Json(correlation) : Json(nullptr);
        if (with_values) {
            auto arr = [](const std::vector<double>& v) {
                Json a = Json::array();
                for (double x : v)
                    a.push_back(std::isfinite(x) ? Json(x) : Json(nullptr));
                return a;
            };
            j["stored"] = arr(stored);
            j["recomputed"] = arr(recomputed);
        }
        return j;
    }
};

/// Compares each recomputed metric with the stored column of the same name, where the table has
/// one and the metric could be recomputed (the amplitude cutoff needs spike_amplitudes).
/// Tolerances are absolute (rates in Hz, the others as fractions).
inline std::vector<MetricComparison> compare_quality_metrics(const UnitTable& units,
                                                             const UnitMetrics& m) {
    struct Spec {
        const char* name;
        const std::vector<double>* values;
        double tolerance;
    };
    const Spec specs[] = {{"firing_rate", &m.firing_rate, 0.05},
                          {"isi_violations", &m.isi_violations, 0.05},
                          {"presence_ratio", &m.presence_ratio, 0.02},
                          {"amplitude_cutoff", &m.amplitude_cutoff, 0.02}};
    std::vector<MetricComparison> out;
    for (const Spec& s : specs) {
        const Column* stored = units.columns().find(s.name);
        if (stored == nullptr || !stored->is_scalar() || !stored->is_numeric()) continue;
        if (std::none_of(s.values->begin(), s.values->end(),
                         [](double v) { return std::isfinite(v); }))
            continue;
        MetricComparison c;
        c.metric = s.name;
        c.tolerance = s.tolerance;
        c.stored = stored->reals();
        c.recomputed = *s.values;
        double sum_x = 0, sum_y = 0, sum_xx = 0, sum_yy = 0, sum_xy = 0, sum_abs = 0;
        for (std::size_t u = 0; u < units.size(); ++u) {
            const double x = c.stored[u], y = c.recomputed[u];
            if (!std::isfinite(x) || !std::isfinite(y)) continue;
            const double d = std::fabs(x - y);
            ++c.compared;
            if (d <= c.tolerance) ++c.agreeing;
            c.max_abs_difference = std::max(c.max_abs_difference, d);
            sum_abs += d;
            sum_x += x, sum_y += y, sum_xx += x * x, sum_yy += y * y, sum_xy += x * y;
        }
        if (c.compared > 0) {
            const double k = static_cast<double>(c.compared);
            c.mean_abs_difference = sum_abs / k;
            const double vx = sum_xx - sum_x * sum_x / k, vy = sum_yy - sum_y * sum_y / k;
            if (c.compared >= 2 && vx > 0 && vy > 0)
                c.correlation = (sum_xy - sum_x * sum_y / k) / std::sqrt(vx * vy);
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace jepasnn::data
