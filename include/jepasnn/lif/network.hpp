// The recurrent E/I student (DESIGN.md, "Network"): N_E excitatory then N_I inhibitory LIF neurons
// (80 : 20 by default) at 1 ms steps, excitatory input synapses, Dale-signed recurrent synapses, a
// readout from exponentially filtered spike trains averaged over each 10 ms bin, and the
// homeostatic and weight penalties; with forward over a batch, backward from dL/d(readout) into
// one contiguous gradient buffer, and the projection that follows every optimizer step.
//
//   input current   I_t = W_in x_t + b + W_rec S_{t−1}   (lif/input_projection.hpp; x_t: spikes
//                                                        at 1 ms or a bin's counts / L)
//   neurons         LifPopulation<T, Policies>          (lif/population.hpp)
//   readout         Y_k = W_out F_k + b_out, F_k the bin average of exponentially filtered
//                   spikes in Hz                        (lif/readout.hpp)
#pragma once

#include "../core/eigen.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "../constraints/dales_principle.hpp"
#include "../constraints/homeostasis.hpp"
#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "../nn/parameters.hpp"
#include "initialization.hpp"
#include "input_projection.hpp"
#include "policies.hpp"
#include "population.hpp"
#include "readout.hpp"

namespace jepasnn::lif {

struct NetworkConfig {
    Index inputs = 0;          // F
    Index excitatory = 80;     // N_E (neurons [0, N_E))
    Index inhibitory = 20;     // N_I (neurons [N_E, N))
    Index readout_dim = 8;     // D
    Index steps_per_bin = 10;  // L: 1 ms steps in a 10 ms bin
    double dt_ms = 1.0;
    double tau_membrane_exc_ms = 20.0;  // β = exp(−dt/τ)
    double tau_membrane_inh_ms = 10.0;
    double tau_synapse_ms = 5.0;  // α = exp(−dt/τ), ExponentialSynapse only
    double threshold = 1.0;
    Index refractory_steps = 2;
    double tau_readout_ms = 20.0;  // λ = exp(−dt/τ) of the readout filter
    bool recurrent = true;         // false: the feed-forward ablation
    bool learn_beta = false;
    bool learn_threshold = false;
    bool readout_excitatory_only = true;  // readout from E neurons (else from all)
    /// Spike-train input with at most this fraction of non-zeros is propagated event by event
    /// (0: always one GEMM); the result is the same up to summation order.
    double sparse_input_density = 0.05;
    // Initialisation.
    RecurrentInit recurrent_init{};
    /// Expected Σ_j W_in[i, j]: the mean drive per step is this times the mean input per input
    /// and step (4 with 400 inputs at 10 Hz: 0.04 per step, V ≈ 0.8 θ at τ = 20 ms).
    double input_weight_total = 4.0;
    double bias = 0.0;  // initial constant input current

    Index neurons() const { return excitatory + inhibitory; }
    Index readout_neurons() const { return readout_excitatory_only ? excitatory : neurons(); }

    /// N neurons split 80 : 20 (E gets the rounding), F inputs, D readout dimensions.
    static NetworkConfig with_neurons(Index neurons, Index inputs, Index readout_dim) {
        NetworkConfig c;
        c.excitatory = (neurons * 4 + 2) / 5;
        c.inhibitory = neurons - c.excitatory;
        c.inputs = inputs;
        c.readout_dim = readout_dim;
        return c;
    }
};

/// Everything that carries from one forward to the next when a long recording is streamed.
template <class T>
struct NetworkState {
    PopulationState<T> neurons;
    RowMatrix<T> trace;  // (B, N) filtered rates f_t, Hz
};

/// Per-call options of Network::forward.
template <class T>
struct ForwardOptions {
    BpttOptions bptt{};
    bool record_currents = false;                    // E/I current statistics (student metrics)
    const NetworkState<T>* initial_state = nullptr;  // zeros when null
};

template <class T = float, class Policies = DefaultPolicies>
class Network {
    static_assert(std::is_floating_point_v<T>, "Network: T must be float or double");
    static_assert(detail::check_network_policies<Policies, T>());

