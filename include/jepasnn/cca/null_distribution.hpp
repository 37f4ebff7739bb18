// Honest scores: the distribution of a similarity measure when the two views are unrelated, at the
// same n, by reordering Y's rows. Row permutations destroy all structure (exchangeable samples);
// circular time shifts keep each view's autocorrelation and only break the alignment, which is the
// right null for time series (binned spikes, latents), where permutations are anti-conservative.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/rng.hpp"
#include "../core/streams.hpp"
#include "../core/threads.hpp"
#include "similarity_measure.hpp"

namespace jepasnn::cca {

enum class NullKind {
    permutation,    // Y's rows uniformly permuted
    circular_shift  // Y's rows rotated by k, min_shift <= k <= n − min_shift
};

inline std::string null_kind_name(NullKind k) {
    return k == NullKind::permutation ? "permutation" : "circular_shift";
}

struct NullOptions {
    NullKind kind = NullKind::permutation;
    Index samples = 1000;    // null draws K >= 2
    std::uint64_t seed = 0;  // null sample s draws from stream (seed, stream_id(tag, s))
    Index min_shift = 0;     // circular shifts only; 0 selects max(1, n/20)
};

/// The observed value of a measure against its null at the same n.
struct NullDistribution {
    std::string statistic;  // what the measure returns, e.g. "mean_cca"
    NullKind kind = NullKind::permutation;
    std::uint64_t seed = 0;
    Index min_shift = 0;  // the value used (circular shifts)
    double observed = 0.0;
    std::vector<double> samples;  // (K) in draw order
    double mean = 0.0;
    double sd = 0.0;  // sample standard deviation (K − 1)
    /// (1 + #{null >= observed}) / (K + 1): never 0, exact for a finite number of draws (Phipson &
    /// Smyth, "Permutation p-values should never be zero", Stat. Appl. Genet. Mol. Biol. 9, 2010).
    double p_value = 1.0;
    double z_score = 0.0;  // (observed − mean) / sd

