// A population of LIF neurons run over a batch of sequences, with optional all-to-all recurrence
// (snntorch RLeaky with a linear recurrent map), and its hand-written BPTT.
//
// Speed: recurrent input is propagated from the set bits of the previous step's spikes
// (a column add per spike, not a matrix product); the tape keeps spikes, reset signals and
// refractory flags as bits plus one pre-reset membrane V per neuron-step, in the very buffer that
// first held the external currents and finally holds dL/dI; U_{t−1} is recomputed from V, S and R
// instead of being stored; the backward's dense product dL/dI_t · W runs on W packed once
// (recurrent_product.hpp). With `chunk_steps` the tape keeps only the state at chunk starts and
// recomputes each chunk's membranes during the backward (exact gradients, memory O(T/L + L)), or,
// with `truncate`, also cuts the gradient at chunk boundaries (truncated BPTT).
#pragma once

#include "../core/eigen.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "current_statistics.hpp"
#include "neuron_step.hpp"
#include "policies.hpp"
#include "population_io.hpp"
#include "population_state.hpp"
#include "recurrent_product.hpp"
#include "spike_record.hpp"

// The neuron loops read and write a dozen distinct per-neuron arrays: more than the compiler
// will check for overlap at run time, so it is told they never alias.
#if defined(__clang__)
#define JEPASNN_LIF_NO_ALIAS _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define JEPASNN_LIF_NO_ALIAS _Pragma("GCC ivdep")
#else
#define JEPASNN_LIF_NO_ALIAS
#endif

namespace jepasnn::lif {

template <class T, class Policies = DefaultPolicies>
class LifPopulation {
    static_assert(std::is_floating_point_v<T>, "LifPopulation: T must be float or double");
    static_assert(detail::check_neuron_policies<Policies, T>());

  public:
    using Reset = typename Policies::Reset;
    using Surrogate = typename Policies::Surrogate;
    using Synapse = typename Policies::Synapse;
    using SpikeGradient = typename Policies::SpikeGradient;
    static constexpr bool binary_spikes = Surrogate::binary;
    /// Bits for binary spikes, values for graded ones.
    using SpikeRecord = std::conditional_t<binary_spikes, SpikeBits, SpikeValues<T>>;
    using State = PopulationState<T>;

    explicit LifPopulation(PopulationConfig config, Surrogate surrogate = {})
        : config_(config), surrogate_(surrogate) {
        require(config.neurons > 0, "LifPopulation", "neurons is ", config.neurons,
                ", expected > 0");
        require(config.refractory_steps >= 0, "LifPopulation", "refractory_steps is ",
                config.refractory_steps, ", expected >= 0");
        require(config.synaptic_decay == config.synaptic_decay, "LifPopulation",
                "synaptic_decay is NaN");
        require(
            config.excitatory_presynaptic >= 0 && config.excitatory_presynaptic <= config.neurons,
            "LifPopulation", "excitatory_presynaptic is ", config.excitatory_presynaptic,
            ", expected 0..", config.neurons);
    }

    const PopulationConfig& config() const { return config_; }
    Index neurons() const { return config_.neurons; }
    Surrogate& surrogate() { return surrogate_; }
    const Surrogate& surrogate() const { return surrogate_; }

