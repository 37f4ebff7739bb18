// CPU parity of cuda::LifPopulation (fused LIF forward/backward, sparse and dense recurrent
// propagation, homeostatic spike-gradient constant, Dale projection) against lif::LifPopulation
// on fresh random inputs. Spikes must agree except where the membrane lies within rounding of
// the threshold; such a sequence is compared only up to that step, and a case in which a spike
// legitimately flipped skips its gradient comparison (counted by RC_CLASSIFY).
#include <jepasnn/constraints/dales_principle.hpp>
#include <jepasnn/cuda/population.cuh>
#include <jepasnn/lif/population.hpp>

#include <rapidcheck/catch.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "cuda_test_support.hpp"

namespace {

using namespace jepasnn;
using jepasnn::test::normal_values;
using jepasnn::test::relative_error;
using jepasnn::test::tolerance;

struct NonDelayedGatedSecondOrder : lif::DefaultPolicies {
    using Reset = lif::ZeroResetGated<false>;
    using Surrogate = constraints::ArcTan;
    using Synapse = lif::ExponentialSynapse;
};

struct NonDelayedSubtract : lif::DefaultPolicies {
    using Reset = lif::SubtractReset<false>;
    using Surrogate = constraints::Sigmoid;
};

struct Sizes {
    Index batch, steps, neurons;
};

/// Random inputs of one case: currents, parameters, an initial state and downstream gradients.
template <class T>
struct Case {
    Sizes size;
    lif::PopulationConfig config;
    std::vector<T> currents, beta, threshold, bias, recurrent;  // (B,T,N), (N) ×3, (N, N)
    std::vector<T> d_spikes, d_membranes;                       // (B, T, N)
    lif::PopulationState<T> initial;

    Case(Sizes s, bool recurrent_weights, Index refractory, std::uint64_t seed) : size(s) {
        const Index n = s.neurons;
        const auto btn = static_cast<std::size_t>(s.batch * s.steps * n);
        config.neurons = n;
        config.synaptic_decay = 0.8;
        config.refractory_steps = refractory;
        config.excitatory_presynaptic = (4 * n) / 5;
        currents = normal_values<T>(btn, seed, 1, 0.15, 0.4);
        // β mostly in (0.8, 1), a few outside [0, 1] to exercise the clamp's gradient mask.
        beta = normal_values<T>(static_cast<std::size_t>(n), seed, 2, 0.9, 0.06);
        threshold = normal_values<T>(static_cast<std::size_t>(n), seed, 3, 1.0, 0.2);
        bias = normal_values<T>(static_cast<std::size_t>(n), seed, 4, 0.0, 0.05);
        if (recurrent_weights) {
            recurrent = normal_values<T>(static_cast<std::size_t>(n * n), seed, 5, 0.0, 0.15);
            for (Index j = 0; j < n; ++j)  // Dale-signed columns: E ≥ 0, I ≤ 0
                for (Index i = 0; i < n; ++i) {
                    T& w = recurrent[static_cast<std::size_t>(j * n + i)];
                    w = j < config.excitatory_presynaptic ? std::abs(w) : -std::abs(w);
                }
        }
        d_spikes = normal_values<T>(btn, seed, 6, 0.0, 1.0);
        d_membranes = normal_values<T>(btn, seed, 7, 0.0, 0.3);
        initial = lif::PopulationState<T>::zeros(s.batch, n);
        RandomStream rng(seed, 8);
        for (Index b = 0; b < s.batch; ++b)
            for (Index i = 0; i < n; ++i) {
                initial.membrane(b, i) = static_cast<T>(rng.uniform(-0.2, 0.9));
                initial.synaptic(b, i) = static_cast<T>(rng.uniform(0.0, 0.1));
                initial.spikes(b, i) = rng.bernoulli(0.1) ? T(1) : T(0);
                initial.refractory(b, i) = static_cast<std::int32_t>(
                    rng.uniform_index(static_cast<std::uint64_t>(refractory + 1)));
            }
    }

