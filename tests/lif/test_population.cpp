// LifPopulation: the bit-packed, sparse recurrent forward and the event-driven weight gradient
// against a naive dense reference (N > 64, so spike rows span several words); refractory
// semantics; carrying the state across calls; E/I current statistics; bad input.
#include <jepasnn/core/threads.hpp>
#include <jepasnn/lif/population.hpp>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "lif_test_support.hpp"
#include "test_support.hpp"

namespace {

using namespace jepasnn;
using Population = lif::LifPopulation<double, lif::DefaultPolicies>;

struct Problem {
    Index batch = 2, steps = 60, n = 150, n_exc = 120;
    std::vector<double> currents, beta, threshold, bias;  // (B, T, N), (N) ×3
    Matrix<double> w;                                     // (N, N) [post][pre]

    explicit Problem(std::uint64_t seed) {
        currents.resize(static_cast<std::size_t>(batch * steps * n));
        test::fill_uniform(currents.data(), currents.size(), -0.05, 0.35, seed, 1);
        beta.resize(static_cast<std::size_t>(n));
        test::fill_uniform(beta.data(), beta.size(), 0.7, 0.95, seed, 2);
        threshold.assign(static_cast<std::size_t>(n), 1.0);
        bias.resize(static_cast<std::size_t>(n));
        test::fill_uniform(bias.data(), bias.size(), 0.0, 0.05, seed, 3);
        lif::RecurrentInit init;
        init.spectral_radius = 0.8;
        w = lif::dale_recurrent_weights<double>(n_exc, n - n_exc, init, seed);
    }
    lif::PopulationParameters<double> parameters() const {
        return {beta.data(), threshold.data(), bias.data(), w.data()};
    }
    std::size_t at(Index b, Index t, Index i) const {
        return static_cast<std::size_t>((b * steps + t) * n + i);
    }
};

/// The recurrent LIF forward written as plainly as possible: dense matrix-vector products, subtract
/// reset with delay, refractory period, no sparsity, no bits.
struct NaiveForward {
    std::vector<double> spikes, membranes;  // (B, T, N) each
    NaiveForward(const Problem& p, Index refractory_steps) {
        spikes.assign(p.currents.size(), 0.0);
        membranes.assign(p.currents.size(), 0.0);
        for (Index b = 0; b < p.batch; ++b) {
            Vector<double> u = Vector<double>::Zero(p.n), s = Vector<double>::Zero(p.n);
            std::vector<int> counter(static_cast<std::size_t>(p.n), 0);
            for (Index t = 0; t < p.steps; ++t) {
                const Vector<double> recurrent = p.w * s;
                Vector<double> s_new(p.n);
                for (Index i = 0; i < p.n; ++i) {
                    const auto k = static_cast<std::size_t>(i);
                    const bool refractory = counter[k] > 0;
                    const double reset = u(i) > p.threshold[k] ? 1.0 : 0.0;
                    const double drive =
                        refractory ? 0.0 : p.currents[p.at(b, t, i)] + recurrent(i) + p.bias[k];
                    const double v = p.beta[k] * u(i) + drive - reset * p.threshold[k];
                    s_new(i) = !refractory && v > p.threshold[k] ? 1.0 : 0.0;
                    counter[k] = s_new(i) > 0 ? static_cast<int>(refractory_steps)
                                              : std::max(counter[k] - 1, 0);
                    u(i) = v;
                    spikes[p.at(b, t, i)] = s_new(i);
                    membranes[p.at(b, t, i)] = v;
                }
                s = s_new;
            }
        }
    }
};

lif::PopulationConfig config_of(const Problem& p, Index refractory) {
    lif::PopulationConfig c;
    c.neurons = p.n;
    c.refractory_steps = refractory;
    c.excitatory_presynaptic = p.n_exc;
    return c;
}

}  // namespace

TEST_CASE("sparse bit-packed forward equals a naive dense forward") {
    for (Index refractory : {0, 3}) {
        const Problem p(17 + static_cast<std::uint64_t>(refractory));
        Population pop(config_of(p, refractory));
        lif::TensorCurrents<double> src(p.currents.data(), p.batch, p.steps, p.n);
        pop.forward(src, p.batch, p.steps, p.parameters());
        const NaiveForward naive(p, refractory);
        Index spikes = 0;
        double worst = 0.0;
        for (Index b = 0; b < p.batch; ++b)
            for (Index t = 0; t < p.steps; ++t)
                for (Index i = 0; i < p.n; ++i) {
                    REQUIRE(pop.spikes().test(b, t, i) == (naive.spikes[p.at(b, t, i)] > 0));
                    spikes += pop.spikes().test(b, t, i);
                    worst = std::max(
                        worst, std::abs(pop.membrane(b, t, i) - naive.membranes[p.at(b, t, i)]));
                }
        INFO("refractory " << refractory << ": " << spikes << " spikes");
        CHECK(spikes > p.batch * p.steps * p.n / 50);  // the recurrent path is exercised
        CHECK(spikes == pop.spikes().count());
        CHECK(worst < 1e-12);
    }
}

