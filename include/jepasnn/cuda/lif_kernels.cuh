// CUDA kernels of the LIF population (lif/population.hpp on the device). Each thread owns one
// (sequence, neuron) and runs many steps with its membrane, synaptic current, refractory counter
// and gradient carries in registers, calling the very step functions the CPU uses
// (lif/neuron_step.hpp), so the two share every policy. The tape per neuron-step is the pre-reset
// membrane V_t (written in place over the input current, later overwritten by dL/dI_t) plus one
// flag byte (spike, reset R_t, refractory M_t): the fused forward + backward moves
// 4 (I) + 4 (V) + 1 + 4 (V) + 1 + 4 (dL/dS) + 4 (dL/dI) ≈ 22 bytes per neuron-step.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "../core/tensor.hpp"
#include "../lif/neuron_step.hpp"
#include "../lif/policies.hpp"

namespace jepasnn::cuda::detail {

/// Bits of a tape flag byte.
inline constexpr std::uint8_t spike_bit = 1, reset_bit = 2, refractory_bit = 4;

/// Sizes and per-neuron constants of one forward (device pointers).
template <class T>
struct LifShape {
    Index batch = 0, steps = 0, neurons = 0;
    Index excitatory_presynaptic = 0;  // presynaptic columns [0, n) count as E
    std::int32_t refractory_steps = 0;
    T alpha = T(0);                // synaptic decay (second-order synapses)
    const T* beta = nullptr;       // (N) clamped to [0, 1]
    const T* threshold = nullptr;  // (N)
    const T* bias = nullptr;       // (N)
};

/// The running state of every sequence between steps (device pointers, (B, N) each).
template <class T>
struct LifDeviceState {
    T* membrane = nullptr;
    T* synaptic = nullptr;
    T* spikes = nullptr;
    std::int32_t* refractory = nullptr;
};

/// The tape: buffer (B, T, N) holds currents on entry, V_t after the forward and dL/dI_t after
/// the backward; flags (B, T, N); spike_counts (B, N) add up each neuron's spikes.
template <class T>
struct LifTape {
    T* buffer = nullptr;
    std::uint8_t* flags = nullptr;
    std::int32_t* spike_counts = nullptr;
};

/// Gradients arriving from downstream (device pointers, any may be null).
template <class T>
struct LifOutputGradients {
    const T* d_spikes = nullptr;          // (B, T, N) dL/dS_t
    const T* d_membranes = nullptr;       // (B, T, N) dL/dU_t
    const T* d_spike_constant = nullptr;  // (N) added to every dL/dS_t (homeostasis)
};

/// Backward carries and per-sequence parameter-gradient sums ((B, N) each).
template <class T>
struct LifBackwardCarry {
    T* d_membrane = nullptr;               // dL/dU of the step after the range
    T* d_synaptic = nullptr;               // dL/dI_syn of the step after the range
    const T* d_spike_recurrent = nullptr;  // dL/dS_t via W_rec (per-step mode; null otherwise)
    T* d_beta = nullptr;
    T* d_threshold = nullptr;
    T* d_bias = nullptr;
    const T* initial_membrane = nullptr;  // (B, N) U_{−1}
};

/// One neuron-step of the forward, shared by the fused and the sparse-recurrent kernels: the
/// drive is (I_ext + Σ E columns) + Σ I columns + b, summed in the CPU's order.
template <class Policies, class T>
__device__ inline void forward_neuron_step(const typename Policies::Surrogate& surrogate,
                                           const LifShape<T>& s, Index i, T excitatory,
                                           T inhibitory, T& u, T& syn, std::int32_t& counter,
                                           std::int32_t& count, T* v_out, std::uint8_t* flag_out,
                                           T& spike) {
    using Reset = typename Policies::Reset;
    T drive = excitatory + inhibitory + s.bias[i];
    if constexpr (Policies::Synapse::second_order) {
        syn = s.alpha * syn + drive;
        drive = syn;
    }
    const T theta = s.threshold[i];
    const T active = counter > 0 ? T(0) : T(1);
    const lif::StepState<T> st =
        lif::lif_step_forward<Reset>(surrogate, u, drive, s.beta[i], theta, active);
    *v_out = st.pre_reset;
    u = st.membrane;
    spike = st.spike;
    *flag_out = static_cast<std::uint8_t>((st.spike != T(0) ? spike_bit : 0) |
                                          (st.reset != T(0) ? reset_bit : 0) |
                                          (active == T(0) ? refractory_bit : 0));
    const bool fired = (active > T(0)) & (st.pre_reset > theta);
    counter = fired ? s.refractory_steps : max(counter - 1, 0);
    count += st.spike != T(0) ? 1 : 0;
}

/// Fused forward over steps [t0, t1) without in-kernel recurrence: one thread per (b, i), the
/// state in registers for the whole range. grid (⌈N / threads⌉, B).
template <class Policies, class T>
__global__ void lif_forward_kernel(typename Policies::Surrogate surrogate, LifShape<T> s,
                                   LifDeviceState<T> state, LifTape<T> tape, Index t0, Index t1) {
    const Index b = blockIdx.y;
    const Index i = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (i >= s.neurons) return;
    const Index k = b * s.neurons + i;
    T u = state.membrane[k], syn = state.synaptic[k], spike = state.spikes[k];
    std::int32_t counter = state.refractory[k], count = 0;
    for (Index t = t0; t < t1; ++t) {
        const Index idx = (b * s.steps + t) * s.neurons + i;
        forward_neuron_step<Policies>(surrogate, s, i, tape.buffer[idx], T(0), u, syn, counter,
                                      count, &tape.buffer[idx], &tape.flags[idx], spike);
    }
    state.membrane[k] = u;
    state.synaptic[k] = syn;
    state.spikes[k] = spike;
    state.refractory[k] = counter;
    tape.spike_counts[k] += count;
}

/// Most neurons a thread of the sparse recurrent kernel owns: N ≤ 1024 · this.
inline constexpr int max_neurons_per_thread = 4;

/// Fused forward over steps [t0, t1) of a recurrent population with sparse spike propagation:
/// one block per sequence holds every neuron (up to max_neurons_per_thread per thread, state in
/// registers). After each step the block compacts the indices of the neurons that spiked, in
/// increasing order (warp ballots + a prefix over warps, so the sums below run in the CPU's
/// order), into shared memory; the next step adds W_rec[:, j] for those j only, E columns onto
/// the external current and I columns separately, as lif::add_active_columns does.
/// Dynamic shared memory: (N + 32) ints. Launched with up to 1024 threads, so the bound tells the
/// compiler to fit its registers (in double, max_neurons_per_thread states each) to a full block:
/// without it a 1024-thread launch failed on an H200 ("too many resources requested for launch").
template <class Policies, class T>
__global__ void __launch_bounds__(1024) lif_forward_sparse_recurrent_kernel(typename Policies::Surrogate surrogate,
                                                    LifShape<T> s, LifDeviceState<T> state,
                                                    LifTape<T> tape, const T* w_rec, Index t0,
                                                    Index t1) {
    extern __shared__ int shared[];
    int* active_list = shared;              // (N) presynaptic neurons that spiked
    int* warp_counts = shared + s.neurons;  // (32)
    constexpr int P = max_neurons_per_thread;
    const Index b = blockIdx.x, n = s.neurons;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int warps = (blockDim.x + 31) / 32;
    T u[P], syn[P], spike[P];
    std::int32_t counter[P], count[P];
    for (int p = 0; p < P; ++p) {
        const Index i = threadIdx.x + p * static_cast<Index>(blockDim.x);
        const Index k = b * n + (i < n ? i : 0);
        u[p] = i < n ? state.membrane[k] : T(0);
        syn[p] = i < n ? state.synaptic[k] : T(0);
        spike[p] = i < n ? state.spikes[k] : T(0);
        counter[p] = i < n ? state.refractory[k] : 0;
        count[p] = 0;
    }
    // Ordered compaction of the neurons whose spike[p] is non-zero into active_list.
    auto compact = [&]() -> int {
        int total = 0;
        for (int p = 0; p < P; ++p) {
            const Index i = threadIdx.x + p * static_cast<Index>(blockDim.x);
            const bool on = i < n && spike[p] != T(0);
            const unsigned ballot = __ballot_sync(0xffffffffu, on);
            if (lane == 0) warp_counts[warp] = __popc(ballot);
            __syncthreads();
            int offset = total;
            for (int w = 0; w < warp; ++w)
                offset += warp_counts[w];
            if (on)
                active_list[offset + __popc(ballot & ((1u << lane) - 1u))] = static_cast<int>(i);
            for (int w = 0; w < warps; ++w)
                total += warp_counts[w];
            __syncthreads();
        }
        return total;
    };
    int active = compact();
    for (Index t = t0; t < t1; ++t) {
        for (int p = 0; p < P; ++p) {
            const Index i = threadIdx.x + p * static_cast<Index>(blockDim.x);
            if (i >= n) continue;
            const Index idx = (b * s.steps + t) * n + i;
            T excitatory = tape.buffer[idx], inhibitory = T(0);
            for (int a = 0; a < active; ++a) {
                const int j = active_list[a];  // binary spikes: S = 1 adds the column itself
                if (j < s.excitatory_presynaptic)
                    excitatory += w_rec[static_cast<Index>(j) * n + i];
                else
                    inhibitory += w_rec[static_cast<Index>(j) * n + i];
            }
            forward_neuron_step<Policies>(surrogate, s, i, excitatory, inhibitory, u[p], syn[p],
                                          counter[p], count[p], &tape.buffer[idx], &tape.flags[idx],
                                          spike[p]);
        }
        __syncthreads();  // every thread has read active_list for this step
        active = compact();
    }
    for (int p = 0; p < P; ++p) {
        const Index i = threadIdx.x + p * static_cast<Index>(blockDim.x);
        if (i >= n) continue;
        const Index k = b * n + i;
        state.membrane[k] = u[p];
        state.synaptic[k] = syn[p];
        state.spikes[k] = spike[p];
        state.refractory[k] = counter[p];
        tape.spike_counts[k] += count[p];
    }
}

/// Fused backward through steps [t0, t1), t decreasing: one thread per (b, i) with dL/dU,
/// dL/dI_syn and the previous step's V in registers. U_{t−1} is rebuilt from V_{t−1} and its
/// flags as on the CPU. Overwrites V_t with dL/dI_t; adds the per-sequence sums of dL/dβ, dL/dθ
/// and dL/db into carry (reduced over sequences later, in a fixed order). The homeostatic
/// dL/dr arrives as d_spike_constant. grid (⌈N / threads⌉, B).
template <class Policies, class T>
__global__ void lif_backward_kernel(typename Policies::Surrogate surrogate, LifShape<T> s,
                                    LifTape<T> tape, LifOutputGradients<T> out,
                                    LifBackwardCarry<T> carry, Index t0, Index t1) {
    using Reset = typename Policies::Reset;
    using SpikeGradient = typename Policies::SpikeGradient;
    const Index b = blockIdx.y;
    const Index i = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (i >= s.neurons) return;
    const Index n = s.neurons, k = b * n + i;
    const T beta = s.beta[i], theta = s.threshold[i], alpha = s.alpha;
    const T constant = out.d_spike_constant != nullptr ? out.d_spike_constant[i] : T(0);
    T d_u = carry.d_membrane[k], d_syn = carry.d_synaptic[k];
    T sum_beta = T(0), sum_theta = T(0), sum_bias = T(0);
    Index idx = (b * s.steps + (t1 - 1)) * n + i;
    T v = tape.buffer[idx];
    std::uint8_t flag = tape.flags[idx];
    for (Index t = t1 - 1; t >= t0; --t, idx -= n) {
        // U_{t−1}: the initial membrane at t = 0, else rebuilt from V_{t−1} and its flags.
        T u_prev, v_prev = T(0);
        std::uint8_t flag_prev = 0;
        if (t == 0) {
            u_prev = carry.initial_membrane[k];
        } else {
            v_prev = tape.buffer[idx - n];
            flag_prev = tape.flags[idx - n];
            u_prev = lif::membrane_after_reset<Reset>(v_prev, T((flag_prev & spike_bit) != 0),
                                                      T((flag_prev & reset_bit) != 0), theta);
        }
        const T d_spike = (out.d_spikes != nullptr ? out.d_spikes[idx] : T(0)) + constant;
        const T d_rec = carry.d_spike_recurrent != nullptr ? carry.d_spike_recurrent[k] : T(0);
        if (out.d_membranes != nullptr) d_u += out.d_membranes[idx];
        const T active = (flag & refractory_bit) != 0 ? T(0) : T(1);
        const lif::StepGradient<T> g = lif::lif_step_backward<Reset, SpikeGradient>(
            surrogate, d_spike, d_rec, d_u, u_prev, v, T((flag & spike_bit) != 0),
            T((flag & reset_bit) != 0), beta, theta, active);
        d_u = g.d_membrane_prev;
        T d_current = g.d_drive;
        if constexpr (Policies::Synapse::second_order) {
            d_syn = g.d_drive + alpha * d_syn;  // I_syn,t = α I_syn,t−1 + I_t
            d_current = d_syn;
        }
        tape.buffer[idx] = d_current;
        sum_beta += g.d_beta;
        sum_theta += g.d_threshold;
        sum_bias += d_current;
        v = v_prev;
        flag = flag_prev;
    }
    carry.d_membrane[k] = d_u;
    carry.d_synaptic[k] = d_syn;
    carry.d_beta[k] += sum_beta;
    carry.d_threshold[k] += sum_theta;
    carry.d_bias[k] += sum_bias;
}

/// S_{t−1} as values (B·T, N) for the recurrent weight gradient: the initial spikes at t = 0,
/// the tape's spike bits afterwards.
template <class T>
__global__ void previous_spikes_kernel(T* out, const std::uint8_t* flags, const T* initial,
                                       Index batch, Index steps, Index neurons) {
    const Index idx = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (idx >= batch * steps * neurons) return;
    const Index i = idx % neurons, t = (idx / neurons) % steps, b = idx / (neurons * steps);
    out[idx] = t == 0 ? initial[b * neurons + i] : T((flags[idx - neurons] & spike_bit) != 0);
}

/// Spikes of the tape as values (B, T, N).
template <class T>
__global__ void spikes_from_flags_kernel(T* out, const std::uint8_t* flags, Index count) {
    const Index idx = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (idx < count) out[idx] = T((flags[idx] & spike_bit) != 0);
}

/// Dale's principle on the device: column j of w (rows × cols, column-major) clipped to ≥ 0
/// where sign[j] > 0 and to ≤ 0 where sign[j] < 0 (constraints::DalesPrinciple::project).
template <class T>
__global__ void project_signs_kernel(T* w, const std::int8_t* sign, Index rows, Index cols) {
    const Index idx = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x;
    if (idx >= rows * cols) return;
    const std::int8_t s = sign[idx / rows];
    if (s > 0)
        w[idx] = max(w[idx], T(0));
    else if (s < 0)
        w[idx] = min(w[idx], T(0));
}

}  // namespace jepasnn::cuda::detail