    lif::PopulationParameters<T> parameters() const {
        return {beta.data(), threshold.data(), bias.data(),
                recurrent.empty() ? nullptr : recurrent.data()};
    }
};

template <class T>
struct Gradients {
    std::vector<T> currents, beta, threshold, bias, recurrent;
    explicit Gradients(const Case<T>& c)
        : currents(c.currents.size()),
          beta(c.beta.size()),
          threshold(c.beta.size()),
          bias(c.beta.size()),
          recurrent(c.recurrent.size()) {}
    lif::PopulationGradients<T> view() {
        return {beta.data(), threshold.data(), bias.data(),
                recurrent.empty() ? nullptr : recurrent.data()};
    }
};

/// Runs both populations on one case and checks forward and backward parity.
template <class T, class Policies>
void check_parity(const Case<T>& c, cuda::RecurrentPropagation propagation) {
    const auto [batch, steps, n] = c.size;
    const lif::PopulationParameters<T> params = c.parameters();

    lif::LifPopulation<T, Policies> cpu(c.config);
    Gradients<T> cpu_grad(c);
    lif::TensorCurrents<T> cpu_source(c.currents.data(), batch, steps, n, cpu_grad.currents.data());
    cpu.forward(cpu_source, batch, steps, params, &c.initial);

    cuda::LifPopulation<T, Policies> gpu(c.config, {}, {}, propagation);
    Gradients<T> gpu_grad(c);
    lif::TensorCurrents<T> gpu_source(c.currents.data(), batch, steps, n, gpu_grad.currents.data());
    gpu.forward(gpu_source, batch, steps, params, &c.initial);
    if (!c.recurrent.empty() && propagation != cuda::RecurrentPropagation::automatic)
        RC_ASSERT(gpu.sparse_propagation() == (propagation == cuda::RecurrentPropagation::sparse));

    // Forward: V and spikes per sequence, up to the first legitimate flip.
    const std::vector<T> v_gpu = gpu.membranes_before_reset();
    const double margin = 100.0 * tolerance<T>();
    bool flipped = false;
    for (Index b = 0; b < batch; ++b) {
        double worst = 0.0;
        for (Index t = 0; t < steps; ++t) {
            bool flip_here = false;
            for (Index i = 0; i < n; ++i) {
                const double v_cpu = cpu.membrane_before_reset(b, t, i);
                const double v = v_gpu[static_cast<std::size_t>((b * steps + t) * n + i)];
                worst = std::max(worst, std::abs(v - v_cpu) / std::max(1.0, std::abs(v_cpu)));
                if (cpu.spikes().test(b, t, i) != gpu.spikes().test(b, t, i)) {
                    const double theta = c.threshold[static_cast<std::size_t>(i)];
                    RC_ASSERT(std::abs(v_cpu - theta) <= margin * std::max(1.0, std::abs(theta)));
                    flip_here = true;
                }
            }
            if (flip_here) {
                flipped = true;
                break;  // later steps of this sequence legitimately diverge
            }
        }
        RC_ASSERT(worst <= tolerance<T>());
    }
    RC_CLASSIFY(flipped, "a spike flipped within rounding of the threshold");
    if (flipped) return;
    for (Index b = 0; b < batch; ++b)
        for (Index i = 0; i < n; ++i) {
            RC_ASSERT(
                std::abs(gpu.final_state().membrane(b, i) - cpu.final_state().membrane(b, i)) <=
                tolerance<T>() * std::max<double>(1.0, std::abs(cpu.final_state().membrane(b, i))));
            RC_ASSERT(gpu.final_state().refractory(b, i) == cpu.final_state().refractory(b, i));
            RC_ASSERT(gpu.final_state().spikes(b, i) == cpu.final_state().spikes(b, i));
        }

    // Backward from the same downstream gradients.
    lif::DenseOutputGradients<T> sink(c.d_spikes.data(), c.d_membranes.data(), steps, n);
    cpu.backward(cpu_source, sink, params, cpu_grad.view());
    gpu.backward(gpu_source, sink, params, gpu_grad.view());
    // Gradients are sums over B·T terms taken in a different order: compared norm-wise, with
    // the tolerance scaled by the number of steps summed.
    const double tol = tolerance<T>() * std::max<double>(10.0, static_cast<double>(steps));
    RC_ASSERT(relative_error(gpu_grad.currents, cpu_grad.currents) <= tol);
    RC_ASSERT(relative_error(gpu_grad.beta, cpu_grad.beta) <= tol);
    RC_ASSERT(relative_error(gpu_grad.threshold, cpu_grad.threshold) <= tol);
    RC_ASSERT(relative_error(gpu_grad.bias, cpu_grad.bias) <= tol);
    if (!c.recurrent.empty())
        RC_ASSERT(relative_error(gpu_grad.recurrent, cpu_grad.recurrent) <= tol);
}

Sizes draw_sizes(Index max_neurons) {
    return {*rc::gen::inRange<Index>(1, 5), *rc::gen::inRange<Index>(1, 60),
            *rc::gen::inRange<Index>(1, max_neurons + 1)};
}

}  // namespace