    /// Runs `steps` steps for `batch` sequences from `initial` (zeros when null), storing what
    /// backward() needs. With record_currents, also sums the E and I input currents.
    template <class Source>
    void forward(Source& source, Index batch, Index steps, const PopulationParameters<T>& params,
                 const State* initial = nullptr, BpttOptions options = {},
                 bool record_currents = false) {
        static_assert(CurrentSource<Source, T>,
                      "source must satisfy jepasnn::lif::CurrentSource (lif/population.hpp): "
                      "fill(t0, t1, out), backward(t0, t1, d)");
        constexpr const char* where = "LifPopulation::forward";
        const Index n = neurons();
        require(batch > 0 && steps > 0, where, "batch and steps must be > 0, found ", batch,
                " and ", steps);
        require(params.beta != nullptr && params.threshold != nullptr, where,
                "beta and threshold are required");
        require(options.chunk_steps >= 0, where, "chunk_steps is ", options.chunk_steps,
                ", expected >= 0");
        require(!options.truncate || options.chunk_steps > 0, where,
                "truncate needs chunk_steps > 0");
        check_finite(where, "beta", params.beta, n);
        check_finite(where, "threshold", params.threshold, n);
        if (params.bias != nullptr) check_finite(where, "bias", params.bias, n);
        if (params.recurrent != nullptr)
            check_finite(where, "recurrent weights", params.recurrent, n * n);
        if (initial != nullptr) check_state(where, *initial, batch);

        batch_ = batch;
        steps_ = steps;
        options_ = options;
        chunk_ = options.chunk_steps > 0 ? std::min(options.chunk_steps, steps) : steps;
        prepare_decay(params);
        spikes_.reset(batch, steps, n);
        resets_.reset(batch, steps, n);
        refractory_.reset(config_.refractory_steps > 0 ? batch : 0, steps, n);
        buffer_.resize(static_cast<std::size_t>(batch * chunk_ * n));
        state_ = initial != nullptr ? *initial : State::zeros(batch, n);
        initial_ = state_;
        checkpoints_.clear();
        if (record_currents) currents_.reset(n);
        recorded_currents_ = record_currents;
        have_tape_ = true;

        for (Index t0 = 0; t0 < steps; t0 += chunk_) {
            const Index t1 = std::min(t0 + chunk_, steps);
            if (chunked()) checkpoints_.push_back(state_);
            source.fill(t0, t1, buffer_.data());
            run_chunk(t0, t1, params, record_currents);
        }
        final_ = state_;
    }

    /// BPTT through the last forward: gradients from `sink` (dL/dS, dL/dU), dL/dI handed to
    /// `source.backward`, parameter gradients added into `grads`. One backward per forward.
    template <class Source, class Sink>
    void backward(Source& source, Sink& sink, const PopulationParameters<T>& params,
                  const PopulationGradients<T>& grads) {
        static_assert(CurrentSource<Source, T>,
                      "source must satisfy jepasnn::lif::CurrentSource (lif/population.hpp)");
        static_assert(GradientSink<Sink, T>,
                      "sink must satisfy jepasnn::lif::GradientSink (lif/population.hpp): "
                      "add_spike_gradient, add_membrane_gradient, truncate");
        require(have_tape_, "LifPopulation::backward",
                "no forward to differentiate (call forward first; one backward per forward)");
        have_tape_ = false;
        const Index n = neurons();
        d_membrane_.setZero(batch_, n);
        d_synaptic_.setZero(batch_, n);
        d_spikes_.setZero(batch_, n);
        const Index parts = part_count();
        const auto zeros = AlignedVector<T>(static_cast<std::size_t>(n), T(0));
        std::vector<AlignedVector<T>> d_beta(static_cast<std::size_t>(parts), zeros),
            d_theta = d_beta, d_bias = d_beta;  // (parts, N) partial sums

        if (params.recurrent != nullptr) recurrent_.pack(params.recurrent, n);
        const Index chunks = (steps_ + chunk_ - 1) / chunk_;
        for (Index c = chunks - 1; c >= 0; --c) {
            const Index t0 = c * chunk_;
            const Index t1 = std::min(t0 + chunk_, steps_);
            const State& start = chunked() ? checkpoints_[static_cast<std::size_t>(c)] : initial_;
            if (chunked()) {  // recompute this chunk's membranes from its checkpoint
                state_ = start;
                source.fill(t0, t1, buffer_.data());
                run_chunk(t0, t1, params, false);
            }
            parallel_for_if_large(chunk_work(), 0, parts, [&](std::int64_t p) {
                const auto k = static_cast<std::size_t>(p);
                backward_chunk(p, t0, t1, start, params, sink, d_beta[k], d_theta[k], d_bias[k]);
            });
            if (grads.recurrent != nullptr && params.recurrent != nullptr)
                accumulate_recurrent_gradient(t0, t1, start, grads.recurrent);
            source.backward(t0, t1, buffer_.data());
            if (options_.truncate && c > 0) {
                d_membrane_.setZero();
                d_synaptic_.setZero();
                d_spikes_.setZero();
                for (Index b = 0; b < batch_; ++b)
                    sink.truncate(b);
            }
        }
        for (std::size_t p = 0; p < d_beta.size(); ++p)
            for (Index i = 0; i < n; ++i) {
                const auto k = static_cast<std::size_t>(i);
                if (grads.beta != nullptr && beta_in_range_[k]) grads.beta[i] += d_beta[p][k];
                if (grads.threshold != nullptr) grads.threshold[i] += d_theta[p][k];
                if (grads.bias != nullptr) grads.bias[i] += d_bias[p][k];
            }
    }

