// cuda::LifPopulation: lif::LifPopulation on the GPU, with the same configuration, parameter,
// state and gradient types and the same forward/backward signatures, so a population (and any
// class templated on it) moves to the device by changing one type (PopulationFor<Device, …>).
//
//   feed-forward:  one fused kernel runs all T steps, state in registers (lif_kernels.cuh)
//   recurrent:     sparse: one block per sequence propagates the previous step's spikes column by
//                  column inside the same fused kernel; dense: per step, one cuBLAS GEMM
//                  S_{t−1}·W_recᵀ added into the currents, then the step kernel. The backward
//                  runs step by step with dL/dS_{t−1} = dL/dI_t·W_rec by cuBLAS and one GEMM
//                  over all steps for dW_rec.
// Host CurrentSource / GradientSink objects (lif/population.hpp) work unchanged (their data is
// copied across); DeviceCurrents / DeviceOutputGradients keep everything on the device.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "../lif/population.hpp"
#include "blas.cuh"
#include "lif_kernels.cuh"
#include "runtime.cuh"

namespace jepasnn::cuda {

/// How recurrent spikes reach their targets.
enum class RecurrentPropagation {
    automatic,  // sparse while the last forward's spike density was ≤ 10% and N ≤ 4096
    sparse,     // column adds for the spikes only, inside the fused kernel (N ≤ 4096)
    dense       // a cuBLAS GEMM per step
};

/// Currents (B, T, N) already on the device, used in place: the array holds the currents on
/// entry, V_t after forward() and dL/dI_t after backward() (no copy: the fused kernels' ~22
/// bytes per neuron-step are all the traffic there is).
template <class T>
struct DeviceCurrents {
    T* data = nullptr;
};

/// Downstream gradients on the device (any may be null): dL/dS_t and dL/dU_t as (B, T, N), and
/// a constant (N) added to every dL/dS_t (the homeostatic dL/dr · 1/(B·T·dt)).
template <class T>
struct DeviceOutputGradients {
    const T* d_spikes = nullptr;
    const T* d_membranes = nullptr;
    const T* d_spike_constant = nullptr;
};

template <class T, class Policies = lif::DefaultPolicies>
class LifPopulation {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "cuda::LifPopulation: T must be float or double");
    static_assert(lif::detail::check_neuron_policies<Policies, T>());
    static_assert(Policies::Surrogate::binary,
                  "cuda::LifPopulation: the CUDA kernels store spikes as bits; Policies::Surrogate "
                  "must be binary (constraints/surrogate.hpp)");

  public:
    using Reset = typename Policies::Reset;
    using Surrogate = typename Policies::Surrogate;
    using SpikeRecord = lif::SpikeBits;
    using State = lif::PopulationState<T>;
    static constexpr bool binary_spikes = true;

    explicit LifPopulation(lif::PopulationConfig config, Surrogate surrogate = {},
                           Device device = {},
                           RecurrentPropagation propagation = RecurrentPropagation::automatic)
        : cpu_check_(config, surrogate),
          config_(config),
          surrogate_(surrogate),
          device_(device),
          propagation_(propagation) {}

    const lif::PopulationConfig& config() const { return config_; }
    Index neurons() const { return config_.neurons; }
    Surrogate& surrogate() { return surrogate_; }
    const Surrogate& surrogate() const { return surrogate_; }
    const Device& device() const { return device_; }

