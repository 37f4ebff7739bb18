// Helpers for the eval tests: the scikit-learn golden document and JSON → Eigen conversions.
#pragma once

#include <jepasnn/core/json.hpp>

#include <cstdint>
#include <vector>

#include "test_support.hpp"

namespace jepasnn::test {

inline const jepasnn::Json& sklearn_reference() {
    static const jepasnn::Json doc = jepasnn::read_json(test_asset("eval/sklearn_reference.json"));
    return doc;
}

inline jepasnn::RowMatrix<double> mat(const jepasnn::Json& j) {
    return jepasnn::matrix_from_json<double>(j, "golden");
}
inline jepasnn::RowVector<double> row(const jepasnn::Json& j) {
    return jepasnn::vector_from_json<double>(j, "golden").transpose();
}
inline std::vector<std::int64_t> labels(const jepasnn::Json& j) {
    return j.get<std::vector<std::int64_t>>();
}

template <class A, class B>
double max_diff(const A& a, const B& b) {
    REQUIRE(a.rows() == b.rows());
    REQUIRE(a.cols() == b.cols());
    return (a - b).cwiseAbs().maxCoeff();
}

}  // namespace jepasnn::test