  public:
    using Population = LifPopulation<T, Policies>;
    using Surrogate = typename Policies::Surrogate;
    using Sign = typename Policies::Sign;
    using Rate = typename Policies::Rate;
    using Regularizer = typename Policies::Regularizer;
    using SpikeRecord = typename Population::SpikeRecord;
    using MatrixMap = Eigen::Map<Matrix<T>>;
    using ConstMatrixMap = Eigen::Map<const Matrix<T>>;

    explicit Network(const NetworkConfig& config, std::uint64_t seed, Surrogate surrogate = {},
                     Sign sign = {}, Rate rate = {}, Regularizer regularizer = {})
        : config_(validated(config)),
          population_(population_config(config_), surrogate),
          readout_(readout_settings(config_)),
          sign_(sign),
          rate_(rate),
          regularizer_(regularizer) {
        const Index n = config_.neurons(), f = config_.inputs;
        nn::ParameterLayout layout;
        const auto add = [&](const char* name, Index rows, Index cols = 1) {
            return layout.add(name, rows, cols, false, nn::Init::zeros);
        };
        w_in_ = add("w_in", n, f);
        bias_ = add("bias", n);
        if (config_.recurrent) w_rec_ = add("w_rec", n, n);
        Vector<T> beta(n), threshold = Vector<T>::Constant(n, static_cast<T>(config_.threshold));
        for (Index i = 0; i < n; ++i) {
            const double tau =
                i < config_.excitatory ? config_.tau_membrane_exc_ms : config_.tau_membrane_inh_ms;
            beta(i) = static_cast<T>(std::exp(-config_.dt_ms / tau));
        }
        if (config_.learn_beta) beta_ = add("beta", n);
        if (config_.learn_threshold) threshold_ = add("threshold", n);
        w_out_ = add("w_out", config_.readout_dim, config_.readout_neurons());
        b_out_ = add("b_out", config_.readout_dim);
        params_ = nn::Parameters<T>(std::move(layout));

        input_weights() = excitatory_input_weights<T>(n, f, config_.input_weight_total, seed);
        bias().setConstant(static_cast<T>(config_.bias));
        if (config_.recurrent)
            recurrent_weights() = dale_recurrent_weights<T>(config_.excitatory, config_.inhibitory,
                                                            config_.recurrent_init, seed);
        fixed_beta_ = beta;
        fixed_threshold_ = threshold;
        if (config_.learn_beta) value(*beta_) = beta;
        if (config_.learn_threshold) value(*threshold_) = threshold;
        readout_weights() =
            lif::readout_weights<T>(config_.readout_dim, config_.readout_neurons(), seed);
        signs_.assign(static_cast<std::size_t>(n), constraints::PresynapticSign{1});
        std::fill(signs_.begin() + config_.excitatory, signs_.end(),
                  constraints::PresynapticSign{-1});
        input_signs_.assign(static_cast<std::size_t>(f), constraints::PresynapticSign{1});
    }

    const NetworkConfig& config() const { return config_; }
    Index neurons() const { return config_.neurons(); }

    // ---- parameters -------------------------------------------------------------------------
    /// Every trainable parameter in one buffer (values and gradients): what an optimizer updates.
    /// Its blocks are read column-major ([post][pre] weights: a presynaptic neuron's outgoing
    /// weights are contiguous).
    nn::Parameters<T>& parameters() { return params_; }
    const nn::Parameters<T>& parameters() const { return params_; }

