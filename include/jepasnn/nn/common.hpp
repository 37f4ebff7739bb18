// Vocabulary shared by the layers: activations are row-major matrices whose rows are
// (time, batch) pairs in time-major order (row = t·B + b) and whose columns are features, so a
// layer applied at every time step is one GEMM over all T·B rows and a time shift of s steps is
// a shift of s·B rows. Elementwise loops split rows across threads in static chunks.
#pragma once

#include <algorithm>
#include <cstdint>

#include "../core/config.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"

namespace jepasnn::nn {

/// A writable view of a row-major matrix (a whole matrix, a Map or a block of whole rows).
template <class T>
using MatRef = Eigen::Ref<RowMatrix<T>>;
/// A read-only view of a row-major matrix.
template <class T>
using ConstMatRef = Eigen::Ref<const RowMatrix<T>>;

namespace detail {

/// Calls body(r0, r1) on contiguous row ranges [r0, r1) that cover [0, rows), in parallel when
/// the work is large. The split depends only on (rows, thread count): deterministic.
template <class Body>
void for_row_chunks(Index rows, Index cols, Body&& body) {
    if (!worth_parallel(rows * cols, rows)) {
        body(Index{0}, rows);
        return;
    }
    const Index chunks = std::min<Index>(thread_count(), rows);
    parallel_for(0, chunks, [&](std::int64_t c) {
        const Index r0 = rows * c / chunks;
        const Index r1 = rows * (c + 1) / chunks;
        body(r0, r1);
    });
}

}  // namespace detail
}  // namespace jepasnn::nn