    /// lif::LifPopulation::forward on the device. The whole tape stays on the device, so
    /// options.chunk_steps must be 0; E/I current statistics are CPU-only.
    template <class Source>
    void forward(Source& source, Index batch, Index steps,
                 const lif::PopulationParameters<T>& params, const State* initial = nullptr,
                 lif::BpttOptions options = {}, bool record_currents = false) {
        constexpr const char* where = "cuda::LifPopulation::forward";
        const Index n = neurons();
        require(batch > 0 && steps > 0, where, "batch and steps must be > 0, found ", batch,
                " and ", steps);
        require(params.beta != nullptr && params.threshold != nullptr, where,
                "beta and threshold are required");
        require(options.chunk_steps == 0 && !options.truncate, where, "chunk_steps is ",
                options.chunk_steps, ", expected 0 (the device keeps the whole tape)");
        require(!record_currents, where,
                "E/I current statistics are recorded by lif::LifPopulation only");
        require(params.recurrent == nullptr || propagation_ != RecurrentPropagation::sparse ||
                    n <= max_sparse_neurons,
                where, "sparse propagation holds at most ", max_sparse_neurons,
                " neurons, population has ", n);
        require_finite(where, "beta", params.beta, static_cast<std::size_t>(n));
        require_finite(where, "threshold", params.threshold, static_cast<std::size_t>(n));
        if (params.bias != nullptr)
            require_finite(where, "bias", params.bias, static_cast<std::size_t>(n));
        if (initial != nullptr) {
            require_shape(where, "initial membrane", initial->membrane, batch, n);
            require_shape(where, "initial synaptic current", initial->synaptic, batch, n);
            require_shape(where, "initial spikes", initial->spikes, batch, n);
            require_shape(where, "initial refractory counters", initial->refractory, batch, n);
            require_finite(where, "initial membrane", initial->membrane);
            require_finite(where, "initial synaptic current", initial->synaptic);
            require_finite(where, "initial spikes", initial->spikes);
        }
        device_.activate();
        batch_ = batch;
        steps_ = steps;
        recurrent_ = params.recurrent != nullptr;
        have_tape_ = false;
        spikes_downloaded_ = false;
        const auto bn = static_cast<std::size_t>(batch * n);
        const auto btn = static_cast<std::size_t>(batch * steps * n);

        upload_constants(params);
        if (initial != nullptr) {
            membrane_.upload(initial->membrane.data(), bn);
            synaptic_.upload(initial->synaptic.data(), bn);
            spikes_state_.upload(initial->spikes.data(), bn);
            refractory_.upload(initial->refractory.data(), bn);
            initial_membrane_.upload(initial->membrane.data(), bn);
            initial_spikes_.upload(initial->spikes.data(), bn);
        } else {  // zeros, set on the device (no host round trip)
            for (DeviceBuffer<T>* d :
                 {&membrane_, &synaptic_, &spikes_state_, &initial_membrane_, &initial_spikes_}) {
                d->resize(bn);
                d->zero(device_.stream);
            }
            refractory_.resize(bn);
            refractory_.zero(device_.stream);
        }
        flags_.resize(btn);
        spike_counts_.resize(bn);
        spike_counts_.zero(device_.stream);

        if constexpr (std::is_same_v<Source, DeviceCurrents<T>>) {
            require(source.data != nullptr, where, "DeviceCurrents::data is null");
            buffer_ = source.data;
        } else {
            static_assert(lif::CurrentSource<Source, T>,
                          "source must be cuda::DeviceCurrents or satisfy "
                          "jepasnn::lif::CurrentSource (lif/population.hpp)");
            host_scratch_.assign(btn, T(0));
            source.fill(0, steps, host_scratch_.data());
            own_buffer_.upload(host_scratch_.data(), btn);
            buffer_ = own_buffer_.data();
        }

        if (!recurrent_) {
            launch_forward(0, steps);
        } else {
            require_finite(where, "recurrent weights", params.recurrent,
                           static_cast<std::size_t>(n * n));
            w_rec_.upload(params.recurrent, static_cast<std::size_t>(n * n));
            sparse_ = use_sparse();
            if (sparse_) {
                launch_sparse_forward(0, steps);
            } else {
                for (Index t = 0; t < steps; ++t) {
                    // I_t += S_{t−1} · W_recᵀ: row-major S (B × N) times W_rec's storage, which
                    // read row-major is W_recᵀ.
                    gemm<T>(blas(), Op::none, Op::none, batch, n, n, T(1), spikes_state_.data(), n,
                            w_rec_.data(), n, T(1), buffer_ + t * n, steps * n);
                    launch_forward(t, t + 1);
                }
            }
        }
        check_launch(where);
        // The density that picks the next forward's propagation (automatic mode only: the
        // other paths never wait for the device here).
        if (recurrent_ && propagation_ == RecurrentPropagation::automatic)
            last_density_ = spike_counts().sum() / static_cast<double>(btn);
        have_tape_ = true;
        final_downloaded_ = false;
    }

