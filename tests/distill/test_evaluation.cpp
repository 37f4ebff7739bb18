// Whole-session evaluation of a student: streaming in pieces with the state carried equals one
// pass, spike counts agree with the rates, held-out CCA of a perfect representation is 1 and of
// an unrelated one is near 0 against its null, and the metrics document has the contract keys.
#include <catch2/catch.hpp>

#include <jepasnn/distill/distill.hpp>

#include "distill_test_support.hpp"

using namespace jepasnn;

/// The readout of every bin, gathered from run_session's pieces.
static RowMatrix<double> gathered_readout(lif::Network<double>& net,
                                          const distill::DistillData& data,
                                          const distill::DistillConfig& c,
                                          distill::SessionRun& run) {
    RowMatrix<double> readout = RowMatrix<double>::Constant(data.bins(), 3, std::nan(""));
    run = distill::run_session(
        net, data, c, [&](Index first, const RowMatrix<double>& y, const RowMatrix<double>& f) {
            CHECK(f.cols() == net.config().excitatory);
            CHECK(f.rows() == y.rows());
            readout.middleRows(first, y.rows()) = y;
        });
    return readout;
}

TEST_CASE("session evaluation streamed in pieces equals one pass", "[distill]") {
    distill::DistillConfig c = test::small_config();
    auto [counts, z] = test::synthetic_session(1000, 12, 5);
    const distill::DistillData data = distill::make_distill_data(counts, z, c);
    lif::Network<double> net(c.network(data.inputs(), 3), 4);
    distill::DistillConfig one = c, pieces = c;
    one.eval_segments = pieces.eval_segments = 3;
    one.eval_chunk_bins = 1000;
    pieces.eval_chunk_bins = 37;
    distill::SessionRun a, b;
    const RowMatrix<double> ya = gathered_readout(net, data, one, a);
    const RowMatrix<double> yb = gathered_readout(net, data, pieces, b);
    REQUIRE(ya.allFinite());  // every bin was handed out
    CHECK((ya - yb).cwiseAbs().maxCoeff() < 1e-9);
    CHECK((a.rates_hz - b.rates_hz).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(a.rates_hz.sum() > 0.0);
}

TEST_CASE("held-out score streamed in pieces in any order equals the score of the whole",
          "[distill]") {
    // The training bins reach the CCA factor in blocks, in the order the pieces arrive; the
    // fit may differ only by rounding (Chan-Golub-LeVeque merges), the held-out rows not at all.
    distill::DistillConfig c = test::small_config();
    c.null_samples = 50;
    auto [counts, z] = test::synthetic_session(3000, 6, 5);
    const distill::DistillData data = distill::make_distill_data(counts, z, c);
    RowMatrix<double> x(3000, 4);
    for (Index i = 0; i < x.size(); ++i)
        x.data()[i] = normal_at(7, 0, std::uint64_t(i));
    x.leftCols(3) += 2.0 * data.targets.read(0, 3000);
    const distill::HeldoutScore whole = distill::heldout_score(x, data, c, 3);
    distill::HeldoutScorer scorer(data, 4);
    for (Index first = 2999; first >= 0; first -= 173) {  // backwards, pieces of 173 bins
        const Index begin = std::max<Index>(0, first - 172), n = first + 1 - begin;
        scorer.add(begin, x.middleRows(begin, n), data.targets.read(begin, n));
    }
    const distill::HeldoutScore pieces = scorer.finish(c, 3);
    CHECK(pieces.cca_heldout == Approx(whole.cca_heldout).margin(1e-12));
    CHECK((pieces.correlations - whole.correlations).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(pieces.null_p95 == Approx(whole.null_p95).margin(1e-12));
    CHECK(whole.cca_heldout > 0.5);
}

TEST_CASE("held-out score is 1 for the targets themselves and chance for noise", "[distill]") {
    distill::DistillConfig c = test::small_config();
    c.null_samples = 100;
    auto [counts, z] = test::synthetic_session(2000, 6, 5);
    const distill::DistillData data = distill::make_distill_data(counts, z, c);
    RowMatrix<double> mixed = data.targets.read(0, 2000) * Matrix<double>::Random(3, 3).cwiseAbs() +
                              RowMatrix<double>::Constant(2000, 3, 2.0);
    const distill::HeldoutScore same = distill::heldout_score(mixed, data, c, 1);
    CHECK(same.cca_heldout == Approx(1.0).margin(1e-9));
    RowMatrix<double> noise(2000, 3);
    for (Index i = 0; i < noise.size(); ++i)
        noise.data()[i] = normal_at(99, 0, std::uint64_t(i));
    const distill::HeldoutScore chance = distill::heldout_score(noise, data, c, 1);
    CHECK(std::abs(chance.cca_heldout) < 0.15);
    CHECK(chance.p_value > 0.01);
    CHECK(same.p_value < 0.02);
}

TEST_CASE("student evaluation document has the contract keys", "[distill]") {
    distill::DistillConfig c = test::small_config();
    auto [counts, z] = test::synthetic_session(1000, 12, 5);
    const distill::DistillData data = distill::make_distill_data(counts, z, c);
    lif::Network<float> net(c.network(data.inputs(), 3), 4);
    const distill::StudentEvaluation e = distill::evaluate_student(net, data, c);
    const Json j = distill::to_json(e);
    for (const char* key :
         {"cca_heldout", "cca_null_95", "frac_neurons_in_band", "dale_violations",
          "mean_rate_hz_exc", "mean_rate_hz_inh", "cca_heldout_filtered_exc", "isi_cv_mean",
          "fano_factor_mean", "inhibitory_excitatory_ratio", "ei_current_correlation",
          "spectral_radius", "silent_exc", "saturated_inh"})
        CHECK(j.contains(key));
    CHECK(j["dale_violations"].get<std::size_t>() == 0);
    CHECK(j["spectral_radius"].get<double>() == Approx(c.spectral_radius).epsilon(1e-5));
    CHECK(e.metrics.frac_neurons_in_band >= 0.0);
    CHECK(e.metrics.frac_neurons_in_band <= 1.0);
}