    MatrixMap input_weights() { return value(w_in_); }  // (N, F) [post][pre]
    ConstMatrixMap input_weights() const { return value(w_in_); }
    MatrixMap bias() { return value(bias_); }  // (N, 1)
    ConstMatrixMap bias() const { return value(bias_); }
    MatrixMap recurrent_weights() { return value(recurrent_block()); }  // (N, N)
    ConstMatrixMap recurrent_weights() const { return value(recurrent_block()); }
    MatrixMap readout_weights() { return value(w_out_); }  // (D, R)
    ConstMatrixMap readout_weights() const { return value(w_out_); }
    MatrixMap readout_bias() { return value(b_out_); }  // (D, 1)
    ConstMatrixMap readout_bias() const { return value(b_out_); }
    /// (N, 1) membrane decay β (raw: clamped to [0, 1] where used); in the parameter buffer when
    /// learn_beta, otherwise fixed.
    MatrixMap beta() { return beta_ ? value(*beta_) : MatrixMap(fixed_beta_.data(), neurons(), 1); }
    ConstMatrixMap beta() const {
        return beta_ ? value(*beta_) : ConstMatrixMap(fixed_beta_.data(), neurons(), 1);
    }
    /// (N, 1) thresholds θ; in the parameter buffer when learn_threshold, otherwise fixed.
    MatrixMap threshold() {
        return threshold_ ? value(*threshold_) : MatrixMap(fixed_threshold_.data(), neurons(), 1);
    }
    ConstMatrixMap threshold() const {
        return threshold_ ? value(*threshold_)
                          : ConstMatrixMap(fixed_threshold_.data(), neurons(), 1);
    }

    // ---- policies (runtime settings of the compile-time choices) ----------------------------
    Surrogate& surrogate() { return population_.surrogate(); }
    Sign& sign_constraint() { return sign_; }
    Rate& rate_penalty() { return rate_; }
    const Rate& rate_penalty() const { return rate_; }
    Regularizer& regularizer() { return regularizer_; }
    const Regularizer& regularizer() const { return regularizer_; }
    /// Sign of each presynaptic neuron: +1 for E, −1 for I.
    std::span<const constraints::PresynapticSign> presynaptic_signs() const { return signs_; }

    // ---- forward ----------------------------------------------------------------------------
    /// Runs the batch. Returns the readout (B, K, D); filtered(), rates(), spikes() and the
    /// penalties describe the same run. `input` is read again by backward(): keep it alive and
    /// unchanged until then.
    const Tensor<T, 3>& forward(const Tensor<T, 3>& input, InputKind kind,
                                const ForwardOptions<T>& options = {}) {
        constexpr const char* where = "lif::Network::forward";
        const Index batch = static_cast<Index>(input.shape(0));
        const Index length = static_cast<Index>(input.shape(1));
        const Index f = static_cast<Index>(input.shape(2));
        const Index l = config_.steps_per_bin;
        require(f == config_.inputs, where, "input has ", f, " features, network expects ",
                config_.inputs);
        require(batch > 0 && length > 0, where, "input is ", batch, "x", length, "x", f,
                ", expected a non-empty batch of sequences");
        require(kind == InputKind::binned_counts || length % l == 0, where, "spike trains have ",
                length, " steps, expected a multiple of ", l, " (steps per bin)");
        check_input(where, input);
        if (options.initial_state != nullptr)
            require_shape(where, "initial trace", options.initial_state->trace, batch, neurons());
        have_forward_ = false;

        const Index steps = kind == InputKind::binned_counts ? length * l : length;
        input_.prepare(input, kind, l, std::as_const(*this).input_weights(),
                       config_.sparse_input_density);
        const PopulationState<T>* initial =
            options.initial_state != nullptr ? &options.initial_state->neurons : nullptr;
        population_.forward(input_, batch, steps, population_parameters(), initial, options.bptt,
                            options.record_currents);
        readout_.forward(population_.spikes(),
                         options.initial_state != nullptr ? &options.initial_state->trace : nullptr,
                         std::as_const(*this).readout_weights(),
                         std::as_const(*this).readout_bias());
        rate_sequences_ = batch;
        weight_penalty_ = true;
        evaluate_homeostasis();
        evaluate_regularization();
        have_forward_ = true;
        return readout_.readout();
    }

