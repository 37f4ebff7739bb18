// Nulls at the same n: reproducible draws whatever the thread count, the p-value and z-score as
// stated, the permutation-null mean of Σρ² equal to pq/(n − 1), circular shifts that respect
// autocorrelation where permutations are fooled by it, and the prepared fast path equal to
// refitting.
#include <jepasnn/cca/null_distribution.hpp>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::gaussian;
using jepasnn::test::shared_latent_views;

namespace {

/// Cca without its prepared fast path: every draw refits from the reordered data.
struct RefittingCca {
    cca::Cca inner;
    std::string statistic() const { return inner.statistic(); }
    double operator()(const cca::ConstRowRef<double>& x, const cca::ConstRowRef<double>& y) const {
        return inner(x, y);
    }
};
static_assert(cca::SimilarityMeasure<RefittingCca> &&
              !cca::PreparedSimilarityMeasure<RefittingCca>);

/// A user-defined measure whose null has no spread.
struct ConstantMeasure {
    std::string statistic() const { return "constant"; }
    double operator()(const cca::ConstRowRef<double>&, const cca::ConstRowRef<double>&) const {
        return 0.5;
    }
};

/// Two independent AR(1) series per view (φ = 0.995): strongly autocorrelated, unrelated.
RowMatrix<double> slow_noise(Index n, Index cols, std::uint64_t seed) {
    RowMatrix<double> e = gaussian(n, cols, seed, 7);
    for (Index t = 1; t < n; ++t)
        e.row(t) += 0.995 * e.row(t - 1);
    return e;
}

}  // namespace

TEST_CASE("null draws are reproducible and independent of the thread count") {
    const auto v = shared_latent_views(200, 3, 4, 2, 1.5, 3);
    cca::NullOptions o;
    o.samples = 64;
    o.seed = 42;
    for (cca::NullKind kind : {cca::NullKind::permutation, cca::NullKind::circular_shift}) {
        o.kind = kind;
        INFO(cca::null_kind_name(kind));
        set_thread_count(1);
        const cca::NullDistribution one = cca::cca_null(v.x, v.y, o);
        set_thread_count(2);
        const cca::NullDistribution two = cca::cca_null(v.x, v.y, o);
        set_thread_count(1);
        CHECK(one.samples == two.samples);
        CHECK(one.observed == cca::canonical_correlations(v.x, v.y).mean_cca);
        o.seed = 43;
        CHECK(cca::cca_null(v.x, v.y, o).samples != one.samples);
        o.seed = 42;
    }
}

TEST_CASE("p-value and z-score and quantiles follow their definitions") {
    const auto v = shared_latent_views(150, 2, 2, 1, 3.0, 9);
    cca::NullOptions o;
    o.samples = 199;
    o.seed = 5;
    const cca::NullDistribution d = cca::cca_null(v.x, v.y, o);
    std::size_t at_least = 0;
    double sum = 0.0;
    for (double s : d.samples) {
        at_least += s >= d.observed ? 1 : 0;
        sum += s;
    }
    CHECK(d.p_value == Approx((1.0 + double(at_least)) / 200.0));
    CHECK(d.mean == Approx(sum / 199.0));
    CHECK(d.z_score == Approx((d.observed - d.mean) / d.sd));
    CHECK(d.statistic == "mean_cca");

    // numpy.quantile([3, 1, 4, 1, 5], q) with its default linear interpolation.
    cca::NullDistribution hand;
    hand.samples = {3.0, 1.0, 4.0, 1.0, 5.0};
    CHECK(hand.quantile(0.0) == 1.0);
    CHECK(hand.quantile(0.5) == 3.0);
    CHECK(hand.quantile(0.95) == Approx(4.8));
    CHECK(hand.quantile(1.0) == 5.0);
    CHECK_THROWS_WITH(hand.quantile(1.5), Catch::Contains("q must be in [0, 1]"));
}

TEST_CASE("the permutation null mean of the sum of squared correlations is pq over n minus 1") {
    // Exact in expectation for any data: E over permutations of tr(P_x Π P_y Πᵀ) = pq/(n − 1).
    // Skewed, non-Gaussian columns on purpose.
    const Index n = 60, p = 3, q = 4;
    RowMatrix<double> x = gaussian(n, p, 1), y = gaussian(n, q, 2);
    x = x.array().exp().matrix();
    y = y.array().cube().matrix();
    cca::NullOptions o;
    o.samples = 4000;
    o.seed = 2026;
    const cca::NullDistribution d = cca::cca_null(x, y, o, {}, cca::CcaSummary::sum_r2);
    const double chance = cca::chance_level(p, q, n);
    const double standard_error = d.sd / std::sqrt(double(o.samples));
    INFO("null mean " << d.mean << ", chance " << chance << ", standard error " << standard_error);
    CHECK(std::abs(d.mean - chance) < 4.0 * standard_error);
    CHECK(d.statistic == "sum_r2_cca");
}