    /// The q-quantile of the null draws (linear interpolation between order statistics, numpy's
    /// default), e.g. quantile(0.95) for the 95th percentile a score must beat.
    double quantile(double q) const {
        require(q >= 0.0 && q <= 1.0, "NullDistribution::quantile", "q must be in [0, 1], found ",
                q);
        require(!samples.empty(), "NullDistribution::quantile", "no null samples");
        std::vector<double> sorted = samples;
        std::sort(sorted.begin(), sorted.end());
        const double at = q * static_cast<double>(sorted.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(at));
        const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
        return sorted[lo] + (at - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
    }
};

namespace detail {

/// The order of Y's rows for null sample s: row t of the reordered Y is Y[order[t]].
inline void null_order(std::vector<Index>& order, NullKind kind, std::uint64_t seed,
                       std::uint64_t sample, Index min_shift) {
    const auto n = static_cast<Index>(order.size());
    RandomStream rng(seed, stream_id(streams::cca_null, static_cast<std::uint32_t>(sample)));
    if (kind == NullKind::permutation) {
        for (Index t = 0; t < n; ++t)
            order[static_cast<std::size_t>(t)] = t;
        rng.shuffle(order.begin(), order.end());
        return;
    }
    const auto span = static_cast<std::uint64_t>(n - 2 * min_shift + 1);
    const Index shift = min_shift + static_cast<Index>(rng.uniform_index(span));
    for (Index t = 0; t < n; ++t)
        order[static_cast<std::size_t>(t)] = (t + shift) % n;
}

inline void summarize_null(NullDistribution& d) {
    const auto k = static_cast<double>(d.samples.size());
    double sum = 0.0;
    std::size_t at_least = 0;
    for (double s : d.samples) {
        sum += s;
        at_least += s >= d.observed ? 1 : 0;
    }
    d.mean = sum / k;
    double ss = 0.0;
    for (double s : d.samples)
        ss += (s - d.mean) * (s - d.mean);
    d.sd = std::sqrt(ss / (k - 1.0));
    d.p_value = (1.0 + static_cast<double>(at_least)) / (k + 1.0);
    require(d.sd > 0.0, "cca::null_distribution", "the null draws of ", d.statistic,
            " are all equal (", d.mean, "): no spread to test against");
    d.z_score = (d.observed - d.mean) / d.sd;
}

}  // namespace detail

/// The null distribution of `measure` for views x (n × p) and y (n × q): K draws with Y's rows
/// permuted or circularly shifted, each from its own counter-based stream, in parallel; same
/// seed → the same draws bitwise, whatever the thread count. Measures that model
/// PreparedSimilarityMeasure (Cca) preprocess once and score each draw cheaply.
/// Throws Error for bad options, bad views, or a null without spread.
template <class M, class DX, class DY>
NullDistribution null_distribution(const M& measure, const Eigen::MatrixBase<DX>& x,
                                   const Eigen::MatrixBase<DY>& y,
                                   const NullOptions& options = {}) {
    static_assert(SimilarityMeasure<M>,
                  "cca::null_distribution: the measure must model SimilarityMeasure "
                  "(jepasnn/cca/similarity_measure.hpp): std::string statistic() const and "
                  "double operator()(const ConstRowRef<double>&, const ConstRowRef<double>&) "
                  "const");
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    constexpr std::string_view where = "cca::null_distribution";
    // cast<double>() of double data is the data itself: no copy for row-major double input.
    const ConstRowRef<double> xd(x.derived().template cast<double>());
    const ConstRowRef<double> yd(y.derived().template cast<double>());
    const Index n = xd.rows();
    require(options.samples >= 2, where, "needs at least 2 null samples, found ", options.samples);
    require(yd.rows() == n, where, "X has ", n, " rows and Y has ", yd.rows(),
            ", expected the same number of samples (rows) in both");
    NullDistribution d;
    d.statistic = measure.statistic();
    d.kind = options.kind;
    d.seed = options.seed;
    if (options.kind == NullKind::circular_shift) {
        d.min_shift = options.min_shift > 0 ? options.min_shift : std::max<Index>(1, n / 20);
        require(n >= 2 * d.min_shift, where, "min_shift ", d.min_shift, " leaves no shift for ", n,
                " rows, expected min_shift <= n/2");
    }
    d.observed = measure(xd, yd);
    d.samples.resize(static_cast<std::size_t>(options.samples));

    if constexpr (PreparedSimilarityMeasure<M>) {
        const typename M::Prepared prepared = measure.prepare(xd, yd);
        parallel_for(0, options.samples, [&](std::int64_t s) {
            std::vector<Index> order(static_cast<std::size_t>(n));
            detail::null_order(order, d.kind, d.seed, static_cast<std::uint64_t>(s), d.min_shift);
            d.samples[static_cast<std::size_t>(s)] = measure.score(prepared, order);
        });
    } else {
        parallel_for(0, options.samples, [&](std::int64_t s) {
            std::vector<Index> order(static_cast<std::size_t>(n));
            detail::null_order(order, d.kind, d.seed, static_cast<std::uint64_t>(s), d.min_shift);
            RowMatrix<double> reordered(n, yd.cols());  // (n, q)
            for (Index t = 0; t < n; ++t)
                reordered.row(t) = yd.row(order[static_cast<std::size_t>(t)]);
            d.samples[static_cast<std::size_t>(s)] = measure(xd, reordered);
        });
    }
    detail::summarize_null(d);
    return d;
}

/// The null of mean CCA (or another CcaSummary) with CcaOptions: the common call.
template <class DX, class DY>
NullDistribution cca_null(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y,
                          const NullOptions& options = {}, const CcaOptions& cca_options = {},
                          CcaSummary summary = CcaSummary::mean) {
    return null_distribution(Cca{cca_options, summary}, x, y, options);
}

}  // namespace jepasnn::cca