    /// Spikes of the last forward, (B, T, N).
    const SpikeRecord& spikes() const { return spikes_; }
    /// The state after the last step of the last forward.
    const State& final_state() const { return final_; }
    /// U_t of the last forward: available while the whole tape is kept (chunk_steps = 0) and
    /// before backward() reuses the buffer for gradients.
    T membrane(Index b, Index t, Index n) const {
        require(have_tape_ && !chunked(), "LifPopulation::membrane",
                "membranes are kept only by an unchunked forward, before its backward");
        return membrane_after_reset<Reset>(
            membrane_before_reset(b, t, n), spikes_.template value<T>(b, t, n),
            resets_.template value<T>(b, t, n), threshold_[static_cast<std::size_t>(n)]);
    }
    /// V_t, the membrane the threshold sees, under the same conditions as membrane().
    T membrane_before_reset(Index b, Index t, Index n) const {
        require(have_tape_ && !chunked(), "LifPopulation::membrane_before_reset",
                "membranes are kept only by an unchunked forward, before its backward");
        return buffer_[static_cast<std::size_t>((b * steps_ + t) * neurons() + n)];
    }
    /// E/I input-current sums of the last forward (when it recorded them).
    const CurrentStatistics& current_statistics() const {
        require(recorded_currents_, "LifPopulation::current_statistics",
                "the last forward did not record currents (record_currents = false)");
        return currents_;
    }
    /// Bytes the tape holds between forward and backward (bits, membranes, checkpoints).
    std::size_t tape_bytes() const {
        const std::size_t state_bytes =
            static_cast<std::size_t>(batch_ * neurons()) * (3 * sizeof(T) + sizeof(std::int32_t));
        return spikes_.bytes() + resets_.bytes() + refractory_.bytes() +
               buffer_.size() * sizeof(T) + (checkpoints_.size() + 1) * state_bytes;
    }
    Index batch() const { return batch_; }
    Index steps() const { return steps_; }

  private:
    bool chunked() const { return chunk_ < steps_; }
    /// Neuron-steps in one chunk of the batch.
    std::int64_t chunk_work() const { return batch_ * chunk_ * neurons(); }
    /// The batch is split into this many contiguous parts, one per thread; small chunks run as
    /// one part (the partition, hence the arithmetic, depends only on the sizes and threads).
    Index part_count() const {
        if (chunk_work() < min_parallel_work) return 1;
        return std::max<Index>(1, std::min<Index>(batch_, thread_count()));
    }
    std::pair<Index, Index> part_range(Index p) const {
        const Index parts = part_count();
        return {batch_ * p / parts, batch_ * (p + 1) / parts};
    }

    static void check_finite(const char* where, const char* what, const T* data, Index count) {
        require_finite(where, what, data, static_cast<std::size_t>(count));
    }

    void check_state(const char* where, const State& s, Index batch) const {
        const Index n = neurons();
        require_shape(where, "initial membrane", s.membrane, batch, n);
        require_shape(where, "initial synaptic current", s.synaptic, batch, n);
        require_shape(where, "initial spikes", s.spikes, batch, n);
        require_shape(where, "initial refractory counters", s.refractory, batch, n);
        require_finite(where, "initial membrane", s.membrane);
        require_finite(where, "initial synaptic current", s.synaptic);
        require_finite(where, "initial spikes", s.spikes);
    }

    void prepare_decay(const PopulationParameters<T>& params) {
        const Index n = neurons();
        beta_.resize(static_cast<std::size_t>(n));
        threshold_.assign(params.threshold, params.threshold + n);
        beta_in_range_.resize(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) {
            const T b = params.beta[i];
            // torch.clamp passes the gradient where min <= x <= max (snntorch clamps β to [0, 1]).
            beta_in_range_[static_cast<std::size_t>(i)] = b >= T(0) && b <= T(1);
            beta_[static_cast<std::size_t>(i)] = std::clamp(b, T(0), T(1));
        }
        alpha_ = std::clamp(static_cast<T>(config_.synaptic_decay), T(0), T(1));
        if (params.bias != nullptr)
            bias_.assign(params.bias, params.bias + n);
        else
            bias_.assign(static_cast<std::size_t>(n), T(0));
    }

