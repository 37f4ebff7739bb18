// Preprocessing of binned spike counts for the teacher: a variance-stabilising transform (√x or
// log(1 + x)), then a per-unit z-score whose mean and standard deviation are fitted on the
// training rows only, so nothing about held-out bins leaks into the model's input.
//
// With state scaling "moments" the offset and gain are per (brain state, unit): a frozen
// FiLM-style read-in (Perez et al. 2018) set from each state's training moments. The brain state
// of a bin comes from the recording's stimulus blocks (active task, passive replay, other), never
// from image or behaviour labels. Offset = the state's mean of f(x). Gain follows the
// modulated-Poisson / affine-gain models of cortical variability (Goris et al. 2014, Nat.
// Neurosci. 17:858; Lin et al. 2015, Neuron 87:644): a count is Poisson given a rate whose
// stimulus- and latent-driven part is scaled by the state, so the state's gain is the SD of f(x)
// with the Poisson part removed,
//     σ²_sig(k, u) = Var_k[f(x_u)] − Var[f(N)],  N ∼ Poisson(m_ku), m_ku = the state's mean count,
// and the input is divided by σ_w(u)·σ_sig(k, u)/σ̄_sig(u) (σ_w: the pooled within-state SD,
// σ̄_sig: the bin-weighted RMS of the states' σ_sig), which keeps each unit on the z-score scale
// while removing the states' relative gain. A state with fewer than `min_state_bins` training
// bins keeps the global z-score. A bin may belong to a state without defining its moments
// (label no_state when fitting): bins whose stimuli differ from the rest of the state would mix
// their own latent means into the state's offset.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../core/tensor.hpp"
#include "../data/count_source.hpp"
#include "../data/time_split.hpp"
#include "config.hpp"

namespace jepasnn::jepa {

enum class CountTransform { sqrt, log1p, none };

constexpr std::array<std::pair<CountTransform, std::string_view>, 3> enum_names(CountTransform) {
    return {{{CountTransform::sqrt, "sqrt"},
             {CountTransform::log1p, "log1p"},
             {CountTransform::none, "none"}}};
}

inline double apply_transform(CountTransform t, double x) {
    switch (t) {
        case CountTransform::sqrt:
            return std::sqrt(x);
        case CountTransform::log1p:
            return std::log1p(x);
        case CountTransform::none:
            return x;
    }
    return x;
}

/// Var[f(N)] for N ∼ Poisson(m): the variance a transform f keeps of pure Poisson noise (m for
/// no transform, → 1/4 for √x as m grows), summed over the pmf up to m + 12√m + 30.
inline double poisson_transform_variance(CountTransform t, double m) {
    if (!(m > 0.0)) return 0.0;
    if (t == CountTransform::none) return m;
    const auto last = static_cast<long>(m + 12.0 * std::sqrt(m) + 30.0);
    double e1 = 0.0, e2 = 0.0;
    for (long k = 0; k <= last; ++k) {
        const double kd = static_cast<double>(k);
        const double p = std::exp(kd * std::log(m) - m - std::lgamma(kd + 1.0));
        const double y = apply_transform(t, kd);
        e1 += p * y;
        e2 += p * y * y;
    }
    return std::max(0.0, e2 - e1 * e1);
}

/// How the scaler treats brain states: one z-score per unit; a frozen per-(state, unit) offset
/// and gain from that state's moments with the Poisson part removed (file comment); or a plain
/// z-score per state (the gain is the state's whole SD, Poisson noise included: the ablation).
enum class StateScaling { none, moments, zscore };

constexpr std::array<std::pair<StateScaling, std::string_view>, 3> enum_names(StateScaling) {
    return {{{StateScaling::none, "none"},
             {StateScaling::moments, "moments"},
             {StateScaling::zscore, "zscore"}}};
}

/// transform, then (x − mean_u)/scale_u per unit u, or (x − mean_ku)/scale_ku in state k.
struct UnitScaler {
    /// Training bins a state needs for its own moments; fewer keep the global z-score.
    static constexpr Index min_state_bins = 100;
    /// A fitting label: the bin counts toward the global moments but toward no state's.
    static constexpr std::uint8_t no_state = 255;