    /// lif::LifPopulation::backward on the device: dL/dI to `source` (in place for
    /// DeviceCurrents), parameter gradients added (+=) into the host `grads`.
    template <class Source, class Sink>
    void backward(Source& source, Sink& sink, const lif::PopulationParameters<T>& params,
                  const lif::PopulationGradients<T>& grads) {
        constexpr const char* where = "cuda::LifPopulation::backward";
        require(have_tape_, where,
                "no forward to differentiate (call forward first; one backward per forward)");
        require((params.recurrent != nullptr) == recurrent_, where,
                "the recurrent weights must be given to both forward and backward or to neither");
        have_tape_ = false;
        device_.activate();
        const Index n = neurons(), batch = batch_, steps = steps_;
        const auto bn = static_cast<std::size_t>(batch * n);
        const auto btn = static_cast<std::size_t>(batch * steps * n);

        detail::LifOutputGradients<T> out;
        if constexpr (std::is_same_v<Sink, DeviceOutputGradients<T>>) {
            out = {sink.d_spikes, sink.d_membranes, sink.d_spike_constant};
        } else {
            static_assert(lif::GradientSink<Sink, T>,
                          "sink must be cuda::DeviceOutputGradients or satisfy "
                          "jepasnn::lif::GradientSink (lif/population.hpp)");
            // The sink's recursion runs backwards in time per sequence, as on the CPU; it does
            // not depend on the population, so it can run first.
            std::vector<T> d_spikes(btn, T(0)), d_membranes(btn, T(0));
            for (Index t = steps - 1; t >= 0; --t)
                for (Index b = 0; b < batch; ++b) {
                    const std::size_t row = static_cast<std::size_t>((b * steps + t) * n);
                    sink.add_spike_gradient(b, t, d_spikes.data() + row);
                    sink.add_membrane_gradient(b, t, d_membranes.data() + row);
                }
            d_spikes_.upload(d_spikes.data(), btn);
            out.d_spikes = d_spikes_.data();
            if (std::any_of(d_membranes.begin(), d_membranes.end(),
                            [](T x) { return x != T(0); })) {
                d_membranes_.upload(d_membranes.data(), btn);
                out.d_membranes = d_membranes_.data();
            }
        }

        carries_.resize(6 * bn);  // d_membrane, d_synaptic, d_spike_recurrent, dβ, dθ, db
        carries_.zero(device_.stream);
        detail::LifBackwardCarry<T> carry;
        carry.d_membrane = carries_.data();
        carry.d_synaptic = carries_.data() + bn;
        carry.d_beta = carries_.data() + 3 * bn;
        carry.d_threshold = carries_.data() + 4 * bn;
        carry.d_bias = carries_.data() + 5 * bn;
        carry.initial_membrane = initial_membrane_.data();

        if (!recurrent_) {
            launch_backward(out, carry, 0, steps);
        } else {
            T* d_spike_recurrent = carries_.data() + 2 * bn;  // (B, N) dL/dS_t via step t + 1
            carry.d_spike_recurrent = d_spike_recurrent;
            for (Index t = steps - 1; t >= 0; --t) {
                launch_backward(out, carry, t, t + 1);
                // dL/dS_{t−1} = dL/dI_t · W_rec (the initial spikes are not differentiated).
                if (t > 0)
                    gemm<T>(blas(), Op::none, Op::transpose, batch, n, n, T(1), buffer_ + t * n,
                            steps * n, w_rec_.data(), n, T(0), d_spike_recurrent, n);
            }
            if (grads.recurrent != nullptr) add_recurrent_gradient(grads.recurrent);
        }
        add_parameter_gradients(carry, grads);

        if constexpr (!std::is_same_v<Source, DeviceCurrents<T>>) {
            host_scratch_.resize(btn);
            check(
                cudaMemcpy(host_scratch_.data(), buffer_, btn * sizeof(T), cudaMemcpyDeviceToHost),
                where);
            source.backward(0, steps, host_scratch_.data());
        } else {
            check(cudaStreamSynchronize(device_.stream), where);
        }
    }

