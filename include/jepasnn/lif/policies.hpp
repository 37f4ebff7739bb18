// The compile-time configuration of a LIF population or network: one struct naming a policy of
// each kind. Swapping a policy is a one-line change in user code:
//
//     struct MyPolicies : jepasnn::lif::DefaultPolicies {
//         using Surrogate = jepasnn::constraints::ArcTan;
//     };
//     jepasnn::lif::Network<float, MyPolicies> student(config);
#pragma once

#include <string_view>

#include "../constraints/dales_principle.hpp"
#include "../constraints/homeostasis.hpp"
#include "../constraints/surrogate.hpp"
#include "../constraints/weight_regularization.hpp"
#include "../core/config.hpp"
#include "reset.hpp"

namespace jepasnn::lif {

/// First-order LIF (snntorch Leaky/RLeaky): the input current drives the membrane directly.
struct InstantaneousSynapse {
    static constexpr std::string_view name = "instantaneous";
    static constexpr bool second_order = false;
};

/// Second-order LIF (snntorch Synaptic): the input current is filtered by a synaptic current
/// I_syn,t = α I_syn,t−1 + I_t, α clamped to [0, 1], and I_syn drives the membrane.
struct ExponentialSynapse {
    static constexpr std::string_view name = "exponential";
    static constexpr bool second_order = true;
};

/// The `SynapsePolicy` kind: first or second order.
template <class P>
concept SynapsePolicy = requires {
    { P::name } -> std::convertible_to<std::string_view>;
    { P::second_order } -> std::convertible_to<bool>;
};

/// How gradients arriving at a spike S_t (from downstream, from the recurrent targets of the next
/// step, and from the same-step reset) are summed before the surrogate multiplies them.
/// `sum(a, b)` is called as sum(sum(downstream, recurrent), reset_path).
template <class P, class T>
concept SpikeGradientPolicy = requires(T x) {
    { P::name } -> std::convertible_to<std::string_view>;
    { P::sum(x, x) } -> std::same_as<T>;
};

/// Plain sums in the scalar type: the library's default.
struct NativeSpikeGradient {
    static constexpr std::string_view name = "native";
    template <class T>
    JEPASNN_HOST_DEVICE static T sum(T a, T b) {
        return a + b;
    }
};

/// snntorch's arithmetic when a model runs in float64: its surrogates return `(x > 0).float()`,
/// so spike tensors are float32 and autograd rounds each gradient contribution arriving at a
/// spike to float32 and sums them in float32. Only needed to reproduce float64 snntorch dumps
/// to 1e-10 (parity.hpp); in float32 both agree without it.
struct Float32SpikeGradient {
    static constexpr std::string_view name = "float32";
    template <class T>
    JEPASNN_HOST_DEVICE static T sum(T a, T b) {
        return static_cast<T>(static_cast<float>(a) + static_cast<float>(b));
    }
};

/// The default student: subtractive reset with snntorch's reset delay, fast-sigmoid surrogate
/// (k = 25), first-order synapses, native spike-gradient sums, Dale's principle, a 5–20 Hz
/// homeostatic band, L2 weights.
struct DefaultPolicies {
    using Reset = SubtractReset<true>;
    using Surrogate = constraints::FastSigmoid;
    using Synapse = InstantaneousSynapse;
    using SpikeGradient = NativeSpikeGradient;
    using Sign = constraints::DalesPrinciple;
    using Rate = constraints::HomeostaticBand;
    using Regularizer = constraints::L2Regularizer;
};

namespace detail {
/// The checks every entry point runs, each naming the header that documents the policy kind.
template <class P, class T>
constexpr bool check_neuron_policies() {
    static_assert(ResetPolicy<typename P::Reset, T>,
                  "Policies::Reset must satisfy jepasnn::lif::ResetPolicy (lif/reset.hpp): name, "
                  "delayed, integrate, integrate_backward, reset, reset_partials");
    static_assert(constraints::SurrogateGradient<typename P::Surrogate, T>,
                  "Policies::Surrogate must satisfy jepasnn::constraints::SurrogateGradient "
                  "(constraints/surrogate.hpp): name, binary, spike(x), derivative(x)");
    static_assert(SynapsePolicy<typename P::Synapse>,
                  "Policies::Synapse must satisfy jepasnn::lif::SynapsePolicy "
                  "(lif/policies.hpp): name, second_order");
    static_assert(SpikeGradientPolicy<typename P::SpikeGradient, T>,
                  "Policies::SpikeGradient must satisfy jepasnn::lif::SpikeGradientPolicy "
                  "(lif/policies.hpp): name, sum(a, b)");
    return true;
}

template <class P, class T>
constexpr bool check_network_policies() {
    static_assert(check_neuron_policies<P, T>());
    static_assert(constraints::SignConstraint<typename P::Sign, T>,
                  "Policies::Sign must satisfy jepasnn::constraints::SignConstraint "
                  "(constraints/dales_principle.hpp): name, enforced, project(w, sign)");
    static_assert(constraints::RatePenalty<typename P::Rate, T>,
                  "Policies::Rate must satisfy jepasnn::constraints::RatePenalty "
                  "(constraints/homeostasis.hpp): name, evaluate(rates, sizes, d_rates)");
    static_assert(constraints::WeightRegularizer<typename P::Regularizer, T>,
                  "Policies::Regularizer must satisfy jepasnn::constraints::WeightRegularizer "
                  "(constraints/weight_regularization.hpp): name, evaluate(w, dw)");
    return true;
}
}  // namespace detail

}  // namespace jepasnn::lif
