// How a LIF population gets its external input currents (CurrentSource) and the gradients from
// downstream (GradientSink), with the dense (B, T, N) adapters of both.
#pragma once

#include <algorithm>
#include <concepts>

#include "../core/tensor.hpp"

namespace jepasnn::lif {

/// The `CurrentSource` kind: the external input current of each step, and the backward of
/// whatever produced it.
///
///     fill(t0, t1, out):     out (B, t1 − t0, N), row-major = external currents of [t0, t1)
///     backward(t0, t1, d):   d (B, t1 − t0, N) = dL/dcurrent of [t0, t1); accumulate gradients
///
/// The forward calls fill once per chunk in increasing time; the backward calls fill (to
/// recompute, when chunked) and backward once per chunk in decreasing time.
template <class S, class T>
concept CurrentSource = requires(S& s, Index t, T* out, const T* d) {
    s.fill(t, t, out);
    s.backward(t, t, d);
};

/// The `GradientSink` kind: gradients arriving from downstream of the population.
///
///     add_spike_gradient(b, t, d_spike)      d_spike (N) += dL/dS_t of sequence b
///     add_membrane_gradient(b, t, d_mem)     d_mem (N) += dL/dU_t of sequence b
///     truncate(b)                            forget carried gradient state (truncated BPTT)
///
/// Called for each sequence in decreasing t, concurrently for different sequences.
template <class S, class T>
concept GradientSink = requires(S& s, Index i, T* row) {
    s.add_spike_gradient(i, i, row);
    s.add_membrane_gradient(i, i, row);
    s.truncate(i);
};

/// Currents given as one (B, T, N) row-major array; the backward writes dL/dI into another.
template <class T>
class TensorCurrents {
  public:
    TensorCurrents(const T* currents, Index batch, Index steps, Index neurons,
                   T* d_currents = nullptr)
        : currents_(currents), d_(d_currents), batch_(batch), steps_(steps), neurons_(neurons) {}

    void fill(Index t0, Index t1, T* out) const {
        const Index len = t1 - t0;
        for (Index b = 0; b < batch_; ++b)
            std::copy_n(currents_ + (b * steps_ + t0) * neurons_, len * neurons_,
                        out + b * len * neurons_);
    }
    void backward(Index t0, Index t1, const T* d) const {
        if (d_ == nullptr) return;
        const Index len = t1 - t0;
        for (Index b = 0; b < batch_; ++b)
            std::copy_n(d + b * len * neurons_, len * neurons_, d_ + (b * steps_ + t0) * neurons_);
    }

  private:
    const T* currents_;
    T* d_;
    Index batch_, steps_, neurons_;
};

/// Gradients of a loss on the spikes and membranes themselves, as (B, T, N) arrays (either may
/// be null): what parity checks and direct users of a population need.
template <class T>
class DenseOutputGradients {
  public:
    DenseOutputGradients(const T* d_spikes, const T* d_membranes, Index steps, Index neurons)
        : d_spikes_(d_spikes), d_membranes_(d_membranes), steps_(steps), neurons_(neurons) {}

    void add_spike_gradient(Index b, Index t, T* row) const { add(d_spikes_, b, t, row); }
    void add_membrane_gradient(Index b, Index t, T* row) const { add(d_membranes_, b, t, row); }
    void truncate(Index) const {}

  private:
    void add(const T* source, Index b, Index t, T* row) const {
        if (source == nullptr) return;
        const T* in = source + (b * steps_ + t) * neurons_;
        for (Index n = 0; n < neurons_; ++n)
            row[n] += in[n];
    }
    const T* d_spikes_;
    const T* d_membranes_;
    Index steps_, neurons_;
};

}  // namespace jepasnn::lif
