// Threads: one knob (OpenMP and Eigen together) and a deterministic parallel loop. Work is split
// into static contiguous chunks, so results that are combined per index never depend on timing.
// Without OpenMP every loop runs serially, with the same results.
#pragma once

#include "eigen.hpp"

#include <cstdint>
#include <exception>
#include <mutex>

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

}  // namespace jepasnn
