// The E/I network: initialisation (spectral radius against numpy, stated E/I balance, signs,
// 80:20 split), Dale's principle under training, binned input as spread spike trains, the filter
// and rates against a naive recomputation, determinism, the feed-forward ablation, training
// progress, and bad input.
#include <jepasnn/core/json.hpp>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstring>

#include "lif_test_support.hpp"
#include "test_support.hpp"

namespace {

using namespace jepasnn;
using test::tensor3;

struct NoDalePolicies : lif::DefaultPolicies {
    using Sign = constraints::NoSignConstraint;
};

/// Σ dY·Y as the loss, so that dL/dY = dY.
template <class Net>
Tensor<typename Net::MatrixMap::Scalar, 3> random_d_readout(const Net& net, std::uint64_t seed) {
    using T = typename Net::MatrixMap::Scalar;
    Tensor<T, 3> d = tensor3<T>(net.batch(), net.bins(), net.config().readout_dim);
    test::fill_uniform(d.data(), d.size(), -1.0, 1.0, seed, 7);
    return d;
}

}  // namespace

TEST_CASE("spectral radius matches numpy eigenvalues") {
    const Json golden = read_json(test::test_asset("lif/spectral_radius.json"));
    for (const Json& c : golden.at("cases")) {
        INFO(c.at("name"));
        const Matrix<double> w = matrix_from_json<double>(c.at("matrix"), "golden");
        CHECK(lif::spectral_radius(w) ==
              Approx(c.at("spectral_radius").get<double>()).epsilon(1e-12).margin(1e-12));
    }
    CHECK_THROWS_WITH(lif::spectral_radius(Matrix<double>(2, 3)), Catch::Contains("2x3"));
}

TEST_CASE("initial recurrent weights have the stated spectral radius and E/I balance",
          "[tolerance]") {
    rc::prop("signs, no autapses, row balance, radius, determinism", [] {
        const Index n_exc = *rc::gen::inRange<Index>(2, 40),
                    n_inh = *rc::gen::inRange<Index>(1, 12);
        lif::RecurrentInit init;
        init.spectral_radius = *rc::gen::inRange(1, 30) / 10.0;
        init.ei_balance = *rc::gen::inRange(0, 30) / 10.0;
        init.connection_probability = *rc::gen::inRange(3, 11) / 10.0;
        const auto seed = *rc::gen::arbitrary<std::uint32_t>();
        const Matrix<double> w = lif::dale_recurrent_weights<double>(n_exc, n_inh, init, seed);
        RC_ASSERT(w == lif::dale_recurrent_weights<double>(n_exc, n_inh, init, seed));
        const double rho = lif::spectral_radius(w);
        if (rho == 0.0)  // acyclic (nilpotent) sparse draws are kept unscaled
            RC_TAG("nilpotent draw");
        else
            RC_ASSERT(std::abs(rho - init.spectral_radius) < 1e-9 * init.spectral_radius);
        for (Index i = 0; i < w.rows(); ++i) {
            RC_ASSERT(w(i, i) == 0.0);
            RC_ASSERT(w.row(i).head(n_exc).minCoeff() >= 0.0);
            RC_ASSERT(w.row(i).tail(n_inh).maxCoeff() <= 0.0);
            const double e = w.row(i).head(n_exc).sum(), in = -w.row(i).tail(n_inh).sum();
            if (e > 0.0 && in > 0.0)
                RC_ASSERT(std::abs(in - init.ei_balance * e) < 1e-12 * (1 + e));
        }
    });
}

TEST_CASE("network splits neurons 80 to 20 and signs them") {
    const lif::NetworkConfig c = lif::NetworkConfig::with_neurons(512, 400, 8);
    CHECK(c.excitatory == 410);
    CHECK(c.inhibitory == 102);
    CHECK(lif::NetworkConfig::with_neurons(10, 1, 1).excitatory == 8);
    lif::Network<float> net(test::small_config(), 3);
    const auto signs = net.presynaptic_signs();
    CHECK(std::count(signs.begin(), signs.end(), 1) == 24);
    CHECK(std::count(signs.begin(), signs.end(), -1) == 6);
    CHECK(net.dale_violations() == 0);
    CHECK(net.input_weights().minCoeff() >= 0.0f);
    CHECK(net.spectral_radius() == Approx(1.0).epsilon(1e-5));
    CHECK(net.beta()(0) == Approx(std::exp(-1.0 / 20.0)));
    CHECK(net.beta()(29) == Approx(std::exp(-1.0 / 10.0)));
    CHECK(net.parameters().size() ==
          std::size_t(30 * 12 + 30 + 30 * 30 + 3 * 24 + 3));  // w_in, bias, w_rec, w_out, b_out
}

