// Homeostatic firing-rate penalties (DESIGN.md, "Homeostasis"): a quadratic band penalty that is
// zero while a rate stays inside [r_lo, r_hi] and grows outside it, per neuron and per population
// (E and I may have different bands). Rates are in Hz; the network turns dL/dr into a constant per
// neuron added to dL/dS, since r_i = Σ S / (B·T·dt).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "../core/error.hpp"
#include "../core/settings.hpp"
#include "../core/type_list.hpp"

namespace jepasnn::constraints {

/// Which neurons form which population: the first `excitatory` rates are E, the next
/// `inhibitory` are I (the network's ordering).
struct PopulationSizes {
    std::size_t excitatory = 0;
    std::size_t inhibitory = 0;
    std::size_t total() const { return excitatory + inhibitory; }
};

/// The `RatePenalty` policy kind: a penalty on per-neuron rates and its gradient. The policy is
/// its own settings struct (core/settings.hpp), so a config sets it by name (PolicySettings).
///
///     struct MyRatePenalty {
///         static constexpr std::string_view name = "my_penalty";
///         double weight = 1.0;
///         static void fields(auto& s, auto&& field) { field("weight", s.weight); }
///         template <class T>   // returns L; adds dL/dr_i into d_rates[i]
///         T evaluate(std::span<const T> rates_hz, PopulationSizes sizes,
///                    std::span<T> d_rates) const;
///     };
template <class P, class T>
concept RatePenalty = Settings<P> &&
    requires(const P p, std::span<const T> rates, PopulationSizes sizes, std::span<T> d_rates) {
    { P::name } -> std::convertible_to<std::string_view>;
    { p.evaluate(rates, sizes, d_rates) } -> std::convertible_to<T>;
};

/// An allowed firing-rate interval, in Hz.
struct RateBand {
    double low_hz = 5.0;
    double high_hz = 20.0;

    static void fields(auto& s, auto&& field) {
        field("low_hz", s.low_hz);
        field("high_hz", s.high_hz);
    }
    bool valid() const { return 0.0 <= low_hz && low_hz <= high_hz && std::isfinite(high_hz); }
    void validate(std::string_view where) const {
        require(valid(), where, "the band [", low_hz, ", ", high_hz, "] Hz needs 0 <= low <= high");
    }

    /// [lo − r]₊² + [r − hi]₊²
    template <class T>
    T penalty(T r) const {
        const T below = std::max(T(low_hz) - r, T(0));
        const T above = std::max(r - T(high_hz), T(0));
        return below * below + above * above;
    }
    /// d/dr of penalty(r): −2[lo − r]₊ + 2[r − hi]₊
    template <class T>
    T derivative(T r) const {
        return T(2) * (std::max(r - T(high_hz), T(0)) - std::max(T(low_hz) - r, T(0)));
    }
};

/// L = λ_n/N Σ_i band_{pop(i)}(r_i) + λ_p Σ_{pop ∈ {E, I}} band_pop(r̄_pop)   (DESIGN.md), with the
/// population term taken per population so that E and I can hold different bands; r̄_pop is the
/// population's mean rate (an empty population contributes nothing).
struct HomeostaticBand {
    static constexpr std::string_view name = "band";
    RateBand excitatory{5.0, 20.0};
    RateBand inhibitory{5.0, 20.0};
    double neuron_weight = 1e-2;      // λ_n, in Hz⁻²
    double population_weight = 1e-2;  // λ_p, in Hz⁻²

    static void fields(auto& s, auto&& field) {
        field("excitatory", s.excitatory);
        field("inhibitory", s.inhibitory);
        field("neuron_weight", s.neuron_weight);
        field("population_weight", s.population_weight);
    }
    void validate(std::string_view where) const {
        // (evaluate calls this every step: the nested names are built only on failure)
        if (!excitatory.valid()) excitatory.validate(std::string(where).append(": excitatory"));
        if (!inhibitory.valid()) inhibitory.validate(std::string(where).append(": inhibitory"));
        require(neuron_weight >= 0.0 && population_weight >= 0.0 && std::isfinite(neuron_weight) &&
                    std::isfinite(population_weight),
                where, "neuron_weight and population_weight must be finite and >= 0");
    }

    template <class T>
    T evaluate(std::span<const T> rates, PopulationSizes sizes, std::span<T> d_rates) const {
        const std::size_t n = sizes.total();
        require_size("HomeostaticBand::evaluate", "rates", rates.size(), n, "neurons");
        require_size("HomeostaticBand::evaluate", "d_rates", d_rates.size(), n, "neurons");
        validate("HomeostaticBand");
        if (n == 0) return T(0);
        T loss = T(0);
        const T per_neuron = T(neuron_weight) / T(n);
        for (std::size_t i = 0; i < n; ++i) {
            const RateBand& band = i < sizes.excitatory ? excitatory : inhibitory;
            loss += per_neuron * band.penalty(rates[i]);
            d_rates[i] += per_neuron * band.derivative(rates[i]);
        }
        loss += population_term(rates, d_rates, 0, sizes.excitatory, excitatory);
        loss += population_term(rates, d_rates, sizes.excitatory, n, inhibitory);
        return loss;
    }

  private:
    template <class T>
    T population_term(std::span<const T> rates, std::span<T> d_rates, std::size_t begin,
                      std::size_t end, const RateBand& band) const {
        if (end <= begin) return T(0);
        const T count = T(end - begin);
        T mean = T(0);
        for (std::size_t i = begin; i < end; ++i)
            mean += rates[i];
        mean /= count;
        // ∂r̄/∂r_i = 1/count for every member of the population.
        const T d_mean = T(population_weight) * band.derivative(mean) / count;
        for (std::size_t i = begin; i < end; ++i)
            d_rates[i] += d_mean;
        return T(population_weight) * band.penalty(mean);
    }
};

/// No rate penalty (the "without homeostasis" ablation).
struct NoRatePenalty {
    static constexpr std::string_view name = "none";
    static void fields(auto&, auto&&) {}

    template <class T>
    T evaluate(std::span<const T>, PopulationSizes, std::span<T>) const {
        return T(0);
    }
};

static_assert(RatePenalty<HomeostaticBand, float> && RatePenalty<HomeostaticBand, double>);
static_assert(RatePenalty<NoRatePenalty, double>);

/// Every rate penalty a student config can set, by name.
using RatePenalties = TypeList<HomeostaticBand, NoRatePenalty>;

}  // namespace jepasnn::constraints
