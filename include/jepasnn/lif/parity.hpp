// snntorch parity: recompute a reference document in the schema of shared/reference/
// snntorch_lif.json with the library's own LIF population, in double precision, and return the
// same document with the output fields (spk, mem, grad_input, grad_w_rec, and grad_beta /
// grad_threshold for learnable cases) replaced by ours. Backs `jepasnn parity lif`.
//
// Case kinds: "leaky" (snntorch Leaky), "recurrent" (RLeaky with a linear recurrent map: the input
// current is I_t + W_rec S_{t−1}, W_rec stored [post][pre]) and "synaptic" (Synaptic, with
// "alpha"). The loss is sum(loss_weight_spk · spk) + sum(loss_weight_mem · mem), so dL/dS and
// dL/dU are the two weight arrays. snntorch's zero reset differs between Leaky (previous membrane
// cleared) and RLeaky/Synaptic (the whole update cleared): ZeroReset and ZeroResetGated. snntorch's
// spike tensors are float32 even in a float64 model, so gradients reaching a spike are rounded to
// float32 there (Float32SpikeGradient); everything else is float64.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "../constraints/surrogate.hpp"
#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/type_list.hpp"
#include "population.hpp"

namespace jepasnn::lif {

namespace detail {

/// The surrogates a parity document may name (snntorch's names).
using ParitySurrogates = TypeList<constraints::FastSigmoid, constraints::ArcTan,
                                  constraints::Sigmoid, constraints::StraightThrough>;

/// A surrogate of ParitySurrogates chosen at run time from its snntorch name. The derivative is
/// the very function of the chosen policy.
struct NamedSurrogate {
    static constexpr std::string_view name = "named";
    static constexpr bool binary = true;
    decltype(variant_of(ParitySurrogates{})) chosen;