TEST_CASE("event-driven recurrent weight gradient equals the dense outer-product sum") {
    const Problem p(5);
    Population pop(config_of(p, 0));
    std::vector<double> d_currents(p.currents.size());
    lif::TensorCurrents<double> src(p.currents.data(), p.batch, p.steps, p.n, d_currents.data());
    pop.forward(src, p.batch, p.steps, p.parameters());
    std::vector<double> d_spikes(p.currents.size());
    test::fill_uniform(d_spikes.data(), d_spikes.size(), -1.0, 1.0, 5, 9);
    lif::DenseOutputGradients<double> sink(d_spikes.data(), nullptr, p.steps, p.n);
    Matrix<double> d_w = Matrix<double>::Zero(p.n, p.n);
    pop.backward(src, sink, p.parameters(), {nullptr, nullptr, nullptr, d_w.data()});

    // dW = Σ_{b, t ≥ 1} dL/dI_t[b] S_{t−1}[b]ᵀ
    Matrix<double> reference = Matrix<double>::Zero(p.n, p.n);
    for (Index b = 0; b < p.batch; ++b)
        for (Index t = 1; t < p.steps; ++t)
            for (Index j = 0; j < p.n; ++j)
                if (pop.spikes().test(b, t - 1, j))
                    for (Index i = 0; i < p.n; ++i)
                        reference(i, j) += d_currents[p.at(b, t, i)];
    CHECK(reference.cwiseAbs().maxCoeff() > 0.1);
    CHECK((d_w - reference).cwiseAbs().maxCoeff() <
          1e-12 * (1.0 + reference.cwiseAbs().maxCoeff()));
}

TEST_CASE("dL/dI and the recurrent weight gradient do not depend on the thread count") {
    // Large enough (B·T·N >= min_parallel_work) that the forward, the backward and the gradient
    // passes split across threads; each column of dW sums its events in (b, t) order whatever
    // the split, and each sequence's backward product does not depend on its neighbours.
    Problem p(11);
    p.batch = 9;
    p.currents.resize(static_cast<std::size_t>(p.batch * p.steps * p.n));
    test::fill_uniform(p.currents.data(), p.currents.size(), -0.05, 0.35, 11, 1);
    REQUIRE(p.batch * p.steps * p.n >= min_parallel_work);
    std::vector<double> d_spikes(p.currents.size());
    test::fill_uniform(d_spikes.data(), d_spikes.size(), -1.0, 1.0, 11, 9);
    auto run = [&](int threads) {
        const int before = thread_count();
        set_thread_count(threads);
        Population pop(config_of(p, 2));
        std::vector<double> d_currents(p.currents.size());
        lif::TensorCurrents<double> src(p.currents.data(), p.batch, p.steps, p.n,
                                        d_currents.data());
        pop.forward(src, p.batch, p.steps, p.parameters());
        lif::DenseOutputGradients<double> sink(d_spikes.data(), nullptr, p.steps, p.n);
        std::vector<double> d_w(static_cast<std::size_t>(p.n * p.n), 0.0);
        pop.backward(src, sink, p.parameters(), {nullptr, nullptr, nullptr, d_w.data()});
        set_thread_count(before);
        d_currents.insert(d_currents.end(), d_w.begin(), d_w.end());
        return d_currents;
    };
    const std::vector<double> one = run(1);
    for (int threads : {2, 3})
        CHECK(run(threads) == one);
}

TEST_CASE("refractory neurons ignore input and cannot spike") {
    // One neuron, β = 1, θ = 1, strong constant drive: it spikes at t = 0, then is refractory for
    // two steps (membrane held by β = 1 minus the reset), then integrates again.
    lif::PopulationConfig c;
    c.neurons = 1;
    c.refractory_steps = 2;
    lif::LifPopulation<double> pop(c);
    const std::vector<double> current(6, 1.5), beta{1.0}, threshold{1.0};
    lif::TensorCurrents<double> src(current.data(), 1, 6, 1);
    pop.forward(src, 1, 6, {beta.data(), threshold.data()});
    // t0: V = 1.5 spike. t1: R = 1, V = 1.5 − 1 = 0.5 (input blocked). t2: V = 0.5 (blocked).
    // t3: V = 0.5 + 1.5 = 2.0 spike. t4: R = 1, V = 1.0 (blocked). t5: V = 1.0 (blocked, and
    // V > θ is not a spike while refractory).
    const std::vector<double> expected_v{1.5, 0.5, 0.5, 2.0, 1.0, 1.0};
    const std::vector<bool> expected_s{true, false, false, true, false, false};
    for (Index t = 0; t < 6; ++t) {
        INFO("t = " << t);
        CHECK(pop.membrane(0, t, 0) == expected_v[static_cast<std::size_t>(t)]);
        CHECK(pop.spikes().test(0, t, 0) == expected_s[static_cast<std::size_t>(t)]);
    }
}

