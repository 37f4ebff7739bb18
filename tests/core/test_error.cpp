#include <jepasnn/core/error.hpp>
#include <jepasnn/core/tensor.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "test_support.hpp"

using jepasnn::Error;

TEST_CASE("fail and require name the place plus the expectation and the finding") {
    try {
        jepasnn::require_size("lif::Network::forward", "input", 37, 64, "units");
        FAIL("require_size did not throw");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "lif::Network::forward: input has 37 units, expected 64");
    }
    CHECK_NOTHROW(jepasnn::require(true, "f", "never built"));
    CHECK_THROWS_WITH(jepasnn::require(false, "f", "x = ", 3), "f: x = 3");
    CHECK_THROWS_AS(jepasnn::fail("g", "bad"), std::runtime_error);
}

TEST_CASE("require_finite reports the first non-finite entry by row and column") {
    const double data[] = {1.0, 2.0, 3.0, std::numeric_limits<double>::quiet_NaN(), 5.0, 6.0};
    CHECK_THROWS_WITH(
        jepasnn::require_finite("cca", "X", data, 6, 3),
        Catch::Contains("X has a non-finite value") && Catch::Contains("row 1, column 0"));
    CHECK_THROWS_WITH(jepasnn::require_finite("cca", "v", data, 6), Catch::Contains("at 3"));
    const int ints[] = {1, 2};
    CHECK_NOTHROW(jepasnn::require_finite("f", "ints", ints, 2));

    jepasnn::RowMatrix<double> m = jepasnn::RowMatrix<double>::Zero(3, 2);
    m(2, 1) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(jepasnn::require_finite("f", "M", m), Catch::Contains("row 2, column 1"));
    CHECK_THROWS_WITH(jepasnn::require_shape("f", "M", m, 3, 3), "f: M is 3x2, expected 3x3");
    CHECK_THROWS_WITH(jepasnn::require_shape("f", "M", m, 4, -1), "f: M is 3x2, expected 4x*");
    CHECK_NOTHROW(jepasnn::require_shape("f", "M", m, -1, 2));
}

TEST_CASE("first_outside finds the first value outside [lo, hi], NaN included, in any position") {
    rc::prop("against a scalar scan", [] {
        const auto n = *rc::gen::inRange<std::size_t>(0, 300);
        std::vector<float> x(n, 0.5f);
        const float specials[] = {-1.0f,
                                  2.0f,
                                  std::numeric_limits<float>::quiet_NaN(),
                                  std::numeric_limits<float>::infinity(),
                                  0.0f,
                                  1.0f};
        const int planted = *rc::gen::inRange(0, 4);
        for (int k = 0; k < planted && n > 0; ++k)
            x[*rc::gen::inRange<std::size_t>(0, n)] = specials[*rc::gen::inRange(0, 6)];
        std::size_t expected = n;
        for (std::size_t i = 0; i < n && expected == n; ++i)
            if (!(x[i] >= 0.0f && x[i] <= 1.0f)) expected = i;
        RC_ASSERT(jepasnn::first_outside(x.data(), n, 0.0f, 1.0f) == expected);
    });
}
