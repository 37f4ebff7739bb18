// What a LIF population is run with besides its input: runtime settings, BPTT options, the state
// carried between calls (truncated BPTT across a long recording), and views of its parameters
// and of where their gradients go.
#pragma once

#include <cstdint>

#include "../core/tensor.hpp"

namespace jepasnn::lif {

/// Runtime settings of a population.
struct PopulationConfig {
    Index neurons = 0;
    /// α of the synaptic current (ExponentialSynapse only), clamped to [0, 1] like snntorch.
    double synaptic_decay = 0.0;
    /// Steps after a spike during which the neuron neither integrates input nor spikes.
    Index refractory_steps = 0;
    /// Presynaptic columns [0, n) of the recurrent matrix count as excitatory in the current
    /// statistics (the network's E neurons come first); the rest as inhibitory.
    Index excitatory_presynaptic = 0;
};

/// How the forward stores what the backward needs.
struct BpttOptions {
    /// 0: keep every step's membrane (fastest). L > 0: keep the state every L steps and recompute
    /// membranes chunk by chunk during the backward (same gradients, memory O(T/L + L)).
    Index chunk_steps = 0;
    /// With chunk_steps: no gradient crosses a chunk boundary (truncated BPTT, k1 = k2 = L).
    bool truncate = false;
};

/// The state of every sequence of the batch between two steps; carrying it from one forward to
/// the next streams a long recording through the network (truncated BPTT across calls).
template <class T>
struct PopulationState {
    RowMatrix<T> membrane;  // (B, N) U
    RowMatrix<T> synaptic;  // (B, N) synaptic current (zero for first-order synapses)
    RowMatrix<T> spikes;    // (B, N) the last step's spikes: the next step's recurrent input
    Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
        refractory;  // (B, N) refractory steps left

    static PopulationState zeros(Index batch, Index neurons) {
        PopulationState s;
        s.membrane.setZero(batch, neurons);
        s.synaptic.setZero(batch, neurons);
        s.spikes.setZero(batch, neurons);
        s.refractory.setZero(batch, neurons);
        return s;
    }
};

/// Read-only views of a population's parameters (owned elsewhere, e.g. in nn::Parameters).
template <class T>
struct PopulationParameters {
    const T* beta = nullptr;       // (N) membrane decay, clamped to [0, 1] where used
    const T* threshold = nullptr;  // (N)
    const T* bias = nullptr;       // (N) constant input current; optional
    const T* recurrent = nullptr;  // (N, N) [post][pre], column-major; optional
};

/// Where the backward adds (+=) parameter gradients; a null pointer skips that gradient.
template <class T>
struct PopulationGradients {
    T* beta = nullptr;       // (N)
    T* threshold = nullptr;  // (N)
    T* bias = nullptr;       // (N)
    T* recurrent = nullptr;  // (N, N) column-major
};

}  // namespace jepasnn::lif