    /// Spikes of the last forward (B, T, N), copied from the device on first use.
    const SpikeRecord& spikes() const {
        if (!spikes_downloaded_) {
            const Index n = neurons();
            const std::vector<std::uint8_t> flags = flags_.to_host();
            spike_bits_.reset(batch_, steps_, n);
            std::vector<T> row(static_cast<std::size_t>(n));
            for (Index b = 0; b < batch_; ++b)
                for (Index t = 0; t < steps_; ++t) {
                    const std::uint8_t* f = flags.data() + (b * steps_ + t) * n;
                    for (Index i = 0; i < n; ++i)
                        row[static_cast<std::size_t>(i)] = T((f[i] & detail::spike_bit) != 0);
                    spike_bits_.store(b, t, row.data());
                }
            spikes_downloaded_ = true;
        }
        return spike_bits_;
    }
    /// V_t of the last forward (B, T, N), before backward() overwrites it with dL/dI.
    std::vector<T> membranes_before_reset() const {
        require(have_tape_, "cuda::LifPopulation::membranes_before_reset",
                "membranes are kept between a forward and its backward only");
        std::vector<T> v(static_cast<std::size_t>(batch_ * steps_ * neurons()));
        check(cudaMemcpy(v.data(), buffer_, v.size() * sizeof(T), cudaMemcpyDeviceToHost),
              "cuda::LifPopulation::membranes_before_reset");
        return v;
    }
    /// Spikes per neuron over the whole batch of the last forward (N): the numerator of the
    /// firing rates the homeostatic penalty sees.
    Vector<double> spike_counts() const {
        const std::vector<std::int32_t> counts = spike_counts_.to_host();  // (B, N)
        Vector<double> c = Vector<double>::Zero(neurons());
        for (Index b = 0; b < batch_; ++b)
            for (Index i = 0; i < neurons(); ++i)
                c(i) += counts[static_cast<std::size_t>(b * neurons() + i)];
        return c;
    }
    /// The state after the last step of the last forward, copied from the device on first use.
    const State& final_state() const {
        if (!final_downloaded_) {
            const auto bn = static_cast<std::size_t>(batch_ * neurons());
            final_ = State::zeros(batch_, neurons());
            membrane_.download(final_.membrane.data(), bn);
            synaptic_.download(final_.synaptic.data(), bn);
            spikes_state_.download(final_.spikes.data(), bn);
            refractory_.download(final_.refractory.data(), bn);
            final_downloaded_ = true;
        }
        return final_;
    }
    [[noreturn]] const lif::CurrentStatistics& current_statistics() const {
        fail("cuda::LifPopulation::current_statistics",
             "E/I current statistics are recorded by lif::LifPopulation only");
    }
    /// Whether the last recurrent forward propagated spikes sparsely.
    bool sparse_propagation() const { return sparse_; }
    /// Device bytes held between forward and backward (currents/V buffer, flags, state).
    std::size_t tape_bytes() const {
        const auto btn = static_cast<std::size_t>(batch_ * steps_ * neurons());
        return btn * (sizeof(T) + 1) + membrane_.bytes() * 6 + w_rec_.bytes();
    }
    Index batch() const { return batch_; }
    Index steps() const { return steps_; }

  private:
    static constexpr unsigned threads = 128;
    static constexpr Index max_sparse_neurons = 1024 * detail::max_neurons_per_thread;

    detail::LifShape<T> shape() const {
        detail::LifShape<T> s;
        s.batch = batch_;
        s.steps = steps_;
        s.neurons = neurons();
        s.excitatory_presynaptic = config_.excitatory_presynaptic;
        s.refractory_steps = static_cast<std::int32_t>(config_.refractory_steps);
        s.alpha = std::clamp(static_cast<T>(config_.synaptic_decay), T(0), T(1));
        s.beta = constants_.data();
        s.threshold = constants_.data() + neurons();
        s.bias = constants_.data() + 2 * neurons();
        return s;
    }
    detail::LifDeviceState<T> state() {
        return {membrane_.data(), synaptic_.data(), spikes_state_.data(), refractory_.data()};
    }
    detail::LifTape<T> tape() { return {buffer_, flags_.data(), spike_counts_.data()}; }

