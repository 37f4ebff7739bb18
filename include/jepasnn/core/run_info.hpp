// What a run records about itself so that every metric can be traced to its inputs: seed, git
// revision, compiler, thread count, library version and build type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "json.hpp"
#include "threads.hpp"
#include "version.hpp"

namespace jepasnn {

inline std::string compiler_description() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("g++ ") + __VERSION__;
#else
    return "unknown compiler";
#endif
}

/// The record for a run with the given seed. The git revision comes from the caller's build
/// (the project generates JEPASNN_GIT_REVISION into jepasnn_build_info.hpp).
inline Json run_record(std::uint64_t seed, std::string_view git_revision) {
    Json j;
    j["seed"] = seed;
    j["git_revision"] = std::string(git_revision);
    j["compiler"] = compiler_description();
    j["threads"] = thread_count();
    j["jepasnn_version"] = version_string;
#if defined(NDEBUG)
    j["build"] = "release";
#else
    j["build"] = "debug";
#endif
    return j;
}

}  // namespace jepasnn
