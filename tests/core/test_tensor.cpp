#include <jepasnn/core/tensor.hpp>

#include "test_support.hpp"

TEST_CASE("tensor bridges share memory instead of copying") {
    jepasnn::Tensor<double, 2> t = xt::zeros<double>({3, 4});
    auto m = jepasnn::as_matrix(t);
    m(1, 2) = 5.0;
    CHECK(t(1, 2) == 5.0);
    CHECK(m.data() == t.data());

    jepasnn::Tensor<float, 3> w = xt::zeros<float>({2, 3, 4});
    auto s = jepasnn::as_matrix(w, 1);
    s(2, 3) = 7.0f;
    CHECK(w(1, 2, 3) == 7.0f);
    CHECK_THROWS_WITH(jepasnn::as_matrix(w, 2), Catch::Contains("slice 2 out of range"));

    jepasnn::RowMatrix<int> r = jepasnn::RowMatrix<int>::Zero(2, 5);
    auto v = jepasnn::as_tensor(r);
    v(1, 4) = 9;
    CHECK(r(1, 4) == 9);
    CHECK(v.shape(0) == 2);
    CHECK(v.shape(1) == 5);
}