    /// β clamped to [0, 1] (snntorch), θ and b in one device array; the clamp mask stays here.
    void upload_constants(const lif::PopulationParameters<T>& params) {
        const Index n = neurons();
        std::vector<T> c(static_cast<std::size_t>(3 * n), T(0));
        beta_in_range_.assign(static_cast<std::size_t>(n), false);
        for (Index i = 0; i < n; ++i) {
            const T b = params.beta[i];
            beta_in_range_[static_cast<std::size_t>(i)] = b >= T(0) && b <= T(1);
            c[static_cast<std::size_t>(i)] = std::clamp(b, T(0), T(1));
            c[static_cast<std::size_t>(n + i)] = params.threshold[i];
            if (params.bias != nullptr) c[static_cast<std::size_t>(2 * n + i)] = params.bias[i];
        }
        constants_.upload(c.data(), c.size());
    }

    bool use_sparse() const {
        if (propagation_ == RecurrentPropagation::sparse) return true;
        return propagation_ == RecurrentPropagation::automatic && neurons() <= max_sparse_neurons &&
               last_density_ <= 0.1;
    }

    /// The cuBLAS handle, created on first use (so that validation needs no GPU).
    const BlasHandle& blas() {
        if (!blas_) blas_.emplace(device_.stream);
        return *blas_;
    }

    void launch_forward(Index t0, Index t1) {
        const dim3 grid(blocks_for(static_cast<std::size_t>(neurons()), threads),
                        static_cast<unsigned>(batch_));
        detail::lif_forward_kernel<Policies, T>
            <<<grid, threads, 0, device_.stream>>>(surrogate_, shape(), state(), tape(), t0, t1);
        check_launch("cuda::LifPopulation::forward (lif_forward_kernel)");
    }

    void launch_sparse_forward(Index t0, Index t1) {
        const Index per_thread =
            (neurons() + detail::max_neurons_per_thread - 1) / detail::max_neurons_per_thread;
        const auto block =
            static_cast<unsigned>(std::min<Index>(1024, (per_thread + 31) / 32 * 32));
        const std::size_t shared = static_cast<std::size_t>(neurons() + 32) * sizeof(int);
        detail::lif_forward_sparse_recurrent_kernel<Policies, T>
            <<<static_cast<unsigned>(batch_), block, shared, device_.stream>>>(
                surrogate_, shape(), state(), tape(), w_rec_.data(), t0, t1);
        check_launch("cuda::LifPopulation::forward (sparse recurrent kernel)");
    }

    void launch_backward(const detail::LifOutputGradients<T>& out,
                         const detail::LifBackwardCarry<T>& carry, Index t0, Index t1) {
        const dim3 grid(blocks_for(static_cast<std::size_t>(neurons()), threads),
                        static_cast<unsigned>(batch_));
        detail::lif_backward_kernel<Policies, T>
            <<<grid, threads, 0, device_.stream>>>(surrogate_, shape(), tape(), out, carry, t0, t1);
        check_launch("cuda::LifPopulation::backward (lif_backward_kernel)");
    }

    /// dW_rec[:, j] += Σ_{b,t} dL/dI_t[b] · S_{t−1}[b, j] as one GEMM over all B·T rows; W_rec's
    /// column-major storage read row-major is W_recᵀ, hence dW_recᵀ = S_prevᵀ · dL/dI.
    void add_recurrent_gradient(T* host_d_w) {
        const Index n = neurons(), rows = batch_ * steps_;
        const auto btn = static_cast<std::size_t>(rows * n);
        previous_spikes_.resize(btn);
        detail::previous_spikes_kernel<T><<<blocks_for(btn, 256), 256, 0, device_.stream>>>(
            previous_spikes_.data(), flags_.data(), initial_spikes_.data(), batch_, steps_, n);
        check_launch("cuda::LifPopulation::backward (previous_spikes_kernel)");
        d_w_rec_.resize(static_cast<std::size_t>(n * n));
        gemm<T>(blas(), Op::transpose, Op::none, n, n, rows, T(1), previous_spikes_.data(), n,
                buffer_, n, T(0), d_w_rec_.data(), n);
        const std::vector<T> d_w = d_w_rec_.to_host();
        for (std::size_t k = 0; k < d_w.size(); ++k)
            host_d_w[k] += d_w[k];
    }