TEST_CASE("the prepared fast path gives the draws of refitting") {
    const auto v = shared_latent_views(120, 4, 3, 2, 1.0, 17);
    cca::NullOptions o;
    o.samples = 24;
    o.seed = 8;
    for (double ridge : {0.0, 0.2}) {
        cca::CcaOptions c;
        c.ridge = ridge;
        for (cca::CcaSummary s : {cca::CcaSummary::mean, cca::CcaSummary::top}) {
            const cca::Cca measure{c, s};
            const cca::NullDistribution fast = cca::null_distribution(measure, v.x, v.y, o);
            const cca::NullDistribution slow =
                cca::null_distribution(RefittingCca{measure}, v.x, v.y, o);
            INFO("ridge " << ridge << " " << measure.statistic());
            for (std::size_t i = 0; i < fast.samples.size(); ++i)
                CHECK(fast.samples[i] == Approx(slow.samples[i]).margin(1e-12));
        }
    }
}

TEST_CASE("circular shifts rotate the rows by at least min_shift") {
    std::vector<Index> order(50);
    for (std::uint64_t s = 0; s < 200; ++s) {
        cca::detail::null_order(order, cca::NullKind::circular_shift, 1, s, 5);
        const Index shift = order[0];
        CHECK(shift >= 5);
        CHECK(shift <= 45);
        for (Index t = 0; t < 50; ++t)
            CHECK(order[static_cast<std::size_t>(t)] == (t + shift) % 50);
    }
    cca::detail::null_order(order, cca::NullKind::permutation, 1, 0, 0);
    std::vector<Index> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (Index t = 0; t < 50; ++t)
        CHECK(sorted[static_cast<std::size_t>(t)] == t);
}

TEST_CASE("circular shifts are not fooled by autocorrelation where permutations are") {
    // Unrelated but slow signals look correlated in-sample. Permuting rows destroys their
    // autocorrelation, so the permutation null is far too narrow; shifting keeps it.
    const Index n = 2000;
    const RowMatrix<double> x = slow_noise(n, 2, 1), y = slow_noise(n, 2, 2);
    cca::NullOptions o;
    o.samples = 300;
    o.seed = 11;
    o.kind = cca::NullKind::permutation;
    const cca::NullDistribution perm = cca::cca_null(x, y, o);
    o.kind = cca::NullKind::circular_shift;
    const cca::NullDistribution shift = cca::cca_null(x, y, o);
    INFO("observed " << perm.observed << ", permutation p " << perm.p_value << ", shift p "
                     << shift.p_value);
    CHECK(perm.p_value < 0.01);
    CHECK(shift.quantile(0.95) > 5.0 * perm.quantile(0.95));
    CHECK(shift.min_shift == n / 20);
}

TEST_CASE("nulls work for every measure and report bad options") {
    const auto v = shared_latent_views(100, 3, 3, 3, 0.5, 23);
    cca::NullOptions o;
    o.samples = 30;
    const cca::NullDistribution cka = cca::null_distribution(cca::LinearCka{}, v.x, v.y, o);
    CHECK(cka.statistic == "linear_cka");
    CHECK(cka.p_value == Approx(1.0 / 31.0));  // strongly related: no draw reaches it
    CHECK(cca::null_distribution(cca::ProcrustesSimilarity{}, v.x, v.y, o).p_value < 0.05);
    CHECK(cca::null_distribution(cca::Svcca{}, v.x, v.y, o).p_value < 0.05);

    using Catch::Contains;
    o.samples = 1;
    CHECK_THROWS_WITH(cca::cca_null(v.x, v.y, o), Contains("at least 2 null samples"));
    o.samples = 10;
    o.kind = cca::NullKind::circular_shift;
    o.min_shift = 60;
    CHECK_THROWS_WITH(cca::cca_null(v.x, v.y, o), Contains("min_shift 60 leaves no shift"));
    o.min_shift = 0;
    CHECK_THROWS_WITH(cca::cca_null(v.x, v.y.topRows(99), o), Contains("X has 100 rows"));
    CHECK_THROWS_WITH(cca::null_distribution(ConstantMeasure{}, v.x, v.y, o),
                      Contains("are all equal"));
}
