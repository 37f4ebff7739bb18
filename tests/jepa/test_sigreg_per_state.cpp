// Per-state SIGReg (SigRegConfig::per_state): at each time step the batch's rows are split by brain
// state and each state's latents are tested against N(0, I) on their own. Pins the value against
// an independent composition of the plain statistic (its backward is checked against central
// differences in test_sigreg_per_step.cpp), that one state (or no labels) is exactly the global
// regulariser, that make_batch carries each bin's label into the latents' row order, and that it
// penalises state-separated latents the global statistic accepts.
#include <jepasnn/jepa/dataset.hpp>
#include <jepasnn/jepa/regularizers.hpp>

#include <rapidcheck/catch.h>

#include <cmath>
#include <vector>

#include "jepa_test_util.hpp"

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using Mat = jepasnn::RowMatrix<double>;
using Labels = std::vector<std::uint8_t>;

namespace {

Labels random_labels(Index n, int states) {
    return *rc::gen::container<Labels>(static_cast<std::size_t>(n),
                                       rc::gen::inRange<std::uint8_t>(0, states));
}

jepa::SigRegConfig per_state_config(Index directions) {
    jepa::SigRegConfig c;
    c.directions = directions;
    c.per_state = true;
    return c;
}
}  // namespace

TEST_CASE("per-state sigreg is each time step's share-weighted mean of its states' statistics",
          "[tolerance]") {
    rc::prop("random steps, batch sizes and labels", [] {
        const Index steps = *rc::gen::inRange(1, 5), batch = *rc::gen::inRange(1, 10),
                    d = *rc::gen::inRange(1, 5);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const std::uint64_t step = *rc::gen::inRange<std::uint64_t>(0, 1000);
        const jepa::SigRegConfig config = per_state_config(*rc::gen::inRange(1, 30));
        const Mat z = jepasnn::test::random_latents(steps * batch, d, seed);  // (L·B, D) time-major
        const Labels labels = random_labels(steps * batch, *rc::gen::inRange(1, 4));
        jepa::SigRegRegularizer<double> reg(config);
        const double value = reg.forward(z, {seed, step, batch, labels});
        // Independent reference: the plain statistic of each (time step, state)'s rows.
        double expected = 0.0;
        for (Index t = 0; t < steps; ++t)
            for (std::uint8_t k = 0; k < 4; ++k) {
                std::vector<Index> rows;
                for (Index b = 0; b < batch; ++b)
                    if (labels[static_cast<std::size_t>(t * batch + b)] == k)
                        rows.push_back(t * batch + b);
                if (rows.empty()) continue;
                Mat part(std::ssize(rows), d);
                for (std::size_t r = 0; r < rows.size(); ++r)
                    part.row(static_cast<Index>(r)) = z.row(rows[r]);
                expected += double(rows.size()) / double(batch) *
                            jepa::sigreg<double>(part, config, seed, step) / double(steps);
            }
        RC_ASSERT(std::fabs(value - expected) <= 1e-12 * std::max(1.0, std::fabs(expected)));
    });
}

TEST_CASE("per-state sigreg with one state or without labels is the global regulariser") {
    rc::prop("random shapes", [] {
        const Index steps = *rc::gen::inRange(1, 5), batch = *rc::gen::inRange(1, 10),
                    d = *rc::gen::inRange(1, 5);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const Mat z = jepasnn::test::random_latents(steps * batch, d, seed);
        jepa::SigRegConfig global = per_state_config(16);
        global.per_state = false;
        jepa::SigRegRegularizer<double> plain(global), by_state(per_state_config(16));
        const Labels one(static_cast<std::size_t>(steps * batch),
                         *rc::gen::arbitrary<std::uint8_t>());
        const double reference = plain.forward(z, {seed, 2, batch});
        RC_ASSERT(by_state.forward(z, {seed, 2, batch, one}) == reference);
        RC_ASSERT(by_state.forward(z, {seed, 2, batch}) == reference);
        // Without per_state the labels are ignored.
        const Labels mixed = random_labels(steps * batch, 3);
        RC_ASSERT(plain.forward(z, {seed, 2, batch, mixed}) == reference);
        // The gradients agree bit for bit too.
        Mat g1 = Mat::Zero(z.rows(), d), g2 = Mat::Zero(z.rows(), d);
        plain.forward(z, {seed, 2, batch});
        plain.backward(g1, 0.3);
        by_state.forward(z, {seed, 2, batch, one});
        by_state.backward(g2, 0.3);
        RC_ASSERT(g1 == g2);
    });
}