    /// Reduces the per-sequence sums over sequences (in order) and adds them into `grads`.
    void add_parameter_gradients(const detail::LifBackwardCarry<T>& carry,
                                 const lif::PopulationGradients<T>& grads) {
        const Index n = neurons();
        sums_.resize(static_cast<std::size_t>(3 * n));
        sums_.zero(device_.stream);
        const T* partial[3] = {carry.d_beta, carry.d_threshold, carry.d_bias};
        for (int p = 0; p < 3; ++p)  // column sums of (B, N): sequences in order, deterministic
            detail::add_column_sums_kernel<T>
                <<<blocks_for(static_cast<std::size_t>(n), threads), threads, 0, device_.stream>>>(
                    sums_.data() + p * n, partial[p], batch_, n);
        check_launch("cuda::LifPopulation::backward (add_column_sums_kernel)");
        const std::vector<T> s = sums_.to_host();
        for (Index i = 0; i < n; ++i) {
            const auto k = static_cast<std::size_t>(i);
            if (grads.beta != nullptr && beta_in_range_[k]) grads.beta[i] += s[k];
            if (grads.threshold != nullptr)
                grads.threshold[i] += s[static_cast<std::size_t>(n + i)];
            if (grads.bias != nullptr) grads.bias[i] += s[static_cast<std::size_t>(2 * n + i)];
        }
    }

    lif::LifPopulation<T, Policies> cpu_check_;  // validates the configuration as the CPU does
    lif::PopulationConfig config_;
    Surrogate surrogate_;
    Device device_;
    RecurrentPropagation propagation_;
    std::optional<BlasHandle> blas_;

    Index batch_ = 0, steps_ = 0;
    bool recurrent_ = false, sparse_ = false, have_tape_ = false;
    double last_density_ = 0.0;
    std::vector<bool> beta_in_range_;                     // (N)
    DeviceBuffer<T> constants_;                           // (3N) clamped β, θ, b
    DeviceBuffer<T> membrane_, synaptic_, spikes_state_;  // (B, N)
    DeviceBuffer<std::int32_t> refractory_;               // (B, N)
    DeviceBuffer<T> initial_membrane_, initial_spikes_;   // (B, N) state at t = 0
    DeviceBuffer<std::uint8_t> flags_;                    // (B, T, N) spike, reset, refractory
    DeviceBuffer<std::int32_t> spike_counts_;             // (B, N)
    DeviceBuffer<T> own_buffer_;                          // (B, T, N) for host sources
    T* buffer_ = nullptr;                                 // (B, T, N) currents → V_t → dL/dI_t
    DeviceBuffer<T> w_rec_, d_w_rec_;                     // (N, N) column-major
    DeviceBuffer<T> previous_spikes_;                     // (B·T, N) S_{t−1}
    DeviceBuffer<T> d_spikes_, d_membranes_;              // (B, T, N) from host sinks
    DeviceBuffer<T> carries_;                             // (6, B, N)
    DeviceBuffer<T> sums_;                                // (3, N)
    std::vector<T> host_scratch_;                         // (B, T, N) host side of a host source
    mutable State final_;
    mutable bool final_downloaded_ = false;
    mutable lif::SpikeBits spike_bits_;
    mutable bool spikes_downloaded_ = false;
};

/// The population type for a device policy: lif::LifPopulation on Host, cuda::LifPopulation on
/// Device. The one line user code changes:
///     using Population = jepasnn::cuda::PopulationFor<jepasnn::cuda::Device, float>;
template <DevicePolicy D, class T, class Policies = lif::DefaultPolicies>
using PopulationFor = std::conditional_t<std::is_same_v<D, Device>, LifPopulation<T, Policies>,
                                         lif::LifPopulation<T, Policies>>;

/// Dale's principle on a device matrix w (rows × cols, column-major [post][pre]) with device
/// signs (cols): constraints::DalesPrinciple::project, after each optimizer step on the GPU.
template <class T>
void project_signs(T* w, const std::int8_t* sign, Index rows, Index cols,
                   cudaStream_t stream = nullptr) {
    const auto count = static_cast<std::size_t>(rows * cols);
    if (count == 0) return;
    detail::project_signs_kernel<T>
        <<<blocks_for(count, 256), 256, 0, stream>>>(w, sign, rows, cols);
    check_launch("cuda::project_signs");
}

}  // namespace jepasnn::cuda