    /// Forward over steps [t0, t1) for every sequence: buffer_ holds the chunk's external
    /// currents on entry and V_t on exit; state_ advances to t1.
    void run_chunk(Index t0, Index t1, const PopulationParameters<T>& params, bool record) {
        const Index parts = part_count();
        std::vector<CurrentStatistics> stats(static_cast<std::size_t>(record ? parts : 0));
        parallel_for_if_large(chunk_work(), 0, parts, [&](std::int64_t p) {
            CurrentStatistics* s = record ? &stats[static_cast<std::size_t>(p)] : nullptr;
            if (s != nullptr) s->reset(neurons());
            const auto [b0, b1] = part_range(p);
            for (Index b = b0; b < b1; ++b)
                run_sequence(b, t0, t1, params, s);
        });
        for (const CurrentStatistics& s : stats)
            currents_.add(s);
    }

    void run_sequence(Index b, Index t0, Index t1, const PopulationParameters<T>& params,
                      CurrentStatistics* stats) {
        const Index n = neurons();
        const Index len = t1 - t0;
        std::vector<std::pair<Index, T>> presynaptic;  // S_{t−1} of this sequence: non-zeros
        for (Index j = 0; j < n; ++j)
            if (state_.spikes(b, j) != T(0)) presynaptic.emplace_back(j, state_.spikes(b, j));
        AlignedVector<T> inhibitory(static_cast<std::size_t>(n), T(0));  // (N)
        AlignedVector<T> spikes(static_cast<std::size_t>(n));            // (N) S_t
        AlignedVector<T> resets(static_cast<std::size_t>(n));            // (N) R_t
        AlignedVector<T> refractory(static_cast<std::size_t>(n));        // (N) M_t
        T* u = state_.membrane.row(b).data();
        T* syn = state_.synaptic.row(b).data();
        std::int32_t* counter = state_.refractory.row(b).data();
        const auto refractory_steps = static_cast<std::int32_t>(config_.refractory_steps);
        const T* beta = beta_.data();
        const T* theta = threshold_.data();
        const T* bias = bias_.data();
        const T alpha = alpha_;
        const Surrogate surrogate = surrogate_;  // locals: no aliasing with the stores below

        for (Index t = t0; t < t1; ++t) {
            T* row = buffer_.data() + (b * len + (t - t0)) * n;  // (N) I_ext,t in, V_t out
            if (params.recurrent != nullptr)
                add_active_columns<binary_spikes>(params.recurrent, n,
                                                  config_.excitatory_presynaptic, presynaptic, row,
                                                  inhibitory.data());
            if (stats != nullptr) accumulate_currents(*stats, row, inhibitory.data());
            // Branch-free over neurons, so that it vectorises.
            JEPASNN_LIF_NO_ALIAS
            for (Index i = 0; i < n; ++i) {
                T drive = row[i] + inhibitory[static_cast<std::size_t>(i)] + bias[i];
                if constexpr (Synapse::second_order) {
                    syn[i] = alpha * syn[i] + drive;
                    drive = syn[i];
                }
                const T active = counter[i] > 0 ? T(0) : T(1);
                const StepState<T> st =
                    lif_step_forward<Reset>(surrogate, u[i], drive, beta[i], theta[i], active);
                row[i] = st.pre_reset;
                u[i] = st.membrane;
                spikes[static_cast<std::size_t>(i)] = st.spike;
                resets[static_cast<std::size_t>(i)] = st.reset;
                refractory[static_cast<std::size_t>(i)] = T(1) - active;
                // The refractory period starts at a threshold crossing (a hard event even for
                // graded surrogates).
                const bool fired = (active > T(0)) & (st.pre_reset > theta[i]);
                counter[i] = fired ? refractory_steps : std::max(counter[i] - 1, 0);
            }
            spikes_.store(b, t, spikes.data());
            resets_.store(b, t, resets.data());
            if (refractory_steps > 0) refractory_.store(b, t, refractory.data());
            presynaptic.clear();
            spikes_.for_each_active(b, t,
                                    [&](Index i, auto s) { presynaptic.emplace_back(i, T(s)); });
        }
        for (Index i = 0; i < n; ++i)
            state_.spikes(b, i) = spikes[static_cast<std::size_t>(i)];
    }

