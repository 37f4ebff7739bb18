// Tensor vocabulary: Eigen for dense linear algebra and model math, xtensor for N-d data
// (time × units, windows × time × units), with zero-copy bridges where the two meet.
// Data arrays are row-major (rows = samples/time bins), matching .npy C order and xtensor.
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include "eigen.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "error.hpp"

namespace jepasnn {

using Index = Eigen::Index;

/// Rows (bins) that a streamed pass over a recording reads or processes at a time: the z-score
/// fit, the student's training means, encoding, the affine fits of the evaluation. It bounds
/// their memory; a pass that sums rows adds them in the same order whatever its value, except
/// the centred Gram of eval::fit_affine (a fixed value keeps that reproducible).
inline constexpr Index stream_block_rows = 4096;

/// Column-major matrix (Eigen's default), for linear-algebra internals.
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
/// Row-major matrix: data with rows = samples, and every matrix that crosses an .npy/xtensor
/// boundary.
template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

/// Heap storage aligned like Eigen's own matrices (EIGEN_MAX_ALIGN_BYTES). Eigen's vectorised
/// reductions over a Map start their packets at the first aligned address, so over malloc's
/// 16-byte-aligned memory the split of a sum, and hence its rounding, would depend on the heap
/// layout (on argument and path lengths). Every numeric buffer the library maps is aligned, so a
/// seed reproduces a result bitwise whatever the process around it.
template <class T>
using AlignedVector = std::vector<T, Eigen::aligned_allocator<T>>;

/// Fixed-rank row-major N-d array, in aligned storage (see AlignedVector).
template <class T, std::size_t N>
using Tensor = xt::xtensor<T, N, xt::layout_type::row_major, Eigen::aligned_allocator<T>>;

/// View a (rows × cols) xtensor as an Eigen matrix without copying.
template <class T>
Eigen::Map<RowMatrix<T>> as_matrix(Tensor<T, 2>& t) {
    return {t.data(), static_cast<Index>(t.shape(0)), static_cast<Index>(t.shape(1))};
}
template <class T>
Eigen::Map<const RowMatrix<T>> as_matrix(const Tensor<T, 2>& t) {
    return {t.data(), static_cast<Index>(t.shape(0)), static_cast<Index>(t.shape(1))};
}

/// View slice i of a (n × rows × cols) tensor as a (rows × cols) Eigen matrix without copying.
template <class T>
Eigen::Map<RowMatrix<T>> as_matrix(Tensor<T, 3>& t, std::size_t i) {
    require(i < t.shape(0), "as_matrix", "slice ", i, " out of range for ", t.shape(0), " slices");
    const std::size_t stride = t.shape(1) * t.shape(2);
    return {t.data() + i * stride, static_cast<Index>(t.shape(1)), static_cast<Index>(t.shape(2))};
}
template <class T>
Eigen::Map<const RowMatrix<T>> as_matrix(const Tensor<T, 3>& t, std::size_t i) {
    require(i < t.shape(0), "as_matrix", "slice ", i, " out of range for ", t.shape(0), " slices");
    const std::size_t stride = t.shape(1) * t.shape(2);
    return {t.data() + i * stride, static_cast<Index>(t.shape(1)), static_cast<Index>(t.shape(2))};
}

/// View a row-major Eigen matrix as a 2-D xtensor expression without copying. The matrix must
/// outlive the view.
template <class T>
auto as_tensor(RowMatrix<T>& m) {
    const std::array<std::size_t, 2> shape{static_cast<std::size_t>(m.rows()),
                                           static_cast<std::size_t>(m.cols())};
    return xt::adapt(m.data(), static_cast<std::size_t>(m.size()), xt::no_ownership(), shape);
}

/// "<where>: <what> has R×C, expected r×c" (a negative expectation means "any").
template <class Derived>
void require_shape(std::string_view where, std::string_view what,
                   const Eigen::DenseBase<Derived>& m, Index rows, Index cols) {
    const bool rows_ok = rows < 0 || m.rows() == rows;
    const bool cols_ok = cols < 0 || m.cols() == cols;
    if (!(rows_ok && cols_ok)) [[unlikely]] {
        auto dim = [](Index d) { return d < 0 ? std::string("*") : std::to_string(d); };
        fail(where, what, " is ", m.rows(), "x", m.cols(), ", expected ", dim(rows), "x",
             dim(cols));
    }
}

/// NaN/Inf check naming the first bad (row, column) of an Eigen matrix or vector.
template <class Derived>
void require_finite(std::string_view where, std::string_view what,
                    const Eigen::DenseBase<Derived>& m) {
    if constexpr (std::is_floating_point_v<typename Derived::Scalar>) {
        for (Index r = 0; r < m.rows(); ++r)
            for (Index c = 0; c < m.cols(); ++c)
                if (!std::isfinite(m(r, c))) [[unlikely]]
                    fail(where, what, " has a non-finite value (", m(r, c), ") at row ", r,
                         ", column ", c);
    }
}

}  // namespace jepasnn
