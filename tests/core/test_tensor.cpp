#include <jepasnn/core/rng.hpp>
#include <jepasnn/core/tensor.hpp>

#include <rapidcheck/catch.h>

#include <cstdint>
#include <vector>

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

TEST_CASE("numeric storage is aligned so Eigen's reductions over it do not depend on the heap") {
    // Eigen splits a vectorised sum over a Map at the first packet-aligned address; over malloc's
    // 16-byte alignment the split, and the rounding, would follow the heap layout. Tensor and
    // AlignedVector start on Eigen's boundary, so a Map over them sums exactly like an Eigen-owned
    // copy wherever the allocation lands.
    const auto boundary = static_cast<std::uintptr_t>(EIGEN_MAX_ALIGN_BYTES);
    auto aligned = [&](const void* p) {
        return reinterpret_cast<std::uintptr_t>(p) % boundary == 0;
    };
    rc::prop("tensors and aligned vectors start on Eigen's boundary and sum like Eigen", [&] {
        const auto shift = *rc::gen::inRange<std::size_t>(1, 300);  // moves the heap
        const auto rows = *rc::gen::inRange<std::size_t>(1, 30);
        const auto cols = *rc::gen::inRange<std::size_t>(1, 30);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const std::vector<char> unrelated(shift);
        jepasnn::Tensor<double, 2> t = xt::zeros<double>({rows, cols});
        const std::vector<char> unrelated2(shift + 8);
        jepasnn::Tensor<float, 3> u = xt::zeros<float>({std::size_t{2}, rows, cols});
        jepasnn::AlignedVector<double> v(rows * cols);
        RC_ASSERT(aligned(t.data()));
        RC_ASSERT(aligned(u.data()));
        RC_ASSERT(aligned(v.data()));

        jepasnn::RandomStream rng(seed, 0);
        for (double& x : t)
            x = rng.normal();
        for (float& x : u)
            x = static_cast<float>(rng.normal());
        const auto map = jepasnn::as_matrix(t);
        RC_ASSERT(map.sum() == jepasnn::RowMatrix<double>(map).sum());
        RC_ASSERT(map.rowwise().sum() == jepasnn::RowMatrix<double>(map).rowwise().sum());
        const Eigen::Map<const Eigen::VectorXf> flat(u.data(),
                                                     static_cast<jepasnn::Index>(u.size()));
        RC_ASSERT(flat.sum() == Eigen::VectorXf(flat).sum());
    });
}
