// The simulator's two scientific properties, on one session of the default cohort size:
//   1. the true latents are recoverable from 10 ms counts: a linear causal decoder (ridge on
//      exponentially smoothed √counts of the QC'd units) reaches R² ≥ 0.9 per state;
//   2. engagement changes the neural code but not the latents: an image decoder fit on raw
//      counts of the active block loses at least 0.15 accuracy on the passive replay, while the
//      same decoder on the true latents transfers (accuracy change within ±0.08).
// Margin: 8 images, so chance is 0.125; with ~350 held-out active flashes the standard error of
// an accuracy is ≤ 0.027, so a 0.15 drop is more than 5 standard errors, and the ±0.08 band on
// the latents about 3. Measured here (seed 20261124): counts drop ≈ 0.4, latents ≈ −0.06..0.02.
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/simulator/simulate.hpp>
#include <jepasnn/data/unit_qc.hpp>
#include <jepasnn/data/windows.hpp>

#include <cmath>
#include <iostream>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::Index;
using Mat = jepasnn::Matrix<double>;

namespace {

const SimulatedSession& default_session() {
    static const SimulatedSession s = [] {
        SimulatorConfig c;  // the default cohort's sizes, one session
        c.sessions = 1;
        return simulate_session(c, sim::LatentDynamics::from_seed(c, 20261124), 20261124, 0);
    }();
    return s;
}

/// Ridge regression with an intercept: W (p + 1, q) minimising |[X 1] W − Y|² + λ|W_x|².
Mat ridge_fit(const Mat& x, const Mat& y, double lambda) {
    Mat a(x.rows(), x.cols() + 1);
    a << x, Mat::Ones(x.rows(), 1);
    Mat gram = a.transpose() * a;
    gram.diagonal().head(x.cols()).array() += lambda;
    return gram.ldlt().solve(a.transpose() * y);
}
Mat ridge_predict(const Mat& x, const Mat& w) {
    Mat a(x.rows(), x.cols() + 1);
    a << x, Mat::Ones(x.rows(), 1);
    return a * w;
}

}  // namespace

TEST_CASE("true latents are linearly recoverable from binned counts in each state") {
    const SimulatedSession& s = default_session();
    const GroundTruth g = s.truth();
    const std::vector<std::size_t> units = vbn_default_filter().select(s.units);
    const std::vector<SessionBlock> blocks = derive_blocks(s.intervals);
    for (BrainState state : {BrainState::active, BrainState::passive}) {
        const SessionBlock& block = state_block(blocks, state, "session");
        const BinGrid grid = BinGrid::covering(block.range(), 0.01);
        const auto counts = bin_spikes(s.units, grid, units);
        const Mat z = g.latents_for(grid);
        // Causal exponential smoothing (τ = 3 bins) of √counts: what a causal decoder can see.
        const Index n = static_cast<Index>(grid.n_bins), p = static_cast<Index>(units.size());
        Mat x(n, p);
        const double keep = std::exp(-1.0 / 3.0);
        for (Index j = 0; j < p; ++j) {
            double acc = 0.0;
            for (Index k = 0; k < n; ++k) {
                acc = keep * acc +
                      (1.0 - keep) * std::sqrt(double(counts(std::size_t(k), std::size_t(j))));
                x(k, j) = acc;
            }
        }
        const Index half = n / 2;
        const Mat w = ridge_fit(x.topRows(half), z.topRows(half), 1.0);
        const Mat pred = ridge_predict(x.bottomRows(n - half), w);
        const Mat truth = z.bottomRows(n - half);
        const Eigen::RowVectorXd mean = truth.colwise().mean();
        const Eigen::ArrayXd r2 =
            1.0 - (pred - truth).colwise().squaredNorm().array().transpose() /
                      (truth.rowwise() - mean).colwise().squaredNorm().array().transpose();
        std::cout << "latent R2 (" << state_name(state) << ", " << units.size()
                  << " units): " << r2.transpose() << "  mean " << r2.mean() << std::endl;
        CHECK(r2.mean() >= 0.9);
        CHECK(r2.minCoeff() >= 0.85);
    }
}