    CountTransform transform = CountTransform::sqrt;
    StateScaling state_scaling = StateScaling::none;
    Vector<double> mean;   // (U) of the transformed training rows
    Vector<double> scale;  // (U) population standard deviation; 1 for a unit constant there
    Index states = 0;      // state labels 0 .. states − 1 (with state scaling only)
    Vector<double> state_mean, state_scale;  // (states·U), entry k·U + u (with state scaling)

    Index units() const { return mean.size(); }
    bool per_state() const { return state_scaling != StateScaling::none; }

    /// Fits on the rows of `counts` (bins × units) inside `train`. Counts must be finite and
    /// non-negative. With state scaling, `state` labels every bin with the state whose moments
    /// it defines (0 .. S − 1) or no_state.
    template <class Derived>
    static UnitScaler fit(const Eigen::MatrixBase<Derived>& counts,
                          std::span<const data::RowRange> train, CountTransform transform,
                          StateScaling scaling = StateScaling::none,
                          std::span<const std::uint8_t> state = {}) {
        Moments m(counts.cols(), counts.rows(), transform, scaling, state);
        for (const data::RowRange& r : train) {
            m.check(r);
            m.add(counts.middleRows(r.begin, r.end - r.begin), r.begin);
        }
        return m.finish();
    }

    /// The same fit in one pass over the training rows of `counts`, read `block_bins` bins at a
    /// time: rows are summed in the same order, so the result is bitwise that of fitting the
    /// whole matrix, whatever the block size.
    static UnitScaler fit(const data::CountSource& counts, std::span<const data::RowRange> train,
                          CountTransform transform, StateScaling scaling = StateScaling::none,
                          std::span<const std::uint8_t> state = {},
                          Index block_bins = stream_block_rows) {
        require(block_bins >= 1, "jepa::UnitScaler::fit", "block_bins is ", block_bins,
                ", expected >= 1");
        Moments m(counts.units(), counts.bins(), transform, scaling, state);
        for (const data::RowRange& r : train) {
            m.check(r);
            for (Index b = r.begin; b < r.end; b += block_bins) {
                const Index n = std::min(block_bins, r.end - b);
                counts.visit_rows(b, n, [&](const auto& rows) { m.add(rows, b); });
            }
        }
        return m.finish();
    }

    /// The model input (bins × units) for counts of the same units; `state` labels every bin
    /// when the scaler is per state. Errors number the bins from `first_bin`.
    template <class T, class Derived>
    RowMatrix<T> apply(const Eigen::MatrixBase<Derived>& counts,
                       std::span<const std::uint8_t> state = {}, Index first_bin = 0) const {
        constexpr std::string_view where = "jepa::UnitScaler::apply";
        using Count = typename Derived::Scalar;
        require(counts.cols() == units(), where, "counts have ", counts.cols(),
                " units, the scaler was fitted on ", units());
        if (per_state()) {
            require(static_cast<Index>(state.size()) == counts.rows(), where, "state labels ",
                    state.size(), " bins, the counts have ", counts.rows());
            for (std::size_t t = 0; t < state.size(); ++t)
                require(state[t] < states, where, "bin ", first_bin + static_cast<Index>(t),
                        " has state ", int(state[t]), ", the scaler was fitted on states 0..",
                        states - 1);
        }
        // Whole counts below 256 take f(x) from a table of the same function: the same values,
        // without a square root or logarithm per count.
        std::array<double, 256> table{};
        if constexpr (std::is_integral_v<Count>)
            for (std::size_t c = 0; c < table.size(); ++c)
                table[c] = apply_transform(transform, static_cast<double>(c));
        const Index n = units();
        RowMatrix<T> out(counts.rows(), counts.cols());
        for (Index t = 0; t < counts.rows(); ++t) {
            const Index base = per_state() ? state[static_cast<std::size_t>(t)] * n : 0;
            const double* mu = per_state() ? state_mean.data() + base : mean.data();
            const double* sd = per_state() ? state_scale.data() + base : scale.data();
            for (Index u = 0; u < n; ++u) {
                const Count c = counts(t, u);
                double y;
                if constexpr (std::is_integral_v<Count>) {
                    if (c >= 0 && static_cast<std::size_t>(c) < table.size()) {
                        y = table[static_cast<std::size_t>(c)];
                    } else {
                        y = apply_transform(transform, checked_count(c, first_bin + t, u, where));
                    }
                } else {
                    y = apply_transform(transform, checked_count(c, first_bin + t, u, where));
                }
                out(t, u) = static_cast<T>((y - mu[u]) / sd[u]);
            }
        }
        return out;
    }

