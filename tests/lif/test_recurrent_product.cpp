// PackedRecurrent, the backward's per-step product dL/dS_{t−1} = dL/dI_t · W: against a naive
// triple loop over random shapes (N across several panel widths, any row count, padded strides),
// in float and double; it writes nothing outside the N columns of each output row, and a row's
// result does not depend on the rows multiplied with it.
#include <jepasnn/lif/recurrent_product.hpp>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <cmath>
#include <limits>

#include "lif_test_support.hpp"

namespace {

using namespace jepasnn;

template <class T>
void check_against_naive(Index rows, Index n, Index lda_pad, Index ldo_pad, std::uint64_t seed) {
    const Index lda = n + lda_pad, ldo = n + ldo_pad;
    std::vector<T> a(static_cast<std::size_t>(rows * lda)), w(static_cast<std::size_t>(n * n));
    test::fill_uniform(a.data(), a.size(), -1.0, 1.0, seed, 1);
    test::fill_uniform(w.data(), w.size(), -1.0, 1.0, seed, 2);
    const T sentinel = T(12345);
    std::vector<T> out(static_cast<std::size_t>(rows * ldo), sentinel);

    lif::PackedRecurrent<T> packed;
    packed.pack(w.data(), n);
    packed.multiply(a.data(), rows, lda, out.data(), ldo);

    const double eps = std::numeric_limits<T>::epsilon();
    for (Index r = 0; r < rows; ++r) {
        for (Index j = 0; j < n; ++j) {
            double exact = 0.0, magnitude = 0.0;  // W[i, j] at j·N + i (column-major)
            for (Index i = 0; i < n; ++i) {
                const double term = double(a[std::size_t(r * lda + i)]) * w[std::size_t(j * n + i)];
                exact += term;
                magnitude += std::abs(term);
            }
            // Recursive summation of n products: |error| <= (n + 1) ε Σ|a w| (Higham, Thm 3.1).
            RC_ASSERT(std::abs(out[std::size_t(r * ldo + j)] - exact) <=
                      double(n + 1) * eps * magnitude);
        }
        for (Index j = n; j < ldo; ++j)
            RC_ASSERT(out[std::size_t(r * ldo + j)] == sentinel);
    }
}

TEST_CASE("PackedRecurrent multiplies like a naive product (float and double)",
          "[lif][tolerance]") {
    rc::prop("float", [] {
        check_against_naive<float>(*rc::gen::inRange<Index>(1, 15), *rc::gen::inRange<Index>(1, 70),
                                   *rc::gen::inRange<Index>(0, 5), *rc::gen::inRange<Index>(0, 5),
                                   *rc::gen::arbitrary<std::uint32_t>());
    });
    rc::prop("double", [] {
        check_against_naive<double>(*rc::gen::inRange<Index>(1, 15),
                                    *rc::gen::inRange<Index>(1, 40), *rc::gen::inRange<Index>(0, 5),
                                    *rc::gen::inRange<Index>(0, 5),
                                    *rc::gen::arbitrary<std::uint32_t>());
    });
}

TEST_CASE("PackedRecurrent gives each row the same bits however the rows are grouped", "[lif]") {
    // Threads split the batch into parts, so a sequence lands in an 8- (AVX-512) or 6-, 4-, 2- or
    // 1-row block depending on the thread count; its result must not depend on which.
    const Index rows = 23, n = 512;  // blocks 8, 8, 4, 2, 1 (AVX-512) or 6, 6, 6, 4, 1
    std::vector<float> a(std::size_t(rows * n)), w(std::size_t(n * n));
    test::fill_uniform(a.data(), a.size(), -1.0, 1.0, 7, 1);
    test::fill_uniform(w.data(), w.size(), -1.0, 1.0, 7, 2);
    lif::PackedRecurrent<float> packed;
    packed.pack(w.data(), n);
    std::vector<float> together(a.size()), alone(a.size());
    packed.multiply(a.data(), rows, n, together.data(), n);
    for (Index r = 0; r < rows; ++r)
        packed.multiply(a.data() + r * n, 1, n, alone.data() + r * n, n);
    REQUIRE(together == alone);
}

}  // namespace