TEST_CASE("Dale's principle holds after any number of training steps") {
    rc::prop("SGD steps on random readout gradients, each followed by project()", [] {
        const auto seed = *rc::gen::arbitrary<std::uint32_t>();
        const int steps = *rc::gen::inRange(1, 6);
        const double lr = *rc::gen::inRange(1, 50) / 10.0;
        lif::Network<float> net(test::small_config(20, 6, 2), seed);
        lif::Network<float, NoDalePolicies> unconstrained(test::small_config(20, 6, 2), seed);
        const Tensor<float, 3> x = test::input_spikes<float>(2, 40, 6, 40.0, seed);
        for (int s = 0; s < steps; ++s) {
            for (auto* n : {&net.parameters(), &unconstrained.parameters()})
                n->zero_gradients();
            net.forward(x, lif::InputKind::spike_trains);
            unconstrained.forward(x, lif::InputKind::spike_trains);
            const Tensor<float, 3> d = random_d_readout(net, seed + std::uint64_t(s));
            net.backward(d);
            unconstrained.backward(d);
            test::sgd_step(net.parameters(), lr);
            test::sgd_step(unconstrained.parameters(), lr);
            net.project();
            unconstrained.project();
            RC_ASSERT(net.dale_violations() == 0u);
        }
        RC_TAG(unconstrained.dale_violations() > 0 ? "unconstrained network violates"
                                                   : "no violation yet");
    });
}

TEST_CASE("binned counts drive the network like spike trains spread evenly over each bin") {
    lif::NetworkConfig c = test::small_config();
    c.steps_per_bin = 5;
    lif::Network<double> binned(c, 11), spread(c, 11);
    const Index batch = 3, bins = 8;
    Tensor<double, 3> counts = tensor3<double>(batch, bins, c.inputs);
    for (std::size_t i = 0; i < counts.size(); ++i)
        counts.data()[i] = std::floor(4.0 * uniform_at(11, 1, i));
    Tensor<double, 3> steps = tensor3<double>(batch, bins * 5, c.inputs);
    for (Index b = 0; b < batch; ++b)
        for (Index t = 0; t < bins * 5; ++t)
            for (Index f = 0; f < c.inputs; ++f)
                steps(b, t, f) = counts(b, t / 5, f) / 5.0;
    const Tensor<double, 3>& y1 = binned.forward(counts, lif::InputKind::binned_counts);
    const Tensor<double, 3>& y2 = spread.forward(steps, lif::InputKind::spike_trains);
    CHECK(binned.spikes().count() == spread.spikes().count());
    CHECK(binned.spikes().count() > 0);
    double worst = 0.0;
    for (std::size_t i = 0; i < y1.size(); ++i)
        worst = std::max(worst, std::abs(y1.data()[i] - y2.data()[i]));
    CHECK(worst < 1e-12);
    const Tensor<double, 3> d = random_d_readout(binned, 5);
    binned.backward(d);
    spread.backward(d);
    const std::span<const double> g1 = binned.parameters().gradients(),
                                  g2 = spread.parameters().gradients();
    for (std::size_t i = 0; i < g1.size(); ++i)
        REQUIRE(g1[i] == Approx(g2[i]).epsilon(1e-10).margin(1e-12));
}

