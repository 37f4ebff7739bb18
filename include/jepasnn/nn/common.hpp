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

/// Below this many elements an elementwise loop runs on the calling thread: waking the
/// OpenMP team costs more than it saves.
inline constexpr Index parallel_threshold = 1 << 15;

/// True inside an OpenMP parallel region: nested loops then run serially on their thread.
inline bool in_parallel_region() {
#if defined(_OPENMP)
    return omp_in_parallel() != 0;
#else
    return false;
#endif
}

/// Calls body(r0, r1) on contiguous row ranges [r0, r1) that cover [0, rows), in parallel when
/// the work is large. The split depends only on (rows, thread count): deterministic.
template <class Body>
void for_row_chunks(Index rows, Index cols, Body&& body) {
    const int threads = thread_count();
    if (threads <= 1 || rows * cols < parallel_threshold || rows < 2 || in_parallel_region()) {
        body(Index{0}, rows);
        return;
    }
    const Index chunks = std::min<Index>(threads, rows);
    parallel_for(0, chunks, [&](std::int64_t c) {
        const Index r0 = rows * c / chunks;
        const Index r1 = rows * (c + 1) / chunks;
        body(r0, r1);
    });
}

/// parallel_for over [0, count) when the total `work` (elements touched) is large enough to pay
/// for waking the OpenMP team; a plain loop otherwise. Same results either way.
template <class Body>
void parallel_for_if_large(Index count, Index work, Body&& body) {
    if (thread_count() <= 1 || work < parallel_threshold || in_parallel_region()) {
        for (Index i = 0; i < count; ++i)
            body(i);
        return;
    }
    parallel_for(0, count, [&](std::int64_t i) { body(static_cast<Index>(i)); });
}

}  // namespace detail
}  // namespace jepasnn::nn