TEST_CASE("carrying the final state continues a sequence exactly") {
    const Problem p(23);
    Population whole(config_of(p, 2)), first(config_of(p, 2)), second(config_of(p, 2));
    lif::TensorCurrents<double> all(p.currents.data(), p.batch, p.steps, p.n);
    whole.forward(all, p.batch, p.steps, p.parameters());
    const Index half = p.steps / 2;
    std::vector<double> a, b;  // (B, T/2, N) each
    for (Index s = 0; s < p.batch; ++s) {
        a.insert(a.end(), p.currents.begin() + p.at(s, 0, 0),
                 p.currents.begin() + p.at(s, half, 0));
        b.insert(b.end(), p.currents.begin() + p.at(s, half, 0),
                 p.currents.begin() + p.at(s, p.steps - 1, p.n - 1) + 1);
    }
    lif::TensorCurrents<double> src_a(a.data(), p.batch, half, p.n),
        src_b(b.data(), p.batch, half, p.n);
    first.forward(src_a, p.batch, half, p.parameters());
    second.forward(src_b, p.batch, half, p.parameters(), &first.final_state());
    for (Index s = 0; s < p.batch; ++s)
        for (Index t = 0; t < half; ++t)
            for (Index i = 0; i < p.n; ++i) {
                REQUIRE(second.spikes().test(s, t, i) == whole.spikes().test(s, half + t, i));
                REQUIRE(second.membrane(s, t, i) == whole.membrane(s, half + t, i));
            }
}

TEST_CASE("current statistics equal sums over the recorded excitatory and inhibitory inputs") {
    const Problem p(31);
    Population pop(config_of(p, 0));
    lif::TensorCurrents<double> src(p.currents.data(), p.batch, p.steps, p.n);
    pop.forward(src, p.batch, p.steps, p.parameters(), nullptr, {}, /*record_currents=*/true);
    const lif::CurrentStatistics& stats = pop.current_statistics();
    Vector<double> e = Vector<double>::Zero(p.n), in = Vector<double>::Zero(p.n);
    Vector<double> ee = e, ii = e, ei = e;
    for (Index b = 0; b < p.batch; ++b)
        for (Index t = 0; t < p.steps; ++t) {
            Vector<double> exc = Vector<double>::Zero(p.n), inh = Vector<double>::Zero(p.n);
            for (Index i = 0; i < p.n; ++i)
                exc(i) = p.currents[p.at(b, t, i)];
            if (t > 0)
                for (Index j = 0; j < p.n; ++j)
                    if (pop.spikes().test(b, t - 1, j)) (j < p.n_exc ? exc : inh) += p.w.col(j);
            e += exc;
            in += inh;
            ee += exc.cwiseProduct(exc);
            ii += inh.cwiseProduct(inh);
            ei += exc.cwiseProduct(inh);
        }
    CHECK(stats.samples == double(p.batch * p.steps));
    CHECK((stats.sum_excitatory - e).cwiseAbs().maxCoeff() < 1e-9);
    CHECK((stats.sum_inhibitory - in).cwiseAbs().maxCoeff() < 1e-9);
    CHECK((stats.sum_product - ei).cwiseAbs().maxCoeff() < 1e-9);
    CHECK(stats.sum_inhibitory.sum() < 0.0);
    const double ratio = std::abs(in.sum()) / e.sum();
    CHECK(stats.inhibitory_excitatory_ratio() == Approx(ratio).epsilon(1e-12));
    const Vector<double> r = stats.correlation();
    const double n = double(p.batch * p.steps);
    const double r0 =
        (ei(0) / n - e(0) / n * in(0) / n) /
        std::sqrt((ee(0) / n - e(0) * e(0) / n / n) * (ii(0) / n - in(0) * in(0) / n / n));
    CHECK(r(0) == Approx(r0).epsilon(1e-9));
    CHECK_THROWS_WITH(Population(config_of(p, 0)).current_statistics(),
                      Catch::Contains("did not record currents"));
}