TEST_CASE("fused feed-forward LIF matches the CPU population in float") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("default policies", [] {
        const Case<float> c(draw_sizes(400), false, *rc::gen::inRange<Index>(0, 3),
                            *rc::gen::arbitrary<std::uint64_t>());
        check_parity<float, lif::DefaultPolicies>(c, cuda::RecurrentPropagation::automatic);
    });
}

TEST_CASE("fused feed-forward LIF matches the CPU population in double for every reset") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("gated zero reset without delay and second-order synapses", [] {
        const Case<double> c(draw_sizes(200), false, *rc::gen::inRange<Index>(0, 3),
                             *rc::gen::arbitrary<std::uint64_t>());
        check_parity<double, NonDelayedGatedSecondOrder>(c, cuda::RecurrentPropagation::automatic);
    });
    rc::prop("subtractive reset without delay", [] {
        const Case<double> c(draw_sizes(200), false, 0, *rc::gen::arbitrary<std::uint64_t>());
        check_parity<double, NonDelayedSubtract>(c, cuda::RecurrentPropagation::automatic);
    });
}

TEST_CASE("sparse recurrent propagation matches the CPU population") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("float with Dale-signed weights", [] {
        const Case<float> c(draw_sizes(300), true, *rc::gen::inRange<Index>(0, 3),
                            *rc::gen::arbitrary<std::uint64_t>());
        check_parity<float, lif::DefaultPolicies>(c, cuda::RecurrentPropagation::sparse);
    });
    rc::prop("double with several neurons per thread", [] {
        const Case<double> c({2, 20, *rc::gen::inRange<Index>(1025, 2500)}, true, 2,
                             *rc::gen::arbitrary<std::uint64_t>());
        check_parity<double, NonDelayedSubtract>(c, cuda::RecurrentPropagation::sparse);
    });
}

TEST_CASE("dense cuBLAS recurrent propagation matches the CPU population") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("float", [] {
        const Case<float> c(draw_sizes(300), true, *rc::gen::inRange<Index>(0, 3),
                            *rc::gen::arbitrary<std::uint64_t>());
        check_parity<float, lif::DefaultPolicies>(c, cuda::RecurrentPropagation::dense);
    });
    rc::prop("double with second-order synapses", [] {
        const Case<double> c(draw_sizes(200), true, 1, *rc::gen::arbitrary<std::uint64_t>());
        check_parity<double, NonDelayedGatedSecondOrder>(c, cuda::RecurrentPropagation::dense);
    });
}