    /// The model input of bins [first, first + n) of `counts` (n × units); `state` labels every
    /// bin of the session when the scaler is per state. Bitwise the rows of applying it to the
    /// whole session.
    template <class T>
    RowMatrix<T> apply(const data::CountSource& counts, Index first, Index n,
                       std::span<const std::uint8_t> state = {}) const {
        require(!per_state() || static_cast<Index>(state.size()) == counts.bins(),
                "jepa::UnitScaler::apply", "state labels ", state.size(), " bins, the counts have ",
                counts.bins());
        const auto window = per_state() ? state.subspan(static_cast<std::size_t>(first),
                                                        static_cast<std::size_t>(n))
                                        : std::span<const std::uint8_t>{};
        return counts.visit_rows(first, n,
                                 [&](const auto& rows) { return apply<T>(rows, window, first); });
    }

    static void fields(auto& s, auto&& field) {
        field("transform", s.transform);
        field("mean", s.mean);
        field("scale", s.scale);
        field("state_scaling", s.state_scaling);
        field("states", s.states);
        field("state_mean", s.state_mean);
        field("state_scale", s.state_scale);
    }
    void validate(std::string_view where) const {
        require(units() > 0 && mean.size() == scale.size(), where, "mean has ", mean.size(),
                " units and scale ", scale.size(), ", expected the same number > 0");
        check_moments(where, mean, scale, false);
        const Index expected = per_state() ? states * units() : 0;
        require(per_state() ? states >= 1 : states == 0, where, "states is ", states,
                per_state() ? ", expected >= 1" : ", expected 0 without state scaling");
        require(state_mean.size() == expected && state_scale.size() == expected, where,
                "state_mean and state_scale have ", state_mean.size(), " and ", state_scale.size(),
                " entries, expected ", expected, " (states × units)");
        check_moments(where, state_mean, state_scale, true);
    }

  private:
    /// Per group (the states, then bins of no state's moments): Σ f(x), Σ f(x)², Σ x and the bin
    /// count, summed row by row in bin order.
    struct Moments {
        CountTransform transform;
        StateScaling scaling;
        Index bins, states;
        std::span<const std::uint8_t> state;
        RowMatrix<double> sum, sum2, raw;
        std::vector<Index> n;

        Moments(Index units, Index bins_, CountTransform transform_, StateScaling scaling_,
                std::span<const std::uint8_t> state_)
            : transform(transform_), scaling(scaling_), bins(bins_), states(0), state(state_) {
            require(units > 0, where, "counts have no units");
            if (scaling != StateScaling::none) states = count_states(state, bins, where);
            const Index groups = states + 1;
            sum = RowMatrix<double>::Zero(groups, units);
            sum2 = sum;
            raw = sum;
            n.assign(static_cast<std::size_t>(groups), 0);
        }

        void check(const data::RowRange& r) const {
            require(r.begin >= 0 && r.end <= bins && r.begin <= r.end, where, "training rows [",
                    r.begin, ", ", r.end, ") fall outside the ", bins, " bins");
        }

        /// Adds `rows`, bins first .. first + rows.rows() − 1 of the session.
        template <class Rows>
        void add(const Rows& rows, Index first) {
            for (Index i = 0; i < rows.rows(); ++i) {
                const Index t = first + i;
                const std::uint8_t label = states > 0 ? state[static_cast<std::size_t>(t)] : 0;
                const Index k = label == no_state ? states : label;
                for (Index u = 0; u < rows.cols(); ++u) {
                    const double x = checked_count(rows(i, u), t, u, where);
                    const double y = apply_transform(transform, x);
                    sum(k, u) += y;
                    sum2(k, u) += y * y;
                    raw(k, u) += x;
                }
                ++n[static_cast<std::size_t>(k)];
            }
        }