TEST_CASE("spike bits round-trip any pattern") {
    rc::prop(
        "store, test, count, unpack and for_each_active (whole rows and ranges) agree with "
        "the dense pattern",
        [] {
            const Index batch = *rc::gen::inRange<Index>(1, 4),
                        steps = *rc::gen::inRange<Index>(1, 5);
            const Index n = *rc::gen::inRange<Index>(1, 200);
            const double p = *rc::gen::inRange(0, 101) / 100.0;
            std::vector<double> dense(static_cast<std::size_t>(batch * steps * n));
            test::fill_spikes(dense.data(), dense.size(), p, *rc::gen::arbitrary<std::uint32_t>(),
                              0);
            lif::SpikeBits bits;
            bits.reset(batch, steps, n);
            for (Index b = 0; b < batch; ++b)
                for (Index t = 0; t < steps; ++t)
                    bits.store(b, t, dense.data() + (b * steps + t) * n);
            Index total = 0;
            for (Index b = 0; b < batch; ++b)
                for (Index t = 0; t < steps; ++t) {
                    std::vector<Index> active;
                    bits.for_each_active(b, t, [&](Index i, int) { active.push_back(i); });
                    std::vector<Index> expected;
                    for (Index i = 0; i < n; ++i) {
                        const bool on =
                            dense[static_cast<std::size_t>((b * steps + t) * n + i)] > 0;
                        RC_ASSERT(bits.test(b, t, i) == on);
                        if (on) expected.push_back(i);
                    }
                    RC_ASSERT(active == expected);
                    RC_ASSERT(bits.count(b, t) == Index(expected.size()));
                    total += Index(expected.size());
                    std::vector<float> unpacked(static_cast<std::size_t>(n));
                    bits.unpack(b, t, unpacked.data());
                    for (Index i = 0; i < n; ++i)
                        RC_ASSERT(unpacked[static_cast<std::size_t>(i)] ==
                                  (bits.test(b, t, i) ? 1 : 0));
                    const Index begin = *rc::gen::inRange<Index>(0, n + 1);
                    const Index end = *rc::gen::inRange<Index>(begin, n + 1);
                    std::vector<Index> in_range, expected_in_range;
                    bits.for_each_active(b, t, begin, end,
                                         [&](Index i, int) { in_range.push_back(i); });
                    for (Index i : expected)
                        if (i >= begin && i < end) expected_in_range.push_back(i);
                    RC_ASSERT(in_range == expected_in_range);
                }
            RC_ASSERT(bits.count() == total);
        });
}

TEST_CASE("population rejects bad input with messages naming the problem") {
    lif::PopulationConfig c;
    c.neurons = 0;
    CHECK_THROWS_WITH(lif::LifPopulation<double>(c), Catch::Contains("neurons is 0"));
    c.neurons = 2;
    c.refractory_steps = -1;
    CHECK_THROWS_WITH(lif::LifPopulation<double>(c), Catch::Contains("refractory_steps"));
    c.refractory_steps = 0;
    lif::LifPopulation<double> pop(c);
    std::vector<double> current(4, 0.5), beta{0.5, 0.5}, threshold{1.0, 1.0};
    lif::TensorCurrents<double> src(current.data(), 1, 2, 2);
    CHECK_THROWS_WITH(pop.forward(src, 1, 0, {beta.data(), threshold.data()}),
                      Catch::Contains("must be > 0"));
    CHECK_THROWS_WITH(pop.forward(src, 1, 2, {beta.data(), nullptr}),
                      Catch::Contains("beta and threshold are required"));
    beta[1] = std::nan("");
    CHECK_THROWS_WITH(pop.forward(src, 1, 2, {beta.data(), threshold.data()}),
                      Catch::Contains("beta has a non-finite value"));
    beta[1] = 0.5;
    lif::BpttOptions truncate_only;
    truncate_only.truncate = true;
    CHECK_THROWS_WITH(
        pop.forward(src, 1, 2, {beta.data(), threshold.data()}, nullptr, truncate_only),
        Catch::Contains("truncate needs chunk_steps"));
    const auto wrong = lif::PopulationState<double>::zeros(3, 2);
    CHECK_THROWS_WITH(pop.forward(src, 1, 2, {beta.data(), threshold.data()}, &wrong),
                      Catch::Contains("initial membrane is 3x2, expected 1x2"));
    lif::DenseOutputGradients<double> sink(nullptr, nullptr, 2, 2);
    CHECK_THROWS_WITH(pop.backward(src, sink, {beta.data(), threshold.data()}, {}),
                      Catch::Contains("no forward to differentiate"));
    pop.forward(src, 1, 2, {beta.data(), threshold.data()});
    pop.backward(src, sink, {beta.data(), threshold.data()}, {});
    CHECK_THROWS_WITH(pop.backward(src, sink, {beta.data(), threshold.data()}, {}),
                      Catch::Contains("one backward per forward"));
}
