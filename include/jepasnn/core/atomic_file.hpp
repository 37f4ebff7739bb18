// Atomic file output: write a temporary sibling, flush it to disk, then rename over the target.
// Readers never see a half-written file, and a failed write (bad input discovered mid-way, full
// disk, exception) leaves nothing behind: the rule for every file the library and CLI produce.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "error.hpp"

namespace jepasnn {

namespace detail {
inline std::filesystem::path temporary_sibling(const std::filesystem::path& target) {
    static std::atomic<unsigned> serial{0};
    std::filesystem::path tmp = target;
    tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
    return tmp;
}

inline void fsync_path(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
    }
}
}  // namespace detail

/// Calls fill(temporary path) to write a whole file beside `path` (through any API: streams,
/// HDF5), then renames it to `path`. On any exception the temporary file is removed and `path`
/// is left as it was.
template <class Fill>
void replace_atomically(const std::filesystem::path& path, Fill&& fill) {
    namespace fs = std::filesystem;
    const fs::path tmp = detail::temporary_sibling(path);
    try {
        std::forward<Fill>(fill)(tmp);
        detail::fsync_path(tmp);
        std::error_code ec;
        fs::rename(tmp, path, ec);
        if (ec)
            fail(path.string(), "cannot move the finished file into place (", ec.message(), ")");
    } catch (...) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw;
    }
}

/// Calls writer(std::ostream&) on a temporary file beside `path`, then renames it to `path`.
/// Throws Error naming the path if the file cannot be created or written; on any exception the
/// temporary file is removed and `path` is left as it was.
template <class Writer>
void write_atomically(const std::filesystem::path& path, Writer&& writer) {
    replace_atomically(path, [&](const std::filesystem::path& tmp) {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail(path.string(), "cannot create file (", std::strerror(errno), ")");
        std::forward<Writer>(writer)(out);
        out.flush();
        if (!out) fail(path.string(), "write failed (", std::strerror(errno), ")");
    });
}

}  // namespace jepasnn
