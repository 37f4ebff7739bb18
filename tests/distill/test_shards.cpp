// Distillation on a batch split into shards (the data-parallel form: DistillConfig::shards): each
// shard runs its own forward and backward, and the spike counts, the Deep CCA sums and the
// parameter gradients are added over shards. In double, a step on S shards is the whole batch's
// step up to the order of those additions; the rates and penalties are the same numbers.
#include <catch2/catch.hpp>

#include <jepasnn/distill/distill.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "distill_test_support.hpp"

using namespace jepasnn;

namespace {

/// max |a − b| over max |a|.
double relative_gap(std::span<const double> a, std::span<const double> b) {
    double gap = 0.0, scale = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        gap = std::max(gap, std::abs(a[i] - b[i]));
        scale = std::max(scale, std::abs(a[i]));
    }
    return gap / scale;
}

}  // namespace

TEST_CASE("a distillation step on S shards is the whole batch's step in double", "[distill]") {
    distill::DistillConfig c = test::small_config();
    c.batch = 6;
    auto [counts, z] = test::synthetic_session(1000, 12, 5);
    const distill::DistillData data =
        distill::make_distill_data(std::move(counts), std::move(z), c);
    distill::Distiller<double> whole(data, c);
    for (const Index shards : {2, 3, 6}) {
        distill::DistillConfig sc = c;
        sc.shards = shards;
        distill::Distiller<double> sharded(data, sc);
        for (std::uint64_t step = 0; step < 2; ++step) {
            INFO("shards " << shards << ", step " << step);
            const distill::StepRecord a = whole.loss_and_gradient(step);
            const distill::StepRecord b = sharded.loss_and_gradient(step);
            // Exact spike counts make the rates and penalties the same numbers.
            CHECK(b.rate_exc_hz == a.rate_exc_hz);
            CHECK(b.rate_inh_hz == a.rate_inh_hz);
            CHECK(b.homeostasis == a.homeostasis);
            CHECK(b.regularization == a.regularization);
            // Only the order of additions differs: sums of ≤ 150 loss rows and of S shard
            // gradients, each moving by ≲ n·2⁻⁵³ ≈ 2e-14 of its terms' size; the CCA's whitening
            // of a 3-dimensional, well-conditioned target and BPTT through 30 bins amplify that by
            // far less than the 1e4 that 1e-9 would allow.
            CHECK(std::abs(b.cca_loss - a.cca_loss) <= 1e-9 * std::abs(a.cca_loss));
            CHECK(std::abs(b.mean_cca - a.mean_cca) <= 1e-9);
            const auto ga = whole.gradients(), gb = sharded.gradients();
            CHECK(relative_gap(std::span<const double>(ga.data(), ga.size()),
                               std::span<const double>(gb.data(), gb.size())) <= 1e-9);
        }
    }
}

TEST_CASE("share_batch with one shard's own counts changes nothing", "[distill]") {
    distill::DistillConfig c = test::small_config();
    auto [counts, z] = test::synthetic_session(1000, 12, 9);
    const distill::DistillData data =
        distill::make_distill_data(std::move(counts), std::move(z), c);
    distill::Distiller<double> d(data, c);
    auto& net = d.network();
    Tensor<double, 3> inputs;
    Tensor<double, 3> targets;
    distill::assemble_batch(inputs, targets, data, {0, 100, 200}, c.window_bins);
    net.forward(inputs, lif::InputKind::binned_counts);
    const Vector<double> rates = net.rates(), d_rates = net.rate_gradient();
    const double homeostasis = net.homeostasis_penalty();
    const Vector<double> own = net.spike_counts();
    net.share_batch(own, net.batch(), true);
    CHECK(net.rates() == rates);
    CHECK(net.rate_gradient() == d_rates);
    CHECK(net.homeostasis_penalty() == homeostasis);
    // Twice the sequences with twice the spikes: the same rates.
    net.share_batch(2.0 * own, 2 * net.batch(), false);
    CHECK(net.rates() == rates);
    CHECK_THROWS_WITH(net.share_batch(own, net.batch() - 1, true),
                      Catch::Contains("over at least this forward's 3"));
}
