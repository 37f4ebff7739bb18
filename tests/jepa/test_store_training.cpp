// Training from binned stores (data/count_source.hpp): sessions whose counts are read from HDF5
// stores a window at a time give bitwise the scaler, batches, loss curve, parameters and latents
// of the same counts held in memory, with or without reading each step's batch during the step
// before; the streamed z-score fit does not depend on its block size.
#include <jepasnn/data/count_source.hpp>
#include <jepasnn/jepa/toy_lds.hpp>
#include <jepasnn/jepa/trainer.hpp>

#include <rapidcheck/catch.h>

#include <string>
#include <vector>

#include "jepa_test_util.hpp"
#include "store_support.hpp"
#include "test_support.hpp"

namespace data = jepasnn::data;
namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using jepasnn::RowMatrix;

namespace {

/// Counts of toy LDS session `s` (bins × units), with brain states in alternating runs of 150
/// bins (active in odd runs).
struct StoreToySession {
    RowMatrix<double> counts;
    jepa::StateLabels labels;
};

StoreToySession store_toy_session(Index units, Index bins, std::uint32_t s) {
    jepa::ToyLdsConfig tc;
    tc.bins = bins;
    StoreToySession t;
    t.counts = jepa::make_toy_lds(tc, units, 21, s).counts;
    for (Index b = 0; b < bins; ++b)
        t.labels.state.push_back(static_cast<std::uint8_t>((b / 150) % 2));
    return t;
}

std::vector<float> store_values_of(jepa::LeJepa<float>& m) {
    return {m.parameters().values().begin(), m.parameters().values().end()};
}

}  // namespace

TEST_CASE("counts read from a store equal the same counts in memory, window by window") {
    jepasnn::test::TempDir dir;
    const StoreToySession t = store_toy_session(6, 700, 0);
    const data::CountSource memory(data::counts_from_matrix(t.counts, "test"));
    const data::CountSource store = jepasnn::test::store_of(t.counts, dir / "s.h5");
    REQUIRE(store.store() != nullptr);
    CHECK(memory.store() == nullptr);
    CHECK(store.bins() == 700);
    CHECK(store.units() == 6);
    const auto as_double = [](const auto& m) {
        return RowMatrix<double>(m.template cast<double>());
    };
    for (const auto& [first, n] :
         std::vector<std::pair<Index, Index>>{{0, 700}, {13, 1}, {650, 50}}) {
        const RowMatrix<double> a = memory.visit_rows(first, n, as_double);
        CHECK(a == t.counts.middleRows(first, n));
        CHECK(store.visit_rows(first, n, as_double) == a);
    }
    CHECK_THROWS_WITH(store.visit_rows(690, 11, as_double), Catch::Contains("run past"));
    CHECK_THROWS_WITH(data::CountSource::open_store(dir / "none.h5"), Catch::Contains("none.h5"));
    RowMatrix<double> bad = t.counts;
    bad(4, 2) = 1.5;
    CHECK_THROWS_WITH(data::counts_from_matrix(bad, "test"),
                      Catch::Contains("bin 4, unit 2 is 1.5"));
}

TEST_CASE("the streamed z-score fit is bitwise the whole-matrix fit for any block size") {
    jepasnn::test::TempDir dir;
    const StoreToySession t = store_toy_session(5, 900, 1);
    const data::CountSource store = jepasnn::test::store_of(t.counts, dir / "s.h5");
    const std::vector<data::RowRange> train = {{0, 300}, {420, 880}};
    for (const jepa::StateScaling scaling :
         {jepa::StateScaling::none, jepa::StateScaling::moments}) {
        const std::span<const std::uint8_t> state =
            scaling == jepa::StateScaling::none ? std::span<const std::uint8_t>{} : t.labels.state;
        const auto whole =
            jepa::UnitScaler::fit(t.counts, train, jepa::CountTransform::sqrt, scaling, state);
        for (const Index block : {1, 7, 4096}) {
            const auto s = jepa::UnitScaler::fit(store, train, jepa::CountTransform::sqrt, scaling,
                                                 state, block);
            CHECK(s.mean == whole.mean);
            CHECK(s.scale == whole.scale);
            CHECK(s.state_mean == whole.state_mean);
            CHECK(s.state_scale == whole.state_scale);
        }
        // A window of the input is bitwise those rows of the whole input.
        const RowMatrix<float> x = whole.apply<float>(t.counts, t.labels.state);
        CHECK(whole.apply<float>(store, 250, 40, t.labels.state) == x.middleRows(250, 40));
    }
}

TEST_CASE("training from binned stores is bitwise training from memory") {
    jepasnn::test::SingleThread one;
    jepasnn::test::TempDir dir;
    using Model = jepa::LeJepa<float>;
    data::TimeSplitConfig split;
    split.block_bins = 200;
    std::vector<jepa::SessionRecording<float>> memory, stored;
    const std::vector<Index> units = {7, 5};
    for (std::size_t s = 0; s < units.size(); ++s) {
        const StoreToySession t = store_toy_session(units[s], 1000, static_cast<std::uint32_t>(s));
        const std::string name = "toy" + std::to_string(s);
        memory.push_back(jepa::prepare_session<float>(t.counts, jepa::CountTransform::sqrt, split,
                                                      name, jepa::StateScaling::moments, t.labels));
        stored.push_back(jepa::prepare_session<float>(
            jepasnn::test::store_of(t.counts, dir / (name + ".h5")), jepa::CountTransform::sqrt,
            split, name, jepa::StateScaling::moments, t.labels));
    }
    const auto config = jepasnn::test::quick_train_config(12);
    jepa::Trainer<Model> a(Model(jepasnn::test::tiny_model_config()), memory, config);
    jepa::Trainer<Model> b(Model(jepasnn::test::tiny_model_config()), stored, config);
    auto unfetched = config;  // each batch read when its step needs it, not during the step before
    unfetched.prefetch = false;
    jepa::Trainer<Model> c(Model(jepasnn::test::tiny_model_config()), stored, unfetched);
    REQUIRE(config.prefetch);
    const jepa::TrainHistory ha = a.run(), hb = b.run(), hc = c.run();
    REQUIRE(ha.steps.size() == 12);
    CHECK(ha.steps == hb.steps);
    CHECK(hc.steps == hb.steps);
    CHECK(store_values_of(c.model()) == store_values_of(b.model()));
    REQUIRE(!ha.validation.empty());
    for (std::size_t i = 0; i < ha.validation.size(); ++i)
        CHECK(ha.validation[i].loss == hb.validation[i].loss);
    CHECK(store_values_of(a.model()) == store_values_of(b.model()));
    const auto input = [&](Index first, Index rows) { return stored[1].input(first, rows); };
    CHECK(b.model().encode(1, stored[1].bins(), input, 64) ==
          a.model().encode(1, memory[1].input(), 64));
}