    /// Data-parallel training, where the batch is split into shards that each run forward() and
    /// backward() (perhaps in other processes): after forward() on one shard, makes rates(), the
    /// homeostatic penalty and its gradient those of the whole batch, whose `sequences` sequences
    /// fired `counts` (N) spikes (every shard's spike_counts() added); backward() then adds the
    /// weight penalty's gradient only when `weight_penalty` (for one shard of the batch). With one
    /// shard, share_batch(spike_counts(), batch(), true) changes nothing.
    void share_batch(const Vector<double>& counts, Index sequences, bool weight_penalty) {
        constexpr const char* where = "lif::Network::share_batch";
        require(have_forward_, where, "no forward to share");
        require(counts.size() == neurons() && sequences >= batch(), where, "counts of ",
                counts.size(), " neurons over ", sequences, " sequences, expected ", neurons(),
                " over at least this forward's ", batch());
        readout_.set_rates(counts, sequences);
        rate_sequences_ = sequences;
        weight_penalty_ = weight_penalty;
        evaluate_homeostasis();
    }

    // ---- backward ---------------------------------------------------------------------------
    /// Adds the gradient of  L_task + homeostasis + regularisation  into parameters().gradients(),
    /// given d_readout = dL_task/dY (B, K, D) and, optionally, d_filtered = dL_task/dF (B, K, N)
    /// for a task loss on the filtered rates themselves.
    void backward(const Tensor<T, 3>& d_readout, const Tensor<T, 3>* d_filtered = nullptr) {
        constexpr const char* where = "lif::Network::backward";
        require(have_forward_, where, "no forward to differentiate (one backward per forward)");
        const Index n = neurons();
        check_tensor(where, "d_readout", d_readout, config_.readout_dim);
        if (d_filtered != nullptr) check_tensor(where, "d_filtered", *d_filtered, n);
        have_forward_ = false;

        // r_i = Σ S / (B·T·dt): the homeostatic dL/dr becomes a constant per neuron in dL/dS.
        const T per_spike = T(1) / static_cast<T>(rate_sequences_ * steps() * config_.dt_ms * 1e-3);
        readout_.backward(d_readout, d_filtered, std::as_const(*this).readout_weights(),
                          gradient(w_out_), gradient(b_out_), Vector<T>(d_rates_ * per_spike));
        input_.begin_backward(gradient(w_in_).data());
        PopulationGradients<T> g;
        g.bias = gradient(bias_).data();
        if (config_.recurrent) g.recurrent = gradient(*w_rec_).data();
        if (beta_) g.beta = gradient(*beta_).data();
        if (threshold_) g.threshold = gradient(*threshold_).data();
        population_.backward(input_, readout_, population_parameters(), g);
        input_.end_backward();

        // Weight regularisation, evaluated by forward at the same parameters.
        if (!weight_penalty_) return;
        const Index in_size = n * config_.inputs;
        MatrixMap d_w_in = gradient(w_in_);  // (N, F)
        d_w_in += regularization_gradient_.head(in_size).reshaped(n, config_.inputs);
        if (config_.recurrent)
            gradient(*w_rec_) += regularization_gradient_.tail(n * n).reshaped(n, n);
    }

    // ---- after each optimizer step ----------------------------------------------------------
    /// Applies the sign policy (Dale: E columns ≥ 0, I columns ≤ 0; input synapses ≥ 0) and keeps
    /// a learnable β inside [0, 1], where the forward's clamp still passes gradients.
    void project() {
        Eigen::Ref<Matrix<T>> w_in = input_weights();
        sign_.project(w_in, std::span<const constraints::PresynapticSign>(input_signs_));
        if (config_.recurrent) {
            Eigen::Ref<Matrix<T>> w_rec = recurrent_weights();
            sign_.project(w_rec, std::span<const constraints::PresynapticSign>(signs_));
        }
        if (beta_) {
            MatrixMap b = value(*beta_);
            b = b.cwiseMax(T(0)).cwiseMin(T(1));
        }
    }

