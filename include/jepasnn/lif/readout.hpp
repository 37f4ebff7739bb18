// The student's readout: spike trains filtered exponentially into rates (Hz), averaged over each
// 10 ms bin, and read out linearly; with its backward, which is also the population's
// GradientSink (the filter's reverse-time recursion plus a constant per neuron, the homeostatic
// dL/dr turned into dL/dS).
//
//   f_t = λ f_{t−1} + c S_t,   λ = exp(−dt/τ), c = (1 − λ)/dt   (a constant rate r settles at r Hz)
//   F_k = (1/L) Σ_{t ∈ bin k} f_t                                 (B, K, N)
//   Y_k = W_out F_k[readout neurons] + b_out                      (B, K, D)
#pragma once

#include "../core/eigen.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "population.hpp"

namespace jepasnn::lif {

template <class T>
class FilteredReadout {
  public:
    struct Settings {
        Index steps_per_bin = 10;
        double dt_ms = 1.0;
        double tau_ms = 20.0;
        Index readout_neurons = 0;  // the first R neurons (E first) feed the readout
    };

    explicit FilteredReadout(const Settings& settings) : settings_(settings) {
        const double lambda = std::exp(-settings.dt_ms / settings.tau_ms);
        decay_ = static_cast<T>(lambda);
        gain_ = static_cast<T>((1.0 - lambda) / (settings.dt_ms * 1e-3));
    }

    /// Filters the spikes (B, K·L, N) from `initial_trace` (B, N) (zeros when null), computes
    /// rates and the readout.
    template <class Spikes>
    void forward(const Spikes& spikes, const RowMatrix<T>* initial_trace,
                 const Eigen::Map<const Matrix<T>>& w_out,
                 const Eigen::Map<const Matrix<T>>& b_out) {
        const Index batch = spikes.batch(), steps = spikes.steps(), n = spikes.neurons();
        const Index l = settings_.steps_per_bin, d = w_out.rows(), r = settings_.readout_neurons;
        batch_ = batch;
        steps_ = steps;
        bins_ = steps / l;
        filtered_.resize({std::size_t(batch), std::size_t(bins_), std::size_t(n)});
        readout_.resize({std::size_t(batch), std::size_t(bins_), std::size_t(d)});
        final_trace_.resize(batch, n);
        const T inv_l = T(1) / static_cast<T>(l);
        std::vector<Vector<double>> counts(static_cast<std::size_t>(batch));
        parallel_for_if_large(batch * steps * n, 0, batch, [&](std::int64_t b) {
            Vector<T> trace = Vector<T>::Zero(n);  // (N) f_t
            if (initial_trace != nullptr) trace = initial_trace->row(b).transpose();
            Vector<double>& count = counts[static_cast<std::size_t>(b)];
            count.setZero(n);
            Eigen::Map<RowMatrix<T>> f(filtered_.data() + b * bins_ * n, bins_, n);  // (K, N)
            f.setZero();
            for (Index t = 0; t < steps; ++t) {
                trace *= decay_;
                spikes.for_each_active(b, t, [&](Index i, auto s) {
                    trace(i) += gain_ * static_cast<T>(s);
                    count(i) += static_cast<double>(s);
                });
                f.row(t / l) += inv_l * trace.transpose();
            }
            final_trace_.row(b) = trace.transpose();
        });
        counts_.setZero(n);
        for (const Vector<double>& c : counts)
            counts_ += c;
        set_rates(counts_, batch);

        const Index rows = batch * bins_;
        const Eigen::Map<const RowMatrix<T>> f_all(filtered_.data(), rows, n);
        Eigen::Map<RowMatrix<T>> y(readout_.data(), rows, d);
        y.noalias() = f_all.leftCols(r) * w_out.transpose();
        y.rowwise() += b_out.col(0).transpose();
    }