TEST_CASE("event-driven input gives the GEMM path's results", "[tolerance]") {
    rc::prop("sparse and dense input projections, whole and chunked tapes", [] {
        const auto seed = *rc::gen::arbitrary<std::uint32_t>();
        lif::NetworkConfig c = test::small_config(*rc::gen::inRange<Index>(3, 30), 9, 2);
        const Index batch = *rc::gen::inRange<Index>(1, 4),
                    steps = 10 * *rc::gen::inRange<Index>(1, 6);
        const Index chunk = *rc::gen::inRange<Index>(0, steps + 1);
        c.sparse_input_density = 1.0;
        lif::Network<double> sparse(c, seed);
        c.sparse_input_density = 0.0;
        lif::Network<double> dense(c, seed);
        const Tensor<double, 3> x = test::input_spikes<double>(batch, steps, c.inputs, 60.0, seed);
        lif::ForwardOptions<double> options;
        options.bptt.chunk_steps = chunk;
        const Tensor<double, 3>& y1 = sparse.forward(x, lif::InputKind::spike_trains, options);
        const Tensor<double, 3>& y2 = dense.forward(x, lif::InputKind::spike_trains, options);
        // Density 0 still takes the event-driven path for an input without any spike
        // (0 non-zeros <= 0·total), which short draws at 60 Hz produce now and then.
        const bool silent = std::all_of(x.begin(), x.end(), [](double v) { return v == 0.0; });
        RC_ASSERT(sparse.sparse_input());
        RC_ASSERT(dense.sparse_input() == silent);
        RC_ASSERT(sparse.spikes().count() == dense.spikes().count());
        for (std::size_t i = 0; i < y1.size(); ++i)
            RC_ASSERT(std::abs(y1.data()[i] - y2.data()[i]) <
                      1e-12 * (1.0 + std::abs(y2.data()[i])));
        const Tensor<double, 3> d = random_d_readout(sparse, seed);
        sparse.backward(d);
        dense.backward(d);
        const std::span<const double> g1 = sparse.parameters().gradients();
        const std::span<const double> g2 = dense.parameters().gradients();
        for (std::size_t i = 0; i < g1.size(); ++i)
            RC_ASSERT(std::abs(g1[i] - g2[i]) < 1e-11 * (1.0 + std::abs(g2[i])));
    });
}

TEST_CASE("rates and filtered activity follow from the spikes") {
    lif::NetworkConfig c = test::small_config();
    c.steps_per_bin = 4;
    c.tau_readout_ms = 7.0;
    lif::Network<double> net(c, 21);
    const Index batch = 2, steps = 48;
    const Tensor<double, 3> x = test::input_spikes<double>(batch, steps, c.inputs, 40.0, 21);
    const Tensor<double, 3>& y = net.forward(x, lif::InputKind::spike_trains);
    const double lambda = std::exp(-1.0 / 7.0), gain = (1.0 - lambda) / 1e-3;
    const Index n = net.neurons(), k_bins = steps / 4;
    Vector<double> counts = Vector<double>::Zero(n);
    double worst = 0.0;
    for (Index b = 0; b < batch; ++b) {
        Vector<double> f = Vector<double>::Zero(n);
        RowMatrix<double> filtered = RowMatrix<double>::Zero(k_bins, n);
        for (Index t = 0; t < steps; ++t)
            for (Index i = 0; i < n; ++i) {
                const double s = net.spikes().test(b, t, i) ? 1.0 : 0.0;
                counts(i) += s;
                f(i) = lambda * f(i) + gain * s;
                filtered(t / 4, i) += f(i) / 4.0;
            }
        for (Index k = 0; k < k_bins; ++k)
            for (Index i = 0; i < n; ++i)
                worst = std::max(worst, std::abs(net.filtered()(b, k, i) - filtered(k, i)));
        // readout = W_out F_E + b_out
        const Vector<double> y0 =
            net.readout_weights() * filtered.row(2).head(c.excitatory).transpose() +
            net.readout_bias();
        for (Index d = 0; d < c.readout_dim; ++d)
            CHECK(y(b, 2, d) == Approx(y0(d)).epsilon(1e-12));
    }
    CHECK(worst < 1e-9);
    CHECK(counts.sum() > 0);
    for (Index i = 0; i < n; ++i)
        CHECK(net.rates()(i) == Approx(counts(i) / (batch * steps * 1e-3)).epsilon(1e-12));
}