    // ---- what the last forward produced (student metrics) -----------------------------------
    const Tensor<T, 3>& readout() const { return readout_.readout(); }  // (B, K, D)
    /// (B, K, N) filtered rates (Hz) averaged over each bin; E neurons first.
    const Tensor<T, 3>& filtered() const { return readout_.filtered(); }
    /// (N) firing rates in Hz over the whole batch (the shared batch after share_batch).
    const Vector<T>& rates() const { return readout_.rates(); }
    /// (N) spikes of each neuron over the last forward's batch.
    const Vector<double>& spike_counts() const { return readout_.spike_counts(); }
    /// (N) dL_homeostasis/dr (per Hz): its spike-gradient constant is this / (B·T·dt).
    const Vector<T>& rate_gradient() const { return d_rates_; }
    T homeostasis_penalty() const { return homeostasis_; }
    T regularization_penalty() const { return regularization_; }
    const SpikeRecord& spikes() const { return population_.spikes(); }
    /// E/I input-current sums (when the forward recorded them).
    const CurrentStatistics& current_statistics() const { return population_.current_statistics(); }
    NetworkState<T> final_state() const {
        return {population_.final_state(), readout_.final_trace()};
    }
    Index batch() const { return population_.batch(); }
    Index bins() const { return readout_.bins(); }
    Index steps() const { return population_.steps(); }
    /// Whether the last forward propagated its input event by event.
    bool sparse_input() const { return input_.sparse(); }
    /// Bytes held between forward and backward by the BPTT tape (population, input events,
    /// readout buffers).
    std::size_t tape_bytes() const {
        return population_.tape_bytes() + input_.bytes() + readout_.bytes();
    }
    /// The neurons themselves (tape accessors, configuration).
    const Population& population() const { return population_; }

    /// Weights whose sign contradicts their presynaptic neuron (recurrent and input synapses).
    std::size_t dale_violations() const {
        std::size_t v = constraints::count_sign_violations(
            input_weights(), std::span<const constraints::PresynapticSign>(input_signs_));
        if (config_.recurrent)
            v += constraints::count_sign_violations(
                recurrent_weights(), std::span<const constraints::PresynapticSign>(signs_));
        return v;
    }
    /// ρ(W_rec) (0 for the feed-forward ablation).
    double spectral_radius() const {
        return config_.recurrent ? lif::spectral_radius(recurrent_weights()) : 0.0;
    }

  private:
    static NetworkConfig validated(const NetworkConfig& c) {
        constexpr const char* where = "lif::NetworkConfig";
        require(c.inputs >= 1, where, "inputs is ", c.inputs, ", expected >= 1");
        require(c.excitatory >= 1 && c.inhibitory >= 0, where, "needs >= 1 E and >= 0 I neurons, ",
                "found ", c.excitatory, " and ", c.inhibitory);
        require(c.readout_dim >= 1, where, "readout_dim is ", c.readout_dim, ", expected >= 1");
        require(c.steps_per_bin >= 1, where, "steps_per_bin is ", c.steps_per_bin,
                ", expected >= 1");
        require(c.dt_ms > 0.0 && c.tau_membrane_exc_ms > 0.0 && c.tau_membrane_inh_ms > 0.0 &&
                    c.tau_synapse_ms > 0.0 && c.tau_readout_ms > 0.0,
                where, "dt and every time constant must be > 0");
        require(std::isfinite(c.threshold) && std::isfinite(c.bias) &&
                    std::isfinite(c.input_weight_total),
                where, "threshold, bias and input_weight_total must be finite");
        require(c.refractory_steps >= 0, where, "refractory_steps is ", c.refractory_steps,
                ", expected >= 0");
        require(c.sparse_input_density >= 0.0 && c.sparse_input_density <= 1.0, where,
                "sparse_input_density is ", c.sparse_input_density, ", expected in [0, 1]");
        return c;
    }

    static PopulationConfig population_config(const NetworkConfig& c) {
        PopulationConfig p;
        p.neurons = c.neurons();
        p.synaptic_decay = std::exp(-c.dt_ms / c.tau_synapse_ms);
        p.refractory_steps = c.refractory_steps;
        p.excitatory_presynaptic = c.excitatory;
        return p;
    }

    static typename FilteredReadout<T>::Settings readout_settings(const NetworkConfig& c) {
        return {c.steps_per_bin, c.dt_ms, c.tau_readout_ms, c.readout_neurons()};
    }

    MatrixMap value(const nn::ParameterBlock& b) { return params_.template value<Matrix<T>>(b); }
    ConstMatrixMap value(const nn::ParameterBlock& b) const {
        return params_.template value<Matrix<T>>(b);
    }
    MatrixMap gradient(const nn::ParameterBlock& b) {
        return params_.template gradient<Matrix<T>>(b);
    }