TEST_CASE("per-state sigreg rejects labels that do not match the latents") {
    jepa::SigRegRegularizer<double> reg(per_state_config(8));
    const Mat z = jepasnn::test::random_latents(12, 3, 1);
    const Labels labels(11, 0);
    CHECK_THROWS_WITH(reg.forward(z, {0, 0, 4, labels}),
                      Catch::Contains("jepa::SigRegRegularizer") && Catch::Contains("12 rows") &&
                          Catch::Contains("11 state labels"));
}

TEST_CASE("per-state sigreg penalises latents that separate the states") {
    // 2 × 300 independent rows, 4 dims. Separated: along dim 0 state 0 is N(−0.8, 0.6²) and
    // state 1 N(+0.8, 0.6²), so the pooled marginal keeps unit variance and only its shape
    // departs from N(0, 1); each state alone is off by a mean of 0.8 SD and an SD of 0.6.
    // Shared: both states N(0, I). The Epps–Pulley statistic is n·(squared distance) + O(1)
    // sampling noise, with the distances here of order 1e-1 per state and 1e-2 pooled (along the
    // directions' share of dim 0), so at n = 300 the orders of magnitude decide, not the draw.
    const Index n = 600, d = 4;
    Mat separated(n, d), shared(n, d);
    Labels labels(static_cast<std::size_t>(n));
    for (Index r = 0; r < n; ++r) {
        labels[static_cast<std::size_t>(r)] = static_cast<std::uint8_t>(r % 2);
        for (Index c = 0; c < d; ++c) {
            const double e = jepasnn::normal_at(21, 4, static_cast<std::uint64_t>(r * d + c));
            shared(r, c) = e;
            separated(r, c) = c == 0 ? (r % 2 == 0 ? -0.8 : 0.8) + 0.6 * e : e;
        }
    }
    jepa::SigRegConfig global = per_state_config(256);
    global.per_state = false;
    jepa::SigRegRegularizer<double> plain(global), by_state(per_state_config(256));
    const double separated_global = plain.forward(separated, {1, 0, 0, labels});
    const double separated_state = by_state.forward(separated, {1, 0, 0, labels});
    const double shared_global = plain.forward(shared, {1, 0, 0, labels});
    const double shared_state = by_state.forward(shared, {1, 0, 0, labels});
    CAPTURE(separated_global, separated_state, shared_global, shared_state);
    CHECK(separated_state > 5.0 * separated_global);
    CHECK(separated_state > 5.0 * shared_state);
    CHECK(shared_state < 2.0 * shared_global + 1.0);
}

TEST_CASE("make_batch carries each bin's state into the latents' row order") {
    rc::prop("random windows over labelled and unlabelled sessions", [] {
        std::vector<jepa::SessionRecording<double>> sessions(3);
        for (std::size_t s = 0; s < sessions.size(); ++s) {
            sessions[s] = jepa::prepare_session<double>(Mat::Zero(40, 2),
                                                        jepa::CountTransform::sqrt, {10, 0.25});
            if (s != 1)  // session 1 has no labels: its bins count as state 0
                sessions[s].state = random_labels(40, 3);
        }
        const Index length = *rc::gen::inRange(1, 10);
        const auto count = *rc::gen::inRange<std::size_t>(1, 7);
        std::vector<jepa::WindowRef> windows;
        for (std::size_t i = 0; i < count; ++i)
            windows.push_back({*rc::gen::inRange<std::size_t>(0, 3),
                               *rc::gen::inRange<Index>(0, 40 - length + 1)});
        const jepa::Batch<double> b = jepa::make_batch<double>(sessions, windows, length);
        RC_ASSERT(std::ssize(b.states) == length * b.size);
        // make_batch sorts the windows by session, stably: window i of the batch.
        std::stable_sort(windows.begin(), windows.end(),
                         [](const auto& x, const auto& y) { return x.session < y.session; });
        for (Index t = 0; t < length; ++t)
            for (Index i = 0; i < b.size; ++i) {
                const auto& w = windows[static_cast<std::size_t>(i)];
                const auto& st = sessions[w.session].state;
                const std::uint8_t want =
                    st.empty() ? 0 : st[static_cast<std::size_t>(w.start + t)];
                RC_ASSERT(b.states[static_cast<std::size_t>(t * b.size + i)] == want);
            }
    });
}
