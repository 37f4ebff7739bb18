// Eigen, included by every jepasnn header through this one file, so that one GCC false positive is
// silenced exactly around it and nowhere else.
//
// GCC 12.1–12.2 (Debian 12's g++) warns inside its own AVX-512 intrinsics, whose
// `_mm512_undefined_*()` / `_mm256_undefined_*()` pass a deliberately self-initialised `__Y = __Y`
// as the unused merge operand, whenever they are inlined into Eigen's packet code under
// -march=x86-64-v4 or an AVX-512 -march=native: -Wmaybe-uninitialized (e.g. the 512→256 extract
// in gemm_pack_rhs) and -Wuninitialized (e.g. _mm512_min_pd in pexp_double). GCC bug 105593, fixed
// in GCC 12.3 and 13. Both warnings belong to lines of the intrinsics headers, which are first read
// here (Eigen pulls in <immintrin.h>), so ignoring those two diagnostics for the span of these
// includes silences them in every function they are inlined into and leaves them on for all of our
// own code (tests/packaging/check_includes.cmake keeps every other header off these includes).
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 105593 (see above)
#pragma GCC diagnostic ignored "-Wuninitialized"        // GCC bug 105593 (see above)
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>  // first read here, inside the span (data/binning.hpp uses it directly)
#endif
#include <Eigen/Dense>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
