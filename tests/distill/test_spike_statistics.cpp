// Student spike statistics (rates, ISI CV, Fano factor, fraction in band) against numpy goldens
// and against a naive pooled reference over several sequences.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <jepasnn/core/json.hpp>
#include <jepasnn/core/npy.hpp>
#include <jepasnn/core/rng.hpp>
#include <jepasnn/distill/spike_statistics.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "../support/test_support.hpp"

using namespace jepasnn;

namespace {
void check_against(const Vector<double>& got, const Json& want, const char* what) {
    REQUIRE(got.size() == static_cast<Index>(want.size()));
    for (Index n = 0; n < got.size(); ++n) {
        INFO(what << " of neuron " << n);
        if (want[std::size_t(n)].is_null())
            CHECK(std::isnan(got(n)));
        else
            CHECK(got(n) == Approx(want[std::size_t(n)].get<double>()).epsilon(1e-12));
    }
}
}  // namespace

TEST_CASE("spike statistics match the numpy golden", "[distill]") {
    const RowMatrix<double> raster =
        load_npy_matrix<double>(test::test_asset("distill/spike_raster.npy"));
    const Json golden = read_json(test::test_asset("distill/spike_statistics_golden.json"));
    const distill::SpikeStatistics s = distill::raster_statistics(
        raster, golden["window"].get<Index>(), golden["dt"].get<double>());
    check_against(s.rates_hz(), golden["rates_hz"], "rate");
    check_against(s.isi_cv(), golden["isi_cv"], "ISI CV");
    check_against(s.fano_factor(), golden["fano_factor"], "Fano factor");
    CHECK(distill::fraction_in_band(s.rates_hz(), 5.0, 20.0) ==
          Approx(golden["fraction_in_band"].get<double>()).epsilon(1e-15));
}

TEST_CASE("spike statistics pool independent sequences like a naive reference",
          "[distill][tolerance]") {
    rc::prop("pooled ISI CV and Fano factor", [] {
        const Index sequences = *rc::gen::inRange<Index>(1, 4);
        const Index window = *rc::gen::inRange<Index>(1, 8);
        const Index neurons = *rc::gen::inRange<Index>(1, 4);
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint32_t>();
        std::vector<RowMatrix<int>> rasters;
        distill::SpikeStatistics s(sequences, neurons, window, 1e-3);
        for (Index q = 0; q < sequences; ++q) {
            const Index steps = *rc::gen::inRange<Index>(1, 80);
            RowMatrix<int> r(steps, neurons);
            for (Index t = 0; t < steps; ++t)
                for (Index n = 0; n < neurons; ++n) {
                    r(t, n) =
                        uniform_at(seed, std::uint64_t(q), std::uint64_t(t * neurons + n)) < 0.2;
                    if (r(t, n)) s.spike(q, t, n);
                }
            s.finish(q, steps);
            rasters.push_back(r);
        }
        const Vector<double> cv = s.isi_cv(), fano = s.fano_factor();
        for (Index n = 0; n < neurons; ++n) {
            std::vector<double> isis, counts;
            for (const RowMatrix<int>& r : rasters) {
                Index last = -1;
                for (Index t = 0; t < r.rows(); ++t)
                    if (r(t, n)) {
                        if (last >= 0) isis.push_back(double(t - last));
                        last = t;
                    }
                for (Index w = 0; w + window <= r.rows(); w += window)
                    counts.push_back(r.col(n).segment(w, window).sum());
            }
            const auto moments = [](const std::vector<double>& v) {
                double m = 0, q = 0;
                for (double x : v)
                    m += x;
                m /= double(v.size());
                for (double x : v)
                    q += (x - m) * (x - m);
                return std::pair{m, q / double(v.size())};
            };
            // The statistics keep one-pass sums: Var = E[x²] − m² loses up to 4ε·E[x²] to
            // cancellation (integer x: the sums are exact, the divisions and m² round), which
            // √ and /m carry into the CV as 4ε·E[x²]/(2m√v) and into the Fano factor as
            // 4ε·E[x²]/m. The two-pass reference sums k squared deviations, (k − 1)·ε relative
            // (Higham, Thm 3.1), halved by the √ of the CV; the final operations add a few ε.
            const double eps = std::numeric_limits<double>::epsilon();
            if (isis.size() < 2) {
                RC_ASSERT(std::isnan(cv(n)));
            } else {
                const auto [m, v] = moments(isis);
                const double want = std::sqrt(v) / m;
                const double cancellation =
                    v > 0.0 ? 4 * eps * (v + m * m) / (2 * m * std::sqrt(v)) : 0.0;
                const double reference = (double(isis.size()) / 2 + 8) * eps * want;
                RC_ASSERT(std::abs(cv(n) - want) <= cancellation + reference);
            }
            const auto [m, v] = counts.empty() ? std::pair{0.0, 0.0} : moments(counts);
            if (m == 0.0) {
                RC_ASSERT(std::isnan(fano(n)));
            } else {
                const double want = v / m;
                const double reference = (double(counts.size()) + 8) * eps * want;
                RC_ASSERT(std::abs(fano(n) - want) <= 4 * eps * (v + m * m) / m + reference);
            }
        }
    });
}

TEST_CASE("spike statistics reject bad sizes", "[distill]") {
    CHECK_THROWS_AS(distill::SpikeStatistics(0, 3, 10, 1e-3), Error);
    CHECK_THROWS_AS(distill::SpikeStatistics(1, 3, 0, 1e-3), Error);
    CHECK_THROWS_AS(distill::SpikeStatistics(1, 3, 10, 0.0), Error);
}