TEST_CASE("same seed and threads give bitwise identical training") {
    auto train = [] {
        lif::Network<float> net(test::small_config(), 99);
        const Tensor<float, 3> x = test::input_spikes<float>(4, 60, 12, 40.0, 99);
        for (int s = 0; s < 3; ++s) {
            net.parameters().zero_gradients();
            net.forward(x, lif::InputKind::spike_trains);
            net.backward(random_d_readout(net, 99 + std::uint64_t(s)));
            test::sgd_step(net.parameters(), 0.5);
            net.project();
        }
        const std::span<const float> v = net.parameters().values();
        return std::vector<float>(v.begin(), v.end());
    };
    const std::vector<float> a = train(), b = train();
    REQUIRE(a.size() == b.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    lif::Network<float> other(test::small_config(), 100);
    CHECK(other.input_weights()(0, 0) !=
          lif::Network<float>(test::small_config(), 99).input_weights()(0, 0));
}

TEST_CASE("SGD through the spikes reduces a readout regression loss") {
    // Teach the network to make a frozen random readout follow a slow sinusoid: only the synaptic
    // weights and biases learn, so every improvement comes through BPTT across spikes.
    lif::NetworkConfig c = test::small_config(40, 12, 1);
    c.input_weight_total = 2.0;
    lif::Network<double> net(c, 5);
    const Index batch = 2, steps = 100;
    const Tensor<double, 3> x = test::input_spikes<double>(batch, steps, c.inputs, 20.0, 5);
    Tensor<double, 3> d = tensor3<double>(batch, steps / 10, 1);
    auto loss = [&] {
        const Tensor<double, 3>& y = net.forward(x, lif::InputKind::spike_trains);
        double l = 0.0;
        for (Index b = 0; b < batch; ++b)
            for (Index k = 0; k < net.bins(); ++k) {
                const double err = y(b, k, 0) - std::sin(0.6 * double(k));
                l += err * err / double(batch * net.bins());
                d(b, k, 0) = 2.0 * err / double(batch * net.bins());
            }
        return l;
    };
    const double initial = loss();
    for (int step = 0; step < 40; ++step) {
        net.parameters().zero_gradients();
        loss();
        net.backward(d);
        for (const char* frozen : {"w_out", "b_out"})
            net.parameters().gradient(net.parameters().layout().find(frozen)).setZero();
        test::sgd_step(net.parameters(), 1e-3);
        net.project();
    }
    const double final_loss = loss();
    INFO("loss " << initial << " -> " << final_loss);
    CHECK(final_loss < 0.1 * initial);
    CHECK(net.dale_violations() == 0);
}

TEST_CASE("feed-forward ablation runs without recurrent weights") {
    lif::NetworkConfig c = test::small_config();
    c.recurrent = false;
    lif::Network<float> net(c, 4);
    CHECK_FALSE(net.parameters().layout().contains("w_rec"));
    CHECK(net.spectral_radius() == 0.0);
    CHECK_THROWS_WITH(net.recurrent_weights(), Catch::Contains("no recurrent weights"));
    const Tensor<float, 3> x = test::input_spikes<float>(2, 30, c.inputs, 40.0, 4);
    lif::ForwardOptions<float> options;
    options.record_currents = true;
    net.forward(x, lif::InputKind::spike_trains, options);
    CHECK(net.current_statistics().sum_inhibitory.cwiseAbs().sum() == 0.0);
    net.backward(random_d_readout(net, 4));
    CHECK(net.dale_violations() == 0);
}

TEST_CASE("network rejects bad input with messages naming the problem") {
    lif::NetworkConfig c = test::small_config();
    lif::Network<float> net(c, 1);
    CHECK_THROWS_WITH(net.forward(tensor3<float>(2, 30, 5), lif::InputKind::spike_trains),
                      Catch::Contains("input has 5 features, network expects 12"));
    CHECK_THROWS_WITH(net.forward(tensor3<float>(2, 25, 12), lif::InputKind::spike_trains),
                      Catch::Contains("multiple of 10"));
    CHECK_THROWS_WITH(net.forward(tensor3<float>(0, 30, 12), lif::InputKind::spike_trains),
                      Catch::Contains("non-empty batch"));
    Tensor<float, 3> x = test::input_spikes<float>(2, 30, 12, 40.0, 1);
    x(1, 3, 4) = -1.0f;
    CHECK_THROWS_WITH(net.forward(x, lif::InputKind::spike_trains),
                      Catch::Contains("expected finite non-negative"));
    x(1, 3, 4) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(net.forward(x, lif::InputKind::binned_counts),
                      Catch::Contains("expected finite non-negative"));
    x(1, 3, 4) = 0.0f;
    CHECK_THROWS_WITH(net.backward(tensor3<float>(2, 3, 3)), Catch::Contains("no forward"));
    net.forward(x, lif::InputKind::spike_trains);
    CHECK_THROWS_WITH(net.backward(tensor3<float>(2, 4, 3)),
                      Catch::Contains("d_readout is 2x4x3, expected 2x3x3"));
    Tensor<float, 3> d = tensor3<float>(2, 3, 3);
    d(0, 0, 0) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(net.backward(d), Catch::Contains("d_readout has a non-finite value"));

    lif::NetworkConfig bad = c;
    bad.inputs = 0;
    CHECK_THROWS_WITH(lif::Network<float>(bad, 1), Catch::Contains("inputs is 0"));
    bad = c;
    bad.tau_readout_ms = 0.0;
    CHECK_THROWS_WITH(lif::Network<float>(bad, 1), Catch::Contains("time constant"));
    bad = c;
    bad.recurrent_init.spectral_radius = -1.0;
    CHECK_THROWS_WITH(lif::Network<float>(bad, 1), Catch::Contains("spectral_radius is -1"));
}