    const Tensor<T, 3>& filtered() const { return filtered_; }  // (B, K, N)
    const Tensor<T, 3>& readout() const { return readout_; }    // (B, K, D)
    const Vector<T>& rates() const { return rates_; }           // (N) Hz
    /// (N) spikes of each neuron over the forward's batch.
    const Vector<double>& spike_counts() const { return counts_; }
    /// rates() ← `counts` (N) spikes over `sequences` sequences of the forward's length.
    void set_rates(const Vector<double>& counts, Index sequences) {
        rates_ = (counts / (static_cast<double>(sequences * steps_) * settings_.dt_ms * 1e-3))
                     .template cast<T>();
    }
    const RowMatrix<T>& final_trace() const { return final_trace_; }  // (B, N)
    Index bins() const { return bins_; }

    /// Backward of the readout layer, Y = F_R W_outᵀ + b_out: dW_out += dYᵀ F_R, db_out += Σ dY,
    /// and dL/dF = dY W_out (+ d_filtered) kept for the sink, with `d_spike_constant` (N) added to
    /// every dL/dS_t.
    void backward(const Tensor<T, 3>& d_readout, const Tensor<T, 3>* d_filtered,
                  const Eigen::Map<const Matrix<T>>& w_out, Eigen::Map<Matrix<T>> d_w_out,
                  Eigen::Map<Matrix<T>> d_b_out, const Vector<T>& d_spike_constant) {
        const Index n = static_cast<Index>(filtered_.shape(2)), d = w_out.rows();
        const Index r = settings_.readout_neurons, rows = batch_ * bins_;
        const Eigen::Map<const RowMatrix<T>> dy(d_readout.data(), rows, d);     // (B·K, D)
        const Eigen::Map<const RowMatrix<T>> f_all(filtered_.data(), rows, n);  // (B·K, N)
        d_w_out.noalias() += dy.transpose() * f_all.leftCols(r);
        d_b_out += dy.colwise().sum().transpose();
        d_filtered_.resize(rows, n);  // (B·K, N) dL/dF
        if (d_filtered != nullptr)
            d_filtered_ = Eigen::Map<const RowMatrix<T>>(d_filtered->data(), rows, n);
        else
            d_filtered_.setZero();
        d_filtered_.leftCols(r).noalias() += dy * w_out;
        d_trace_.setZero(batch_, n);
        d_spike_constant_ = d_spike_constant;
    }

    // GradientSink: dL/df_t = dL/dF_k(t) / L + λ dL/df_{t+1};  dL/dS_t += c dL/df_t + constant.
    void add_spike_gradient(Index b, Index t, T* d_spike) {
        const Index n = d_filtered_.cols(), l = settings_.steps_per_bin;
        const T inv_l = T(1) / static_cast<T>(l);
        const T* d_f = d_filtered_.row(b * bins_ + t / l).data();  // (N)
        T* d_trace = d_trace_.row(b).data();                       // (N)
        const T* constant = d_spike_constant_.data();              // (N)
        for (Index i = 0; i < n; ++i) {
            d_trace[i] = decay_ * d_trace[i] + inv_l * d_f[i];
            d_spike[i] += gain_ * d_trace[i] + constant[i];
        }
    }
    void add_membrane_gradient(Index, Index, T*) {}
    void truncate(Index b) { d_trace_.row(b).setZero(); }

    std::size_t bytes() const {
        return (filtered_.size() + readout_.size() + d_filtered_.size() + d_trace_.size()) *
               sizeof(T);
    }

  private:
    Settings settings_;
    T decay_ = T(0), gain_ = T(0);
    Index batch_ = 0, steps_ = 0, bins_ = 0;
    Tensor<T, 3> filtered_;       // (B, K, N)
    Tensor<T, 3> readout_;        // (B, K, D)
    RowMatrix<T> final_trace_;    // (B, N)
    Vector<double> counts_;       // (N)
    Vector<T> rates_;             // (N)
    RowMatrix<T> d_filtered_;     // (B·K, N)
    RowMatrix<T> d_trace_;        // (B, N) dL/df carried backwards in time
    Vector<T> d_spike_constant_;  // (N)
};

}  // namespace jepasnn::lif