        UnitScaler finish() const {
            UnitScaler s;
            s.transform = transform;
            s.state_scaling = scaling;
            s.states = states;
            Index total = 0;
            for (const Index c : n)
                total += c;
            require(total > 0, where, "no training rows to fit the z-score on");
            const Vector<double> all = sum.colwise().sum().transpose();
            const Vector<double> all2 = sum2.colwise().sum().transpose();
            s.mean = all / static_cast<double>(total);
            s.scale.resize(all.size());
            for (Index u = 0; u < all.size(); ++u)
                s.scale(u) =
                    sd_or_one(all2(u) / static_cast<double>(total) - s.mean(u) * s.mean(u));
            if (s.states > 0) s.fit_states(sum, sum2, raw, n);
            return s;
        }

        static constexpr std::string_view where = "jepa::UnitScaler::fit";
    };

    template <class V>
    static double checked_count(V value, Index t, Index u, std::string_view where) {
        const double x = static_cast<double>(value);
        require(std::isfinite(x) && x >= 0.0, where, "count at bin ", t, ", unit ", u, " is ", x,
                ", expected a finite value >= 0");
        return x;
    }

    static double sd_or_one(double var) { return var > 1e-12 ? std::sqrt(var) : 1.0; }

    static Index count_states(std::span<const std::uint8_t> state, Index bins,
                              std::string_view where) {
        require(static_cast<Index>(state.size()) == bins, where, "state labels ", state.size(),
                " bins, the counts have ", bins, " (state scaling needs a state per bin)");
        Index states = 0;
        for (const std::uint8_t k : state)
            if (k != no_state) states = std::max<Index>(states, Index{k} + 1);
        require(states > 0, where, "no bin is labelled with a state to fit");
        return states;
    }

    /// mu/sd hold one entry per unit, state-major when there are several states.
    void check_moments(std::string_view where, const Vector<double>& mu, const Vector<double>& sd,
                       bool of_states) const {
        for (Index i = 0; i < mu.size(); ++i)
            require(std::isfinite(mu(i)) && std::isfinite(sd(i)) && sd(i) > 0.0, where, "unit ",
                    i % units(), of_states ? " in state " + std::to_string(i / units()) : "",
                    " has mean ", mu(i), " and scale ", sd(i),
                    ", expected finite values and scale > 0");
    }

    /// state_mean/state_scale from the per-state sums (file comment); states with fewer than
    /// min_state_bins training bins keep the global z-score.
    void fit_states(const RowMatrix<double>& sum, const RowMatrix<double>& sum2,
                    const RowMatrix<double>& raw, const std::vector<Index>& n) {
        const Index units = mean.size();
        state_mean.resize(states * units);
        state_scale.resize(states * units);
        for (Index u = 0; u < units; ++u) {
            double within = 0.0, signal = 0.0, bins = 0.0;  // Σ n_k·var_k, Σ n_k·σ²_sig, Σ n_k
            std::vector<double> sig(static_cast<std::size_t>(states), 0.0);  // 0: global z-score
            for (Index k = 0; k < states; ++k) {
                const std::size_t ks = static_cast<std::size_t>(k);
                const double nk = static_cast<double>(n[ks]);
                state_mean(k * units + u) = mean(u);
                state_scale(k * units + u) = scale(u);
                if (n[ks] < min_state_bins) continue;
                const double mu = sum(k, u) / nk;
                state_mean(k * units + u) = mu;
                const double var = sum2(k, u) / nk - mu * mu;
                if (!(var > 1e-12)) continue;  // constant in this state: its offset, unit gain
                const double noise = state_scaling == StateScaling::moments
                                         ? poisson_transform_variance(transform, raw(k, u) / nk)
                                         : 0.0;
                // At least 1% of the variance counts as signal, so a unit the Poisson part
                // explains entirely keeps a finite gain.
                sig[ks] = std::max(var - noise, 0.01 * var);
                within += nk * var;
                signal += nk * sig[ks];
                bins += nk;
            }
            for (Index k = 0; k < states; ++k)
                if (sig[static_cast<std::size_t>(k)] > 0.0)
                    state_scale(k * units + u) =
                        std::sqrt(within * sig[static_cast<std::size_t>(k)] / signal);
        }
    }
};

/// Brain-state labels of a recording's bins: `state` is the state of every bin (the scaler applies
/// that state's offset and gain), `moments` the state whose moments the bin defines, or
/// UnitScaler::no_state (empty: the same as `state`).
struct StateLabels {
    std::vector<std::uint8_t> state, moments;
};

}  // namespace jepasnn::jepa