TEST_CASE("device buffers with a homeostatic spike-gradient constant match the CPU") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("DeviceCurrents in place and DeviceOutputGradients", [] {
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
        const Case<double> c(draw_sizes(300), false, 2, seed);
        const auto [batch, steps, n] = c.size;
        const std::vector<double> constant =
            normal_values<double>(static_cast<std::size_t>(n), seed, 9, 0.0, 0.5);
        // CPU: the constant added into every dL/dS_t.
        std::vector<double> d_spikes = c.d_spikes;
        for (std::size_t k = 0; k < d_spikes.size(); ++k)
            d_spikes[k] += constant[k % static_cast<std::size_t>(n)];
        lif::LifPopulation<double> cpu(c.config);
        Gradients<double> cpu_grad(c);
        lif::TensorCurrents<double> source(c.currents.data(), batch, steps, n,
                                           cpu_grad.currents.data());
        cpu.forward(source, batch, steps, c.parameters(), &c.initial);
        lif::DenseOutputGradients<double> sink(d_spikes.data(), c.d_membranes.data(), steps, n);
        cpu.backward(source, sink, c.parameters(), cpu_grad.view());

        cuda::DeviceBuffer<double> currents, d_s, d_m, d_c;
        currents.upload(c.currents);
        d_s.upload(c.d_spikes);
        d_m.upload(c.d_membranes);
        d_c.upload(constant);
        cuda::LifPopulation<double> gpu(c.config);
        Gradients<double> gpu_grad(c);
        cuda::DeviceCurrents<double> device_source{currents.data()};
        gpu.forward(device_source, batch, steps, c.parameters(), &c.initial);
        RC_ASSERT(gpu.spike_counts().sum() == static_cast<double>(cpu.spikes().count()));
        cuda::DeviceOutputGradients<double> device_sink{d_s.data(), d_m.data(), d_c.data()};
        gpu.backward(device_source, device_sink, c.parameters(), gpu_grad.view());
        const std::vector<double> d_currents = currents.to_host();
        RC_ASSERT(relative_error(d_currents, cpu_grad.currents) <= 1e-9);
        RC_ASSERT(relative_error(gpu_grad.beta, cpu_grad.beta) <= 1e-9);
        RC_ASSERT(relative_error(gpu_grad.threshold, cpu_grad.threshold) <= 1e-9);
        RC_ASSERT(relative_error(gpu_grad.bias, cpu_grad.bias) <= 1e-9);
    });
}

TEST_CASE("device Dale projection equals DalesPrinciple project") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("random matrices and signs", [] {
        const Index rows = *rc::gen::inRange<Index>(1, 200),
                    cols = *rc::gen::inRange<Index>(1, 200);
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
        const std::vector<float> values =
            normal_values<float>(static_cast<std::size_t>(rows * cols), seed, 1, 0.0, 1.0);
        std::vector<constraints::PresynapticSign> sign(static_cast<std::size_t>(cols));
        RandomStream rng(seed, 2);
        for (auto& s : sign)
            s = static_cast<constraints::PresynapticSign>(static_cast<int>(rng.uniform_index(3)) -
                                                          1);
        Matrix<float> expected = Eigen::Map<const Matrix<float>>(values.data(), rows, cols);
        constraints::DalesPrinciple{}.project<float>(expected, sign);
        cuda::DeviceBuffer<float> w;
        cuda::DeviceBuffer<std::int8_t> s;
        w.upload(values);
        s.upload(sign);
        cuda::project_signs(w.data(), s.data(), rows, cols);
        const std::vector<float> got = w.to_host();
        for (std::size_t k = 0; k < got.size(); ++k)
            RC_ASSERT(got[k] == expected.data()[k]);
    });
}

TEST_CASE("cuda::PopulationFor selects the implementation by device policy") {
    STATIC_REQUIRE(
        std::is_same_v<cuda::PopulationFor<cuda::Host, float>, lif::LifPopulation<float>>);
    STATIC_REQUIRE(
        std::is_same_v<cuda::PopulationFor<cuda::Device, float>, cuda::LifPopulation<float>>);
}
