// The recurrent E/I student (DESIGN.md, "Network"): N_E excitatory then N_I inhibitory LIF neurons
// (80 : 20 by default) at 1 ms steps, excitatory input synapses, Dale-signed recurrent synapses, a
// readout from exponentially filtered spike trains averaged over each 10 ms bin, and the
// homeostatic and weight penalties; with forward over a batch, backward from dL/d(readout) into
// one contiguous gradient buffer, and the projection that follows every optimizer step.
//
//   input current   I_t = W_in x_t + b + W_rec S_{t−1}      (x_t: spikes at 1 ms, or a bin's
//                                                           counts spread evenly over its steps)
//   neurons         LifPopulation<T, Policies>             (lif/population.hpp)
//   filtered rate   f_t = λ f_{t−1} + (1 − λ) S_t / dt     (Hz), λ = exp(−dt/τ_readout)
//   bin average     F_k = mean of f_t over the steps of bin k
//   readout         Y_k = W_out F_k[readout neurons] + b_out
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "../constraints/dales_principle.hpp"
#include "../constraints/homeostasis.hpp"
#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "initialization.hpp"
#include "parameters.hpp"
#include "policies.hpp"
#include "population.hpp"

namespace jepasnn::lif {

/// What the input tensor holds.
enum class InputKind {
    binned_counts,  // (B, K, F): spike counts per bin; each of the bin's steps gets count / steps
    spike_trains,   // (B, T, F): spikes (or any non-negative drive) at every 1 ms step
};

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
    // Initialisation.
    RecurrentInit recurrent_init{};
    double input_weight_total = 5.0;  // expected Σ_j W_in[i, j]
    double bias = 0.0;                // initial constant input current

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
          sign_(sign),
          rate_(rate),
          regularizer_(regularizer) {
        const Index n = config_.neurons(), f = config_.inputs;
        w_in_ = params_.add("w_in", n, f);
        bias_ = params_.add("bias", n);
        if (config_.recurrent) w_rec_ = params_.add("w_rec", n, n);
        Vector<T> beta(n), threshold = Vector<T>::Constant(n, static_cast<T>(config_.threshold));
        for (Index i = 0; i < n; ++i) {
            const double tau =
                i < config_.excitatory ? config_.tau_membrane_exc_ms : config_.tau_membrane_inh_ms;
            beta(i) = static_cast<T>(std::exp(-config_.dt_ms / tau));
        }
        if (config_.learn_beta) beta_ = params_.add("beta", n);
        if (config_.learn_threshold) threshold_ = params_.add("threshold", n);
        w_out_ = params_.add("w_out", config_.readout_dim, config_.readout_neurons());
        b_out_ = params_.add("b_out", config_.readout_dim);

        input_weights() = excitatory_input_weights<T>(n, f, config_.input_weight_total, seed);
        bias().setConstant(static_cast<T>(config_.bias));
        if (config_.recurrent)
            recurrent_weights() = dale_recurrent_weights<T>(config_.excitatory, config_.inhibitory,
                                                            config_.recurrent_init, seed);
        fixed_beta_ = beta;
        fixed_threshold_ = threshold;
        if (config_.learn_beta) params_.value(*beta_) = beta;
        if (config_.learn_threshold) params_.value(*threshold_) = threshold;
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
    ParameterSet<T>& parameters() { return params_; }
    const ParameterSet<T>& parameters() const { return params_; }

    MatrixMap input_weights() { return params_.value(w_in_); }  // (N, F) [post][pre]
    ConstMatrixMap input_weights() const { return params_.value(w_in_); }
    MatrixMap bias() { return params_.value(bias_); }  // (N, 1)
    ConstMatrixMap bias() const { return params_.value(bias_); }
    MatrixMap recurrent_weights() { return params_.value(recurrent_block()); }  // (N, N)
    ConstMatrixMap recurrent_weights() const { return params_.value(recurrent_block()); }
    MatrixMap readout_weights() { return params_.value(w_out_); }  // (D, R)
    ConstMatrixMap readout_weights() const { return params_.value(w_out_); }
    MatrixMap readout_bias() { return params_.value(b_out_); }  // (D, 1)
    ConstMatrixMap readout_bias() const { return params_.value(b_out_); }
    /// (N, 1) membrane decay β (raw: clamped to [0, 1] where used); in the parameter buffer when
    /// learn_beta, otherwise fixed.
    MatrixMap beta() {
        return beta_ ? params_.value(*beta_) : MatrixMap(fixed_beta_.data(), neurons(), 1);
    }
    ConstMatrixMap beta() const {
        return beta_ ? params_.value(*beta_) : ConstMatrixMap(fixed_beta_.data(), neurons(), 1);
    }
    /// (N, 1) thresholds θ; in the parameter buffer when learn_threshold, otherwise fixed.
    MatrixMap threshold() {
        return threshold_ ? params_.value(*threshold_)
                          : MatrixMap(fixed_threshold_.data(), neurons(), 1);
    }
    ConstMatrixMap threshold() const {
        return threshold_ ? params_.value(*threshold_)
                          : ConstMatrixMap(fixed_threshold_.data(), neurons(), 1);
    }

    // ---- policies (runtime settings of the compile-time choices) ----------------------------
    Surrogate& surrogate() { return population_.surrogate(); }
    Sign& sign_constraint() { return sign_; }
    Rate& rate_penalty() { return rate_; }
    Regularizer& regularizer() { return regularizer_; }
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
        batch_ = batch;
        bins_ = kind == InputKind::binned_counts ? length : length / l;
        steps_ = bins_ * l;
        input_ = &input;
        kind_ = kind;
        const Index n = neurons();
        if (options.initial_state != nullptr)
            require_shape(where, "initial trace", options.initial_state->trace, batch, n);

        InputCurrents source(*this);
        if (kind == InputKind::binned_counts) source.prepare_bins();
        const PopulationState<T>* initial =
            options.initial_state != nullptr ? &options.initial_state->neurons : nullptr;
        population_.forward(source, batch, steps_, population_parameters(), initial, options.bptt,
                            options.record_currents);
        filter_and_read_out(options.initial_state);
        evaluate_penalties();
        have_forward_ = true;
        return readout_;
    }

