// Threads: one knob (OpenMP and Eigen together) and a deterministic parallel loop. Work is split
// into static contiguous chunks, so results that are combined per index never depend on timing.
// Without OpenMP every loop runs serially, with the same results.
#pragma once

#include "eigen.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "error.hpp"

namespace jepasnn {

/// Threads that parallel loops and Eigen will use.
inline int thread_count() {
#if defined(_OPENMP)
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/// Sets the thread count for OpenMP loops and Eigen's own parallel products.
inline void set_thread_count(int n) {
    require(n >= 1, "set_thread_count", "thread count must be >= 1, found ", n);
#if defined(_OPENMP)
    omp_set_num_threads(n);
#endif
    Eigen::setNbThreads(n);
}

/// Calls body(i) for i in [begin, end) on all threads, in static contiguous chunks. The first
/// exception thrown by any iteration is rethrown on the calling thread after the loop.
template <class Body>
void parallel_for(std::int64_t begin, std::int64_t end, Body&& body) {
    if (end <= begin) return;
#if defined(_OPENMP)
    std::exception_ptr error;
    std::mutex error_mutex;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = begin; i < end; ++i) {
        try {
            body(i);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!error) error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
#else
    for (std::int64_t i = begin; i < end; ++i)
        body(i);
#endif
}

/// True inside an OpenMP parallel region: nested loops then run serially on their thread.
inline bool in_parallel_region() {
#if defined(_OPENMP)
    return omp_in_parallel() != 0;
#else
    return false;
#endif
}

/// Below this many scalar operations a parallel region costs more than it saves (and, on a busy
/// machine, a barrier can wait for a descheduled thread): such loops run on the calling thread.
inline constexpr std::int64_t min_parallel_work = std::int64_t{1} << 16;

/// Whether a loop of `work` scalar operations over `count` items is worth the thread team.
inline bool worth_parallel(std::int64_t work, std::int64_t count) {
    return count >= 2 && work >= min_parallel_work && thread_count() > 1 && !in_parallel_region();
}

/// parallel_for over [begin, end) when worth_parallel(work, end − begin), a plain loop on the
/// calling thread otherwise. Each body(i) must write only its own outputs: results are then the
/// same either way.
template <class Body>
void parallel_for_if_large(std::int64_t work, std::int64_t begin, std::int64_t end, Body&& body) {
    if (worth_parallel(work, end - begin)) {
        parallel_for(begin, end, std::forward<Body>(body));
        return;
    }
    for (std::int64_t i = begin; i < end; ++i)
        body(i);
}

/// first_outside(x, n, lo, hi) with the scan split across threads for long arrays (the
/// smallest index found wins, so the answer is the same).
template <class T>
std::size_t parallel_first_outside(const T* x, std::size_t n, T lo, T hi) {
    const auto size = static_cast<std::int64_t>(n);
    const std::int64_t parts = worth_parallel(size, size) ? thread_count() : 1;
    std::vector<std::size_t> first(static_cast<std::size_t>(parts), n);
    parallel_for_if_large(size, 0, parts, [&](std::int64_t p) {
        const auto begin = static_cast<std::size_t>(size * p / parts);
        const auto end = static_cast<std::size_t>(size * (p + 1) / parts);
        first[static_cast<std::size_t>(p)] = begin + first_outside(x + begin, end - begin, lo, hi);
        if (first[static_cast<std::size_t>(p)] == end) first[static_cast<std::size_t>(p)] = n;
    });
    return *std::min_element(first.begin(), first.end());
}

}  // namespace jepasnn
