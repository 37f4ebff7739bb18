// The streaming accumulator: any chunking gives the in-memory answer to ~1e-12 even with a large
// mean offset; its covariance matches a long-double two-pass reference and numpy's np.cov; it
// merges; and it reaches n far beyond what the in-memory path would hold.
#include <jepasnn/cca/covariance_accumulator.hpp>
#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>

#include <rapidcheck/catch.h>

#include "cca_test_data.hpp"
#include "test_support.hpp"

using namespace jepasnn;
using jepasnn::test::gaussian;
using jepasnn::test::shared_latent_views;

namespace {

/// Views with a large mean offset (1e6 in X, −3e5 in Y) on top of unit-scale structure.
test::ViewPair offset_views(Index n, Index p, Index q, std::uint64_t seed) {
    test::ViewPair v = shared_latent_views(n, p, q, std::min(p, q), 0.8, seed);
    v.x.array() += 1e6;
    v.y.array() -= 3e5;
    return v;
}

/// Covariance of [X Y] by the two-pass formula in long double: the exact mean first, then
/// centred products.
Matrix<double> two_pass_covariance(const RowMatrix<double>& x, const RowMatrix<double>& y) {
    const Index n = x.rows(), p = x.cols(), m = p + y.cols();
    RowMatrix<double> z(n, m);
    z << x, y;
    std::vector<long double> mean(static_cast<std::size_t>(m), 0.0L);
    for (Index t = 0; t < n; ++t)
        for (Index j = 0; j < m; ++j)
            mean[static_cast<std::size_t>(j)] += z(t, j);
    for (auto& v : mean)
        v /= static_cast<long double>(n);
    Matrix<double> c(m, m);
    for (Index a = 0; a < m; ++a)
        for (Index b = 0; b < m; ++b) {
            long double s = 0.0L;
            for (Index t = 0; t < n; ++t)
                s += (z(t, a) - mean[static_cast<std::size_t>(a)]) *
                     (z(t, b) - mean[static_cast<std::size_t>(b)]);
            c(a, b) = static_cast<double>(s / static_cast<long double>(n - 1));
        }
    return c;
}

double relative_difference(const Matrix<double>& a, const Matrix<double>& b) {
    return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("any chunking gives the in-memory answer despite a large mean offset", "[tolerance]") {
    rc::prop("accumulated chunks == in-memory CCA", [] {
        const Index p = *rc::gen::inRange<Index>(1, 6), q = *rc::gen::inRange<Index>(1, 6);
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
        const auto chunks =
            *rc::gen::container<std::vector<Index>>(rc::gen::inRange<Index>(0, 900));
        Index n = 0;
        for (Index c : chunks)
            n += c;
        RC_PRE(n >= std::max(p, q) + 10);
        const auto v = offset_views(n, p, q, seed);
        cca::CovarianceAccumulator acc(p, q);
        Index at = 0;
        for (Index c : chunks) {
            acc.add(v.x.middleRows(at, c), v.y.middleRows(at, c));
            at += c;
        }
        RC_ASSERT(acc.count() == n);
        const cca::CcaResult streamed = cca::canonical_correlations(acc.factor());
        const cca::CcaResult in_memory = cca::canonical_correlations(v.x, v.y);
        RC_ASSERT((streamed.correlations - in_memory.correlations).cwiseAbs().maxCoeff() < 1e-12);
        RC_ASSERT(relative_difference(acc.covariance(),
                                      cca::scatter_factor(v.x, v.y).covariance()) < 1e-12);
        RC_ASSERT((acc.mean_x() - v.x.colwise().mean().transpose()).cwiseAbs().maxCoeff() < 1e-6);
    });
}

TEST_CASE("the accumulated covariance matches a long double two-pass reference") {
    const auto v = offset_views(5000, 4, 3, 31);
    cca::CovarianceAccumulator acc(4, 3);
    for (Index at = 0; at < 5000; at += 613)
        acc.add(v.x.middleRows(at, std::min<Index>(613, 5000 - at)),
                v.y.middleRows(at, std::min<Index>(613, 5000 - at)));
    const Matrix<double> reference = two_pass_covariance(v.x, v.y);
    CHECK(relative_difference(acc.covariance(), reference) < 1e-12);
    CHECK(relative_difference(cca::scatter_factor(v.x, v.y).covariance(), reference) < 1e-12);
    // The naive one-pass formula Σzzᵀ/n − μμᵀ loses everything at this offset.
    RowMatrix<double> z(5000, 7);
    z << v.x, v.y;
    const Vector<double> mean = z.colwise().mean();
    const Matrix<double> naive = (z.transpose() * z - 5000.0 * mean * mean.transpose()) / 4999.0;
    CHECK(relative_difference(naive, reference) > 1e-6);
}

TEST_CASE("the accumulated mean and covariance match numpy") {
    const Json doc = read_json(test::test_asset("cca/golden.json"));
    for (const Json& c : doc.at("cases")) {
        const std::string name = c.at("name");
        INFO(name);
        const auto x = load_npy_matrix<double>(test::test_asset("cca/" + name + "_X.npy"));
        const auto y = load_npy_matrix<double>(test::test_asset("cca/" + name + "_Y.npy"));
        cca::CovarianceAccumulator acc(x.cols(), y.cols());
        acc.add(x.topRows(77), y.topRows(77));
        acc.add(x.bottomRows(x.rows() - 77), y.bottomRows(x.rows() - 77));
        const Matrix<double> cov = matrix_from_json<double>(c.at("covariance"), name);
        const Vector<double> mean = vector_from_json<double>(c.at("mean"), name);
        CHECK(relative_difference(acc.covariance(), cov) < 1e-12);
        CHECK((acc.mean_x() - mean.head(x.cols())).cwiseAbs().maxCoeff() < 1e-12);
        CHECK((acc.mean_y() - mean.tail(y.cols())).cwiseAbs().maxCoeff() < 1e-12);
    }
}

TEST_CASE("accumulators merge like one stream") {
    const auto v = offset_views(3000, 3, 5, 12);
    cca::CovarianceAccumulator a(3, 5), b(3, 5), all(3, 5);
    a.add(v.x.topRows(1000), v.y.topRows(1000));
    b.add(v.x.bottomRows(2000), v.y.bottomRows(2000));
    all.add(v.x, v.y);
    a.merge(b);
    CHECK(a.count() == 3000);
    CHECK(relative_difference(a.covariance(), all.covariance()) < 1e-12);
    const cca::CovarianceAccumulator empty(3, 5);
    a.merge(empty);
    CHECK(a.count() == 3000);
}

TEST_CASE("streaming reaches n far beyond an in-memory copy") {
    // Two million rows of the known-ρ construction (ρ = 1/(1 + σ²) = 0.8), generated chunk by
    // chunk and never held together; the accumulator holds (p + q)² doubles whatever n is.
    const double sigma = 0.5, rho = 1.0 / (1.0 + sigma * sigma);
    const Index chunk = 100000, chunks = 20;
    cca::CovarianceAccumulator acc(2, 2);
    for (Index c = 0; c < chunks; ++c) {
        const auto seed = static_cast<std::uint64_t>(c);
        const RowMatrix<double> z = gaussian(chunk, 2, seed, 1);
        const RowMatrix<double> x = z + sigma * gaussian(chunk, 2, seed, 2);
        const RowMatrix<double> y = z + sigma * gaussian(chunk, 2, seed, 3);
        acc.add(x, y);
    }
    const cca::CcaResult r = cca::canonical_correlations(acc.factor());
    CHECK(acc.count() == chunk * chunks);
    // Sampling error (1 − ρ²)/√n ≈ 2.5e-4.
    CHECK((r.correlations.array() - rho).abs().maxCoeff() < 2e-3);
}

TEST_CASE("bad chunks are refused and leave the accumulator unchanged") {
    cca::CovarianceAccumulator acc(2, 3);
    acc.add(gaussian(50, 2, 1), gaussian(50, 3, 2));
    const Matrix<double> before = acc.covariance();
    using Catch::Contains;
    CHECK_THROWS_WITH(acc.add(gaussian(5, 3, 1), gaussian(5, 3, 2)),
                      Contains("chunk has 3 and 3 columns, expected 2 and 3"));
    CHECK_THROWS_WITH(acc.add(gaussian(5, 2, 1), gaussian(4, 3, 2)),
                      Contains("X chunk has 5 rows and Y chunk has 4"));
    RowMatrix<double> bad = gaussian(5, 2, 1);
    bad(3, 0) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(acc.add(bad, gaussian(5, 3, 2)), Contains("X has a non-finite value"));
    acc.add(RowMatrix<double>(0, 2), RowMatrix<double>(0, 3));
    CHECK(acc.count() == 50);
    CHECK(acc.covariance() == before);
    CHECK_THROWS_WITH(cca::CovarianceAccumulator(0, 3), Contains("needs p >= 1"));
    cca::CovarianceAccumulator other(3, 2);
    CHECK_THROWS_WITH(acc.merge(other), Contains("widths 3+2 differ from 2+3"));
    CHECK_THROWS_WITH(cca::canonical_correlations(cca::CovarianceAccumulator(2, 3).factor()),
                      Contains("too few samples"));
}
