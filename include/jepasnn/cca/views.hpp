// The two representations every similarity measure compares: "views" of the same n samples, as
// row-major (samples × features) float or double data, read once and accumulated in double. This
// header holds the shared vocabulary and the checks every public entry point of jepasnn/cca runs.
#pragma once

#include <algorithm>
#include <concepts>
#include <string_view>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::cca {

/// Element types the CCA family reads. Whatever the input type, sums, factorizations and results
/// are in double.
template <class T>
concept CcaScalar = std::same_as<T, float> || std::same_as<T, double>;

/// A read-only view of row-major data (rows = samples). Binding an Eigen expression or a
/// column-major matrix evaluates it once into a temporary; a row-major matrix or block binds
/// without a copy.
template <class T>
using ConstRowRef = Eigen::Ref<const RowMatrix<T>, 0, Eigen::OuterStride<>>;

namespace detail {

template <class Derived>
constexpr void require_cca_scalar() {
    static_assert(CcaScalar<typename Derived::Scalar>,
                  "jepasnn::cca: views must hold float or double (see CcaScalar in "
                  "jepasnn/cca/views.hpp); accumulation is always in double");
}

/// Checks the shapes of a pair of views for a fit: same number of rows, at least one column each,
/// and more rows than columns in each view (n >= max(p, q) + 1: with fewer, the centred data span
/// the whole sample space and every canonical correlation is 1 whatever the data). Finiteness is
/// checked where the data are read (check_finite_pair, or inside the factorization).
template <class TX, class TY>
void check_pair(std::string_view where, const ConstRowRef<TX>& x, const ConstRowRef<TY>& y) {
    require(x.rows() == y.rows(), where, "X has ", x.rows(), " rows and Y has ", y.rows(),
            ", expected the same number of samples (rows) in both");
    require(x.cols() >= 1 && y.cols() >= 1, where, "empty view: X is ", x.rows(), "x", x.cols(),
            ", Y is ", y.rows(), "x", y.cols());
    const Index widest = std::max(x.cols(), y.cols());
    require(x.rows() >= widest + 1, where, "too few samples: ", x.rows(), " rows for ", x.cols(),
            " and ", y.cols(), " columns, expected at least ", widest + 1, " (columns + 1) rows");
}

/// NaN/Inf in either view, naming the first bad entry.
template <class TX, class TY>
void check_finite_pair(std::string_view where, const ConstRowRef<TX>& x, const ConstRowRef<TY>& y) {
    require_finite(where, "X", x);
    require_finite(where, "Y", y);
}

}  // namespace detail
}  // namespace jepasnn::cca
