// Per-neuron excitatory and inhibitory input currents of a LIF population, summed over a run, for
// the E/I balance metrics (means, I/E ratio, E–I correlation).
#pragma once

#include <cmath>

#include "../core/tensor.hpp"

namespace jepasnn::lif {

/// Per-neuron sums of the excitatory (external + E presynaptic) and inhibitory (I presynaptic)
/// input currents over every (sequence, step), for the E/I balance metrics.
struct CurrentStatistics {
    Vector<double> sum_excitatory, sum_inhibitory;                     // (N)
    Vector<double> sum_excitatory_sq, sum_inhibitory_sq, sum_product;  // (N)
    double samples = 0.0;                                              // sequences × steps

    void reset(Index neurons) {
        for (Vector<double>* v : {&sum_excitatory, &sum_inhibitory, &sum_excitatory_sq,
                                  &sum_inhibitory_sq, &sum_product})
            v->setZero(neurons);
        samples = 0.0;
    }
    void add(const CurrentStatistics& other) {
        sum_excitatory += other.sum_excitatory;
        sum_inhibitory += other.sum_inhibitory;
        sum_excitatory_sq += other.sum_excitatory_sq;
        sum_inhibitory_sq += other.sum_inhibitory_sq;
        sum_product += other.sum_product;
        samples += other.samples;
    }
    Vector<double> mean_excitatory() const { return sum_excitatory / samples; }
    Vector<double> mean_inhibitory() const { return sum_inhibitory / samples; }
    /// |mean inhibitory current| / mean excitatory current, over the whole population.
    double inhibitory_excitatory_ratio() const {
        return std::abs(sum_inhibitory.sum()) / sum_excitatory.sum();
    }
    /// Per-neuron Pearson correlation of the E and I currents over time and batch (NaN where a
    /// current is constant).
    Vector<double> correlation() const {
        const Vector<double> me = mean_excitatory(), mi = mean_inhibitory();
        Vector<double> r(me.size());
        for (Index n = 0; n < me.size(); ++n) {
            const double cov = sum_product(n) / samples - me(n) * mi(n);
            const double ve = sum_excitatory_sq(n) / samples - me(n) * me(n);
            const double vi = sum_inhibitory_sq(n) / samples - mi(n) * mi(n);
            r(n) = cov / std::sqrt(ve * vi);
        }
        return r;
    }
};

}  // namespace jepasnn::lif