    // ---- backward ---------------------------------------------------------------------------
    /// Adds the gradient of  L_task + homeostasis + regularisation  into parameters().gradients(),
    /// given d_readout = dL_task/dY (B, K, D) and, optionally, d_filtered = dL_task/dF (B, K, N)
    /// for a task loss on the filtered rates themselves.
    void backward(const Tensor<T, 3>& d_readout, const Tensor<T, 3>* d_filtered = nullptr) {
        constexpr const char* where = "lif::Network::backward";
        require(have_forward_, where, "no forward to differentiate (one backward per forward)");
        const Index n = neurons(), r = config_.readout_neurons(), d = config_.readout_dim;
        const Index rows = batch_ * bins_;
        check_tensor(where, "d_readout", d_readout, d);
        if (d_filtered != nullptr) check_tensor(where, "d_filtered", *d_filtered, n);
        have_forward_ = false;

        // Readout: Y = F_R W_outᵀ + b_out  →  dW_out += dYᵀ F_R, db_out += Σ dY, dF_R = dY W_out.
        const Eigen::Map<const RowMatrix<T>> dy(d_readout.data(), rows, d);     // (B·K, D)
        const Eigen::Map<const RowMatrix<T>> f_all(filtered_.data(), rows, n);  // (B·K, N)
        params_.gradient(w_out_).noalias() += dy.transpose() * f_all.leftCols(r);
        params_.gradient(b_out_) += dy.colwise().sum().transpose();
        d_filtered_.resize(rows, n);  // (B·K, N) dL/dF
        if (d_filtered != nullptr)
            d_filtered_ = Eigen::Map<const RowMatrix<T>>(d_filtered->data(), rows, n);
        else
            d_filtered_.setZero();
        d_filtered_.leftCols(r).noalias() += dy * readout_weights();

        InputCurrents source(*this);
        if (kind_ == InputKind::binned_counts) source.zero_bin_gradients();
        ReadoutSink sink(*this);
        const PopulationParameters<T> p = population_parameters();
        PopulationGradients<T> g;
        g.bias = params_.gradient(bias_).data();
        if (config_.recurrent) g.recurrent = params_.gradient(*w_rec_).data();
        if (beta_) g.beta = params_.gradient(*beta_).data();
        if (threshold_) g.threshold = params_.gradient(*threshold_).data();
        population_.backward(source, sink, p, g);
        if (kind_ == InputKind::binned_counts) source.finish_bins();

        // Weight regularisation, evaluated by forward at the same parameters.
        MatrixMap d_w_in = params_.gradient(w_in_);  // (N, F)
        d_w_in += regularization_gradient_.topRows(n * config_.inputs).reshaped(n, config_.inputs);
        if (config_.recurrent)
            params_.gradient(*w_rec_) += regularization_gradient_.bottomRows(n * n).reshaped(n, n);
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
            MatrixMap b = params_.value(*beta_);
            b = b.cwiseMax(T(0)).cwiseMin(T(1));
        }
    }

    // ---- what the last forward produced (student metrics) -----------------------------------
    const Tensor<T, 3>& readout() const { return readout_; }  // (B, K, D)
    /// (B, K, N) filtered rates (Hz) averaged over each bin; E neurons first.
    const Tensor<T, 3>& filtered() const { return filtered_; }
    /// (N) firing rates in Hz over the whole batch.
    const Vector<T>& rates() const { return rates_; }
    /// (N) dL_homeostasis/dr (per Hz): its spike-gradient constant is this / (B·T·dt).
    const Vector<T>& rate_gradient() const { return d_rates_; }
    T homeostasis_penalty() const { return homeostasis_; }
    T regularization_penalty() const { return regularization_; }
    const SpikeRecord& spikes() const { return population_.spikes(); }
    /// E/I input-current sums (when the forward recorded them).
    const CurrentStatistics& current_statistics() const { return population_.current_statistics(); }
    NetworkState<T> final_state() const { return {population_.final_state(), trace_final_}; }
    Index batch() const { return batch_; }
    Index bins() const { return bins_; }
    Index steps() const { return steps_; }
    /// Bytes held between forward and backward by the BPTT tape.
    std::size_t tape_bytes() const { return population_.tape_bytes(); }
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
    // External input currents for the population: one GEMM over all B·T rows (spike trains) or
    // B·K rows (binned counts, then repeated over each bin's steps).
    class InputCurrents {
      public:
        explicit InputCurrents(Network& net) : net_(net) {}

        /// Binned input: C = (X / L) W_inᵀ once, (B·K, N).
        void prepare_bins() {
            const Index rows = net_.batch_ * net_.bins_;
            net_.bin_currents_.noalias() = (input_rows(rows) * net_.input_weights().transpose()) /
                                           static_cast<T>(net_.config_.steps_per_bin);
        }
        void zero_bin_gradients() {
            net_.bin_gradients_.setZero(net_.batch_ * net_.bins_, net_.neurons());
        }
        /// dW_in += G_binᵀ X / L with G_bin the per-bin sums of dL/dI.
        void finish_bins() {
            const Index rows = net_.batch_ * net_.bins_;
            net_.params_.gradient(net_.w_in_).noalias() +=
                (net_.bin_gradients_.transpose() * input_rows(rows)) /
                static_cast<T>(net_.config_.steps_per_bin);
        }

        void fill(Index t0, Index t1, T* out) const {
            const Index n = net_.neurons(), len = t1 - t0, steps = net_.steps_;
            if (net_.kind_ == InputKind::binned_counts) {
                const Index l = net_.config_.steps_per_bin;
                for (Index b = 0; b < net_.batch_; ++b)
                    for (Index t = t0; t < t1; ++t)
                        Eigen::Map<RowVector<T>>(out + (b * len + t - t0) * n, n) =
                            net_.bin_currents_.row(b * net_.bins_ + t / l);
                return;
            }
            const ConstMatrixMap w_in = std::as_const(net_).input_weights();  // (N, F)
            if (len == steps) {  // the whole sequence: one GEMM over all B·T rows
                Eigen::Map<RowMatrix<T>>(out, net_.batch_ * steps, n).noalias() =
                    input_rows(net_.batch_ * steps) * w_in.transpose();
                return;
            }
            for (Index b = 0; b < net_.batch_; ++b)
                Eigen::Map<RowMatrix<T>>(out + b * len * n, len, n).noalias() =
                    sequence_rows(b, t0, len) * w_in.transpose();
        }

        void backward(Index t0, Index t1, const T* d) const {
            const Index n = net_.neurons(), len = t1 - t0, steps = net_.steps_;
            if (net_.kind_ == InputKind::binned_counts) {
                const Index l = net_.config_.steps_per_bin;
                for (Index b = 0; b < net_.batch_; ++b)
                    for (Index t = t0; t < t1; ++t)
                        net_.bin_gradients_.row(b * net_.bins_ + t / l) +=
                            Eigen::Map<const RowVector<T>>(d + (b * len + t - t0) * n, n);
                return;
            }
            MatrixMap d_w_in = net_.params_.gradient(net_.w_in_);  // (N, F)
            if (len == steps) {
                const Eigen::Map<const RowMatrix<T>> g(d, net_.batch_ * steps, n);
                d_w_in.noalias() += g.transpose() * input_rows(net_.batch_ * steps);
                return;
            }
            for (Index b = 0; b < net_.batch_; ++b) {
                const Eigen::Map<const RowMatrix<T>> g(d + b * len * n, len, n);
                d_w_in.noalias() += g.transpose() * sequence_rows(b, t0, len);
            }
        }

      private:
        Eigen::Map<const RowMatrix<T>> input_rows(Index rows) const {
            return {net_.input_->data(), rows, net_.config_.inputs};
        }
        Eigen::Map<const RowMatrix<T>> sequence_rows(Index b, Index t0, Index len) const {
            const Index f = net_.config_.inputs;
            return {net_.input_->data() + (b * net_.steps_ + t0) * f, len, f};
        }
        Network& net_;
    };

    // dL/dS from the readout filter (a reverse-time recursion per sequence) and the homeostatic
    // constant per neuron.
    class ReadoutSink {
      public:
        explicit ReadoutSink(Network& net) : net_(net) {
            net_.d_trace_.setZero(net_.batch_, net_.neurons());
            const T per_spike = T(1) / static_cast<T>(net_.batch_ * net_.steps_ * net_.dt_s());
            net_.d_spike_homeostasis_ = net_.d_rates_ * per_spike;
        }
        void add_spike_gradient(Index b, Index t, T* d_spike) const {
            // f_t = λ f_{t−1} + c S_t, F_k = mean_{t ∈ k} f_t:
            //   dL/df_t = dL/dF_k(t) / L + λ dL/df_{t+1},  dL/dS_t += c dL/df_t.
            const Index n = net_.neurons(), l = net_.config_.steps_per_bin;
            const T lambda = net_.trace_decay(), c = net_.trace_gain();
            const T inv_l = T(1) / static_cast<T>(l);
            const T* d_f = net_.d_filtered_.row(b * net_.bins_ + t / l).data();  // (N)
            T* d_trace = net_.d_trace_.row(b).data();                            // (N)
            const T* homeostasis = net_.d_spike_homeostasis_.data();             // (N)
            for (Index i = 0; i < n; ++i) {
                d_trace[i] = lambda * d_trace[i] + inv_l * d_f[i];
                d_spike[i] += c * d_trace[i] + homeostasis[i];
            }
        }
        void add_membrane_gradient(Index, Index, T*) const {}
        void truncate(Index b) const { net_.d_trace_.row(b).setZero(); }

      private:
        Network& net_;
    };

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

    std::size_t recurrent_block() const {
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
        for (std::size_t i = 0; i < input.size(); ++i)
            if (!(x[i] >= T(0)) || !std::isfinite(x[i])) [[unlikely]]
                fail(where, "input has ", x[i], " at flat index ", i,
                     ", expected finite non-negative counts or spikes");
    }

    void check_tensor(const char* where, const char* what, const Tensor<T, 3>& t,
                      Index features) const {
        const auto s = t.shape();
        require(static_cast<Index>(s[0]) == batch_ && static_cast<Index>(s[1]) == bins_ &&
                    static_cast<Index>(s[2]) == features,
                where, what, " is ", s[0], "x", s[1], "x", s[2], ", expected ", batch_, "x", bins_,
                "x", features);
        require_finite(where, what, t.data(), t.size());
    }

    double dt_s() const { return config_.dt_ms * 1e-3; }
    T trace_decay() const {
        return static_cast<T>(std::exp(-config_.dt_ms / config_.tau_readout_ms));
    }
    /// (1 − λ)/dt: the filtered trace of a constant rate r settles at r (Hz).
    T trace_gain() const {
        return static_cast<T>((1.0 - std::exp(-config_.dt_ms / config_.tau_readout_ms)) / dt_s());
    }

    /// Rates, filtered bin averages and the readout, from the spike record.
    void filter_and_read_out(const NetworkState<T>* initial) {
        const Index n = neurons(), l = config_.steps_per_bin, d = config_.readout_dim;
        const Index r = config_.readout_neurons();
        const SpikeRecord& spikes = population_.spikes();
        filtered_.resize({static_cast<std::size_t>(batch_), static_cast<std::size_t>(bins_),
                          static_cast<std::size_t>(n)});
        readout_.resize({static_cast<std::size_t>(batch_), static_cast<std::size_t>(bins_),
                         static_cast<std::size_t>(d)});
        trace_final_.resize(batch_, n);
        const T lambda = trace_decay(), c = trace_gain(), inv_l = T(1) / static_cast<T>(l);
        std::vector<Vector<double>> counts(static_cast<std::size_t>(batch_));
        detail::parallel_for_work(batch_ * steps_ * n, 0, batch_, [&](std::int64_t b) {
            Vector<T> trace = Vector<T>::Zero(n);  // (N) f_t
            if (initial != nullptr) trace = initial->trace.row(b).transpose();
            Vector<double>& count = counts[static_cast<std::size_t>(b)];
            count.setZero(n);
            Eigen::Map<RowMatrix<T>> f(filtered_.data() + b * bins_ * n, bins_, n);  // (K, N)
            f.setZero();
            for (Index t = 0; t < steps_; ++t) {
                trace *= lambda;
                spikes.for_each_active(b, t, [&](Index i, auto s) {
                    trace(i) += c * static_cast<T>(s);
                    count(i) += static_cast<double>(s);
                });
                f.row(t / l) += inv_l * trace.transpose();
            }
            trace_final_.row(b) = trace.transpose();
        });
        Vector<double> total = Vector<double>::Zero(n);
        for (const Vector<double>& c_b : counts)
            total += c_b;
        rates_ = (total / (static_cast<double>(batch_ * steps_) * dt_s())).template cast<T>();

        const Index rows = batch_ * bins_;
        const Eigen::Map<const RowMatrix<T>> f_all(filtered_.data(), rows, n);
        Eigen::Map<RowMatrix<T>> y(readout_.data(), rows, d);
        y.noalias() = f_all.leftCols(r) * readout_weights().transpose();
        y.rowwise() += readout_bias().col(0).transpose();
    }

    void evaluate_penalties() {
        const Index n = neurons();
        d_rates_.setZero(n);
        homeostasis_ = static_cast<T>(rate_.evaluate(
            std::span<const T>(rates_.data(), static_cast<std::size_t>(n)),
            constraints::PopulationSizes{static_cast<std::size_t>(config_.excitatory),
                                         static_cast<std::size_t>(config_.inhibitory)},
            std::span<T>(d_rates_.data(), static_cast<std::size_t>(n))));
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
    Sign sign_;
    Rate rate_;
    Regularizer regularizer_;

    ParameterSet<T> params_;
    std::size_t w_in_ = 0, bias_ = 0, w_out_ = 0, b_out_ = 0;
    std::optional<std::size_t> w_rec_, beta_, threshold_;
    Vector<T> fixed_beta_, fixed_threshold_;                 // (N) when not learnable
    std::vector<constraints::PresynapticSign> signs_;        // (N) +1 E, −1 I
    std::vector<constraints::PresynapticSign> input_signs_;  // (F) all +1

    // The last forward.
    const Tensor<T, 3>* input_ = nullptr;
    InputKind kind_ = InputKind::spike_trains;
    Index batch_ = 0, bins_ = 0, steps_ = 0;
    bool have_forward_ = false;
    RowMatrix<T> bin_currents_;  // (B·K, N) binned input only
    Tensor<T, 3> filtered_;      // (B, K, N)
    Tensor<T, 3> readout_;       // (B, K, D)
    RowMatrix<T> trace_final_;   // (B, N)
    Vector<T> rates_, d_rates_;  // (N) Hz, dL/dr
    T homeostasis_ = T(0), regularization_ = T(0);
    Vector<T> regularization_gradient_;  // (N·F + N·N) at the forward's parameters

    // Backward scratch.
    RowMatrix<T> d_filtered_;        // (B·K, N)
    RowMatrix<T> d_trace_;           // (B, N) dL/df carried backwards in time
    RowMatrix<T> bin_gradients_;     // (B·K, N) binned input only
    Vector<T> d_spike_homeostasis_;  // (N)
};

}  // namespace jepasnn::lif