    const nn::ParameterBlock& recurrent_block() const {
        require(config_.recurrent, "lif::Network",
                "the feed-forward network (recurrent = false) has no recurrent weights");
        return *w_rec_;
    }

    PopulationParameters<T> population_parameters() const {
        PopulationParameters<T> p;
        p.beta = beta().data();
        p.threshold = threshold().data();
        p.bias = bias().data();
        if (config_.recurrent) p.recurrent = recurrent_weights().data();
        return p;
    }

    static void check_input(const char* where, const Tensor<T, 3>& input) {
        const T* x = input.data();
        const std::size_t i =
            parallel_first_outside(x, input.size(), T(0), std::numeric_limits<T>::max());
        if (i < input.size()) [[unlikely]]
            fail(where, "input has ", x[i], " at flat index ", i,
                 ", expected finite non-negative counts or spikes");
    }

    void check_tensor(const char* where, const char* what, const Tensor<T, 3>& t,
                      Index features) const {
        const auto s = t.shape();
        require(static_cast<Index>(s[0]) == batch() && static_cast<Index>(s[1]) == bins() &&
                    static_cast<Index>(s[2]) == features,
                where, what, " is ", s[0], "x", s[1], "x", s[2], ", expected ", batch(), "x",
                bins(), "x", features);
        require_finite(where, what, t.data(), t.size());
    }

    void evaluate_homeostasis() {
        const Index n = neurons();
        d_rates_.setZero(n);
        homeostasis_ = static_cast<T>(rate_.evaluate(
            std::span<const T>(rates().data(), static_cast<std::size_t>(n)),
            constraints::PopulationSizes{static_cast<std::size_t>(config_.excitatory),
                                         static_cast<std::size_t>(config_.inhibitory)},
            std::span<T>(d_rates_.data(), static_cast<std::size_t>(n))));
    }

    void evaluate_regularization() {
        const Index n = neurons();
        const Index in_size = n * config_.inputs, rec_size = config_.recurrent ? n * n : 0;
        regularization_gradient_.setZero(in_size + rec_size);
        const ConstMatrixMap w_in = std::as_const(*this).input_weights();
        regularization_ = static_cast<T>(regularizer_.evaluate(
            std::span<const T>(w_in.data(), static_cast<std::size_t>(in_size)),
            std::span<T>(regularization_gradient_.data(), static_cast<std::size_t>(in_size))));
        if (config_.recurrent) {
            const ConstMatrixMap w_rec = std::as_const(*this).recurrent_weights();
            regularization_ += static_cast<T>(regularizer_.evaluate(
                std::span<const T>(w_rec.data(), static_cast<std::size_t>(rec_size)),
                std::span<T>(regularization_gradient_.data() + in_size,
                             static_cast<std::size_t>(rec_size))));
        }
    }

    NetworkConfig config_;
    Population population_;
    InputProjection<T> input_;
    FilteredReadout<T> readout_;
    Sign sign_;
    Rate rate_;
    Regularizer regularizer_;

    nn::Parameters<T> params_;
    nn::ParameterBlock w_in_, bias_, w_out_, b_out_;
    std::optional<nn::ParameterBlock> w_rec_, beta_, threshold_;
    Vector<T> fixed_beta_, fixed_threshold_;                 // (N) when not learnable
    std::vector<constraints::PresynapticSign> signs_;        // (N) +1 E, −1 I
    std::vector<constraints::PresynapticSign> input_signs_;  // (F) all +1

    // The last forward.
    bool have_forward_ = false;
    Index rate_sequences_ = 0;    // the sequences rates() are over (share_batch)
    bool weight_penalty_ = true;  // whether backward() adds the weight penalty's gradient
    Vector<T> d_rates_;           // (N) dL_homeostasis/dr
    T homeostasis_ = T(0), regularization_ = T(0);
    Vector<T> regularization_gradient_;  // (N·F + N·N) at the forward's parameters
};

}  // namespace jepasnn::lif
