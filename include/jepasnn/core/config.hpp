// Compile-time switches shared by every header: host/device annotations for code that CUDA
// kernels reuse (RNG, surrogate gradients) and the debug-only assertion used in hot loops.
#pragma once

#if defined(__CUDACC__)
#define JEPASNN_HOST_DEVICE __host__ __device__
#else
#define JEPASNN_HOST_DEVICE
#endif

#if defined(NDEBUG)
#define JEPASNN_DEBUG_ASSERT(cond, message) ((void)0)
#else
#include <cstdio>
#include <cstdlib>
// A broken internal invariant is a bug, not bad input: report where and stop (debug builds only).
#define JEPASNN_DEBUG_ASSERT(cond, message)                                                     \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            std::fprintf(stderr, "%s:%d: internal check failed: %s (%s)\n", __FILE__, __LINE__, \
                         #cond, message);                                                       \
            std::abort();                                                                       \
        }                                                                                       \
    } while (false)
#endif