TEST_CASE(
    "a count decoder fit in the active state fails in the passive one while latents transfer") {
    const SimulatedSession& s = default_session();
    const GroundTruth g = s.truth();
    Session session;
    session.path = "simulated";
    session.units = s.units;
    session.intervals = s.intervals;
    session.blocks = derive_blocks(s.intervals);
    const std::vector<std::size_t> units = vbn_default_filter().select(s.units);
    WindowSpec spec;  // counts in the 250 ms an image is on
    spec.pre = 0.0;
    spec.post = 0.25;
    spec.bin_width = 0.25;
    EventQuery active, passive;
    active.block = 0;
    passive.block = 5;
    const EventWindows wa = event_windows(session, active, spec, units);
    const EventWindows wp = event_windows(session, passive, spec, units);
    const std::size_t n_images = wa.labels.image_names.size();
    REQUIRE(n_images == 8);

    // Features per event: counts of each unit, or the true latents averaged over the window.
    auto counts_of = [&](const EventWindows& w) {
        Mat x(static_cast<Index>(w.labels.size()), static_cast<Index>(units.size()));
        for (std::size_t e = 0; e < w.labels.size(); ++e)
            for (std::size_t j = 0; j < units.size(); ++j)
                x(Index(e), Index(j)) = w.counts(e, 0, j);
        return x;
    };
    auto latents_of = [&](const EventWindows& w) {
        Mat x(static_cast<Index>(w.labels.size()), static_cast<Index>(g.dim()));
        for (std::size_t e = 0; e < w.labels.size(); ++e) {
            const auto first = static_cast<Index>(std::llround(w.labels.time[e] / g.bin_width));
            x.row(Index(e)) = g.latents.middleRows(first, 25).colwise().mean();
        }
        return x;
    };
    // Ridge one-vs-rest on z-scored features fit on the first half of the active block; scored
    // on its second half and on the whole passive block.
    auto transfer = [&](const Mat& xa, const Mat& xp) {
        const Index half = xa.rows() / 2;
        const Eigen::RowVectorXd mu = xa.topRows(half).colwise().mean();
        const Eigen::RowVectorXd sd =
            ((xa.topRows(half).rowwise() - mu).colwise().squaredNorm() / double(half))
                .cwiseSqrt()
                .array() +
            1e-9;
        auto z = [&](const Mat& x) -> Mat {
            return (x.rowwise() - mu).array().rowwise() / sd.array();
        };
        Mat y = Mat::Zero(half, static_cast<Index>(n_images));
        for (Index e = 0; e < half; ++e)
            y(e, wa.labels.image[std::size_t(e)]) = 1.0;
        const Mat w = ridge_fit(z(xa.topRows(half)), y, 10.0);
        auto accuracy = [&](const Mat& x, const EventLabels& l, Index first) {
            const Mat scores = ridge_predict(z(x.bottomRows(x.rows() - first)), w);
            double right = 0;
            for (Index e = 0; e < scores.rows(); ++e) {
                Index best;
                scores.row(e).maxCoeff(&best);
                right += best == l.image[std::size_t(e + first)];
            }
            return right / double(scores.rows());
        };
        return std::pair{accuracy(xa, wa.labels, half), accuracy(xp, wp.labels, 0)};
    };
    const auto [counts_active, counts_passive] = transfer(counts_of(wa), counts_of(wp));
    const auto [latent_active, latent_passive] = transfer(latents_of(wa), latents_of(wp));
    std::cout << "image decoding, active held-out -> passive: counts " << counts_active << " -> "
              << counts_passive << ", true latents " << latent_active << " -> " << latent_passive
              << std::endl;
    CHECK(counts_active >= 0.5);  // well above chance (0.125) in the state it was fit on
    CHECK(counts_active - counts_passive >= 0.15);
    CHECK(std::fabs(latent_active - latent_passive) <= 0.08);
}
