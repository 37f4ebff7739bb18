// One LIF neuron, one time step: the forward update and its hand-written backward, as small
// host/device inline functions shared by the CPU population and future CUDA kernels.
//
// Forward (snntorch 0.9.4 semantics, DESIGN.md; M_t = 1 while refractory, our extension):
//   R_t = Θ(U_{t−1} − θ)                          detached
//   V_t = Reset::integrate(U_{t−1}, (1 − M_t) J_t, R_t, β, θ)
//   S_t = (1 − M_t) · spike(V_t − θ)               surrogate gradient σ = (1 − M_t) spike'(V_t − θ)
//   U_t = V_t                                     reset delay on
//   U_t = Reset::reset(V_t, S_t − R_t, θ)         reset delay off (D = S − R not detached)
// V_t is the membrane the threshold sees; U_t is the state carried on (snntorch's `mem`).
#pragma once

#include "../constraints/surrogate.hpp"
#include "../core/config.hpp"
#include "reset.hpp"

namespace jepasnn::lif {

template <class T>
struct StepState {
    T pre_reset;  // V_t
    T spike;      // S_t
    T membrane;   // U_t
    T reset;      // R_t
};

template <class T>
struct StepGradient {
    T d_membrane_prev;  // dL/dU_{t−1} through this step
    T d_drive;          // dL/dJ_t
    T d_beta;           // this step's contribution to dL/dβ
    T d_threshold;      // this step's contribution to dL/dθ
};

/// R_t: the detached reset signal, a hard threshold of the previous membrane.
template <class T>
JEPASNN_HOST_DEVICE inline T reset_signal(T u_prev, T theta) {
    return u_prev > theta ? T(1) : T(0);
}

/// U_t from V_t, S_t and R_t: the forward's own rule, reused by the backward to rebuild U_{t−1}
/// from what the tape stores.
template <class Reset, class T>
JEPASNN_HOST_DEVICE inline T membrane_after_reset(T v, T s, T r, T theta) {
    if constexpr (Reset::delayed)
        return v;
    else
        return Reset::reset(v, s - r, theta);
}

/// `active` is 1 − M_t (0 while refractory, 1 otherwise): a factor rather than a branch, so that
/// loops over neurons vectorise.
template <class Reset, class Surrogate, class T>
JEPASNN_HOST_DEVICE inline StepState<T> lif_step_forward(const Surrogate& surrogate, T u_prev,
                                                         T drive, T beta, T theta, T active) {
    StepState<T> out;
    out.reset = reset_signal(u_prev, theta);
    out.pre_reset = Reset::integrate(u_prev, active * drive, out.reset, beta, theta);
    out.spike = active * surrogate.spike(out.pre_reset - theta);
    out.membrane = membrane_after_reset<Reset>(out.pre_reset, out.spike, out.reset, theta);
    return out;
}

/// Backward of lif_step_forward. dL/dS_t arrives in two parts, d_spike (from downstream: losses,
/// readout) and d_spike_recurrent (from the next step's recurrent input), combined by the
/// SpikeGradient policy; d_membrane is dL/dU_t from downstream and from step t + 1. u_prev, v, s,
/// r and active are the forward's U_{t−1}, V_t, S_t, R_t and 1 − M_t.
template <class Reset, class SpikeGradient, class Surrogate, class T>
JEPASNN_HOST_DEVICE inline StepGradient<T> lif_step_backward(const Surrogate& surrogate, T d_spike,
                                                             T d_spike_recurrent, T d_membrane,
                                                             T u_prev, T v, T s, T r, T beta,
                                                             T theta, T active) {
    T d_spike_total = SpikeGradient::sum(d_spike, d_spike_recurrent);
    T d_v = d_membrane;
    T d_theta = T(0);
    if constexpr (!Reset::delayed) {
        // The same-step reset makes U depend on S through D = S − R.
        const ResetPartials<T> p = Reset::reset_partials(v, s - r, theta);
        d_spike_total = SpikeGradient::sum(d_spike_total, p.d_spike * d_membrane);
        d_v = p.d_membrane * d_membrane;
        d_theta = p.d_threshold * d_membrane;
    }
    // dL/dx at x = V − θ through the surrogate; S = spike(V − θ), so ∂x/∂V = 1 and ∂x/∂θ = −1.
    const T d_x = active * constraints::surrogate_backward(surrogate, v - theta, d_spike_total);
    d_v += d_x;
    d_theta -= d_x;
    const IntegrateGradient<T> g = Reset::integrate_backward(d_v, u_prev, r, beta, theta);
    return {g.d_membrane_prev, active * g.d_drive, g.d_beta, g.d_threshold + d_theta};
}

}  // namespace jepasnn::lif