    void accumulate_currents(CurrentStatistics& s, const T* excitatory, const T* inhibitory) const {
        for (Index i = 0; i < neurons(); ++i) {
            const double e = excitatory[i], in = inhibitory[i];
            s.sum_excitatory(i) += e;
            s.sum_inhibitory(i) += in;
            s.sum_excitatory_sq(i) += e * e;
            s.sum_inhibitory_sq(i) += in * in;
            s.sum_product(i) += e * in;
        }
        s.samples += 1.0;
    }

    /// Reverse-time loop over [t0, t1) for the sequences of part p. On entry buffer_ holds V_t;
    /// on exit it holds dL/dI_t. The carries d_membrane_, d_synaptic_, d_spikes_ hold dL/dU,
    /// dL/dI_syn and the recurrent dL/dS of the step after the one being processed.
    template <class Sink>
    void backward_chunk(Index p, Index t0, Index t1, const State& start,
                        const PopulationParameters<T>& params, Sink& sink, AlignedVector<T>& d_beta,
                        AlignedVector<T>& d_theta, AlignedVector<T>& d_bias) {
        const Index n = neurons();
        const Index len = t1 - t0;
        const auto [b0, b1] = part_range(p);
        const auto size = static_cast<std::size_t>(n);
        // Per-row scratch: the tape's bits unpacked once so that the neuron loop vectorises.
        AlignedVector<T> d_s(size), u_prev(size), s_now(size), r_now(size), m_now(size, T(0));
        AlignedVector<T> s_prev(size), r_prev(size);
        const T* beta = beta_.data();
        const T* theta = threshold_.data();
        const T alpha = alpha_;
        const Surrogate surrogate = surrogate_;
        T* d_beta_sum = d_beta.data();
        T* d_theta_sum = d_theta.data();
        T* d_bias_sum = d_bias.data();
        for (Index t = t1 - 1; t >= t0; --t) {
            for (Index b = b0; b < b1; ++b) {
                T* row = buffer_.data() + (b * len + (t - t0)) * n;  // (N) V_t in, dL/dI_t out
                const T* d_s_rec = d_spikes_.row(b).data();          // (N) dL/dS_t via step t + 1
                T* d_u = d_membrane_.row(b).data();                  // (N) dL/dU_t
                T* d_syn = d_synaptic_.row(b).data();                // (N) dL/dI_syn,t+1
                std::fill(d_s.begin(), d_s.end(), T(0));
                sink.add_spike_gradient(b, t, d_s.data());
                sink.add_membrane_gradient(b, t, d_u);
                spikes_.unpack(b, t, s_now.data());
                resets_.unpack(b, t, r_now.data());
                if (config_.refractory_steps > 0) refractory_.unpack(b, t, m_now.data());
                // V_{t−2} of this sequence, read as U_{t−2} by the next sweep: the hardware
                // prefetcher does not follow the sweep, whose rows lie a whole chunk apart.
                if (t - 2 >= t0)
                    for (Index i = 0; i < n; i += 64 / Index(sizeof(T)))
                        __builtin_prefetch(row - 2 * n + i);
                const T* u_before = u_prev.data();  // (N) U_{t−1}
                if (t == t0) {                      // U_{t0−1}: the state at the chunk start
                    u_before = start.membrane.row(b).data();
                } else if constexpr (Reset::delayed) {  // U_{t−1} = V_{t−1}
                    u_before = row - n;
                } else {  // U_{t−1} rebuilt from V_{t−1}, S_{t−1} and R_{t−1}
                    spikes_.unpack(b, t - 1, s_prev.data());
                    resets_.unpack(b, t - 1, r_prev.data());
                    for (Index i = 0; i < n; ++i)
                        u_prev[static_cast<std::size_t>(i)] = membrane_after_reset<Reset>(
                            row[i - n], s_prev[static_cast<std::size_t>(i)],
                            r_prev[static_cast<std::size_t>(i)], theta[i]);
                }
                JEPASNN_LIF_NO_ALIAS
                for (Index i = 0; i < n; ++i) {
                    const auto k = static_cast<std::size_t>(i);
                    const StepGradient<T> g = lif_step_backward<Reset, SpikeGradient>(
                        surrogate, d_s[k], d_s_rec[i], d_u[i], u_before[i], row[i], s_now[k],
                        r_now[k], beta[i], theta[i], T(1) - m_now[k]);
                    d_u[i] = g.d_membrane_prev;
                    T d_current = g.d_drive;
                    if constexpr (Synapse::second_order) {
                        d_syn[i] = g.d_drive + alpha * d_syn[i];  // I_syn,t = α I_syn,t−1 + I_t
                        d_current = d_syn[i];
                    }
                    row[i] = d_current;
                    d_beta_sum[i] += g.d_beta;
                    d_theta_sum[i] += g.d_threshold;
                    d_bias_sum[i] += d_current;
                }
            }
            // dL/dS_{t−1} = dL/dI_t · W for the part's sequences (skipped before the first step:
            // the initial spikes are not differentiated).
            if (params.recurrent != nullptr && t > 0) {
                recurrent_.multiply(buffer_.data() + (b0 * len + (t - t0)) * n, b1 - b0, len * n,
                                    d_spikes_.row(b0).data(), n);
            } else {
                for (Index b = b0; b < b1; ++b)
                    d_spikes_.row(b).setZero();
            }
        }
    }