    template <class T>
    T spike(T x) const {
        return constraints::detail::heaviside(x);
    }
    /// snntorch's sigmoid surrogate multiplies the float32 spike gradient by the slope in
    /// float32 before the float64 factor; the other surrogates multiply in float64.
    template <class T>
    T backward(T x, T d_spike) const {
        const auto* sigmoid = std::get_if<constraints::Sigmoid>(&chosen);
        if (sigmoid == nullptr) return derivative(x) * d_spike;
        const T scaled =
            static_cast<T>(static_cast<float>(d_spike) * static_cast<float>(sigmoid->slope));
        return scaled * (derivative(x) / T(sigmoid->slope));
    }
    template <class T>
    T derivative(T x) const {
        return std::visit([x](const auto& s) { return s.derivative(x); }, chosen);
    }
};

template <class R, class Syn>
struct ParityPolicies : DefaultPolicies {
    using Reset = R;
    using Surrogate = NamedSurrogate;
    using Synapse = Syn;
    using SpikeGradient = Float32SpikeGradient;  // snntorch's float32 spike tensors
};

/// A per-neuron parameter given as one number or as an array of N numbers.
inline Vector<double> per_neuron(const Json& c, std::string_view key, Index n,
                                 const std::string& where) {
    const Json& v = c.at(std::string(key));
    if (v.is_number()) return Vector<double>::Constant(n, v.get<double>());
    Vector<double> out = vector_from_json<double>(v, where + ": field '" + std::string(key) + "'");
    require_size(where, "field '" + std::string(key) + "'", static_cast<std::size_t>(out.size()),
                 static_cast<std::size_t>(n), "values");
    return out;
}

inline RowMatrix<double> time_by_neuron(const Json& c, std::string_view key, Index rows, Index cols,
                                        const std::string& where) {
    if (!c.contains(std::string(key))) fail(where, "missing field '", key, "'");
    RowMatrix<double> m = matrix_from_json<double>(c.at(std::string(key)),
                                                   where + ": field '" + std::string(key) + "'");
    require_shape(where, "field '" + std::string(key) + "'", m, rows, cols);
    require_finite(where, "field '" + std::string(key) + "'", m);
    return m;
}

struct ParityCase {
    std::string kind, reset;
    bool reset_delay = true;
    Index steps = 0, neurons = 0, n_exc = 0;
    double alpha = 0.0;
    bool learn_beta = false, learn_threshold = false;
    bool scalar_beta = false, scalar_threshold = false;
    Vector<double> beta, threshold;
    RowMatrix<double> input, weight_spk, weight_mem, w_rec;  // (T, N) ×3; (N, N) [post][pre]
    NamedSurrogate surrogate;
};

inline ParityCase read_parity_case(const Json& c, const std::string& where) {
    if (!c.is_object()) fail(where, "expected an object, found ", c.type_name());
    ParityCase p;
    p.kind = json_get<std::string>(c, "kind", where);
    require(p.kind == "leaky" || p.kind == "recurrent" || p.kind == "synaptic", where, "kind is '",
            p.kind, "', expected leaky, recurrent or synaptic");
    p.steps = json_get<Index>(c, "T", where);
    p.neurons = json_get<Index>(c, "N", where);
    require(p.steps > 0 && p.neurons > 0, where, "T and N must be > 0, found ", p.steps, " and ",
            p.neurons);
    p.reset = json_get<std::string>(c, "reset", where);
    require(p.reset == "subtract" || p.reset == "zero" || p.reset == "none", where, "reset is '",
            p.reset, "', expected subtract, zero or none");
    p.reset_delay = json_get_or<bool>(c, "reset_delay", true, where);
    p.learn_beta = json_get_or<bool>(c, "learn_beta", false, where);
    p.learn_threshold = json_get_or<bool>(c, "learn_threshold", false, where);
    if (!c.contains("beta")) fail(where, "missing field 'beta'");
    if (!c.contains("threshold")) fail(where, "missing field 'threshold'");
    p.scalar_beta = c.at("beta").is_number();
    p.scalar_threshold = c.at("threshold").is_number();
    p.beta = per_neuron(c, "beta", p.neurons, where);
    p.threshold = per_neuron(c, "threshold", p.neurons, where);
    require_finite(where, "beta", p.beta);
    require_finite(where, "threshold", p.threshold);

    // A surrogate with a parameter (slope or alpha) is built as S{surrogate_param}; without
    // surrogate_param it keeps its default, which is snntorch's.
    const bool has_parameter = c.contains("surrogate_param");
    const double parameter = has_parameter ? json_get<double>(c, "surrogate_param", where) : 0.0;
    require(std::isfinite(parameter), where, "surrogate_param is not finite");
    p.surrogate.chosen =
        visit_by_name(ParitySurrogates{}, json_get<std::string>(c, "surrogate", where), "surrogate",
                      where, [&](auto tag) -> decltype(NamedSurrogate::chosen) {
                          using S = typename decltype(tag)::type;
                          if constexpr (requires { S{parameter}; })
                              return has_parameter ? S{parameter} : S{};
                          else
                              return S{};
                      });

    p.input = time_by_neuron(c, "input", p.steps, p.neurons, where);
    p.weight_spk = time_by_neuron(c, "loss_weight_spk", p.steps, p.neurons, where);
    p.weight_mem = time_by_neuron(c, "loss_weight_mem", p.steps, p.neurons, where);
    if (p.kind == "recurrent") {
        p.w_rec = time_by_neuron(c, "w_rec", p.neurons, p.neurons, where);
        p.n_exc = json_get_or<Index>(c, "n_exc", p.neurons, where);
        require(p.n_exc >= 0 && p.n_exc <= p.neurons, where, "n_exc is ", p.n_exc, ", expected 0..",
                p.neurons);
    }
    if (p.kind == "synaptic") {
        p.alpha = json_get<double>(c, "alpha", where);
        require(std::isfinite(p.alpha), where, "alpha is not finite");
    }
    return p;
}

template <class Policies>
void run_parity_case(const ParityCase& p, Json& out) {
    const Index t_steps = p.steps, n = p.neurons;
    PopulationConfig config;
    config.neurons = n;
    config.synaptic_decay = p.alpha;
    config.excitatory_presynaptic = p.n_exc;
    LifPopulation<double, Policies> population(config, p.surrogate);

    const Matrix<double> w = p.w_rec;  // column-major copy: [post][pre] with pre columns contiguous
    PopulationParameters<double> params{p.beta.data(), p.threshold.data(), nullptr,
                                        p.kind == "recurrent" ? w.data() : nullptr};
    RowMatrix<double> d_input(t_steps, n);  // (T, N) dL/dI
    TensorCurrents<double> currents(p.input.data(), 1, t_steps, n, d_input.data());
    population.forward(currents, 1, t_steps, params);

    RowMatrix<double> spk(t_steps, n), mem(t_steps, n);  // (T, N) each
    for (Index t = 0; t < t_steps; ++t)
        for (Index i = 0; i < n; ++i) {
            spk(t, i) = population.spikes().template value<double>(0, t, i);
            mem(t, i) = population.membrane(0, t, i);
        }

    Vector<double> d_beta = Vector<double>::Zero(n), d_threshold = Vector<double>::Zero(n);
    Matrix<double> d_w = Matrix<double>::Zero(n, n);  // (N, N) column-major [post][pre]
    DenseOutputGradients<double> sink(p.weight_spk.data(), p.weight_mem.data(), t_steps, n);
    population.backward(currents, sink, params,
                        {d_beta.data(), d_threshold.data(), nullptr, d_w.data()});

    out["spk"] = to_json(spk);
    out["mem"] = to_json(mem);
    out["grad_input"] = to_json(d_input);
    if (p.kind == "recurrent") out["grad_w_rec"] = to_json(d_w);
    // A scalar learnable parameter is shared by all neurons: its gradient is the sum.
    if (p.learn_beta) out["grad_beta"] = p.scalar_beta ? Json(d_beta.sum()) : to_json(d_beta);
    if (p.learn_threshold)
        out["grad_threshold"] = p.scalar_threshold ? Json(d_threshold.sum()) : to_json(d_threshold);
}

template <class Synapse, bool Delay>
void dispatch_parity_reset(const ParityCase& p, Json& out) {
    if (p.reset == "subtract")
        run_parity_case<ParityPolicies<SubtractReset<Delay>, Synapse>>(p, out);
    else if (p.reset == "none")
        run_parity_case<ParityPolicies<NoReset, Synapse>>(p, out);
    else if (p.kind == "leaky")  // snntorch Leaky clears only the previous membrane
        run_parity_case<ParityPolicies<ZeroReset<Delay>, Synapse>>(p, out);
    else  // RLeaky and Synaptic clear the whole update
        run_parity_case<ParityPolicies<ZeroResetGated<Delay>, Synapse>>(p, out);
}

template <class Synapse>
void dispatch_parity_delay(const ParityCase& p, Json& out) {
    if (p.reset_delay)
        dispatch_parity_reset<Synapse, true>(p, out);
    else
        dispatch_parity_reset<Synapse, false>(p, out);
}

}  // namespace detail

/// The reference document with every case's outputs recomputed by jepasnn (double precision).
/// `source` names the document in error messages.
inline Json parity_document(const Json& reference, std::string_view source = "parity lif") {
    const std::string where(source);
    if (!reference.is_object() || !reference.contains("cases"))
        fail(where, "expected an object with a 'cases' array (snntorch_lif.json schema)");
    const Json& cases = reference.at("cases");
    require(cases.is_array() && !cases.empty(), where, "'cases' must be a non-empty array");
    Json out = reference;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const std::string case_where = where + ": case " + std::to_string(i);
        const detail::ParityCase p = detail::read_parity_case(cases[i], case_where);
        Json& result = out["cases"][i];
        if (p.kind == "synaptic")
            detail::dispatch_parity_delay<ExponentialSynapse>(p, result);
        else
            detail::dispatch_parity_delay<InstantaneousSynapse>(p, result);
    }
    return out;
}

}  // namespace jepasnn::lif