    /// dW[:, j] += Σ_{b, t ∈ [t0, t1)} dL/dI_t[b] · S_{t−1}[b, j], visiting only the spikes. The
    /// rows of dL/dI are visited in order, each read once while dW (N² values) stays in cache; the
    /// presynaptic neurons are split into one range per thread. Every column sums its events in
    /// (b, t) order whatever the ranges, so the result does not depend on the threads.
    void accumulate_recurrent_gradient(Index t0, Index t1, const State& start, T* d_w) {
        const Index n = neurons();
        const Index len = t1 - t0;
        const Index words = (n + 63) / 64;  // ranges start on a word of the spike bits
        const Index ranges = std::min<Index>(words, thread_count());
        parallel_for_if_large(chunk_work(), 0, ranges, [&](std::int64_t r) {
            const Index j0 = words * r / ranges * 64;
            const Index j1 = std::min(n, words * (r + 1) / ranges * 64);
            for (Index b = 0; b < batch_; ++b)
                for (Index t = t0; t < t1; ++t) {
                    const T* d_current = buffer_.data() + (b * len + (t - t0)) * n;
                    const auto add = [&](Index j, T s) {
                        T* column = d_w + j * n;
                        for (Index i = 0; i < n; ++i)
                            column[i] += s * d_current[i];
                    };
                    if (t == t0) {  // S_{t0−1}: the spike state at the chunk start
                        for (Index j = j0; j < j1; ++j)
                            if (start.spikes(b, j) != T(0)) add(j, start.spikes(b, j));
                    } else {
                        spikes_.for_each_active(b, t - 1, j0, j1,
                                                [&](Index j, auto s) { add(j, T(s)); });
                    }
                }
        });
    }

    PopulationConfig config_;
    Surrogate surrogate_;

    // Set by forward().
    Index batch_ = 0, steps_ = 0, chunk_ = 0;
    BpttOptions options_;
    bool have_tape_ = false;
    bool recorded_currents_ = false;
    AlignedVector<T> beta_;            // (N) clamped decay
    std::vector<bool> beta_in_range_;  // (N) where the clamp passes gradients
    AlignedVector<T> threshold_;       // (N)
    AlignedVector<T> bias_;            // (N) zeros without a bias
    T alpha_ = T(0);
    SpikeRecord spikes_;              // (B, T, N) S_t
    SpikeBits resets_;                // (B, T, N) R_t
    SpikeBits refractory_;            // (B, T, N) M_t (empty without a refractory period)
    AlignedVector<T> buffer_;         // (B, chunk, N) currents → V_t → dL/dI_t
    State state_, initial_, final_;   // running state; state at t = 0; state after the last step
    std::vector<State> checkpoints_;  // state at each chunk start (chunked only)
    CurrentStatistics currents_;

    // Carries of the backward, and W packed for its per-step product.
    RowMatrix<T> d_membrane_, d_synaptic_, d_spikes_;  // (B, N) each
    PackedRecurrent<T> recurrent_;
};

}  // namespace jepasnn::lif
