// A file's identity for caches derived from it: size, modification time and CRC-32 of every byte
// (zlib's crc32_z, the checksum of gzip and PNG). A derived file records the identity of its
// source; a source whose size and time still match is taken as unchanged without reading it, and
// one whose time moved (a copy) is read once to compare the checksum.
#pragma once

#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "error.hpp"

namespace jepasnn {

/// Size, modification time (ns since the epoch of the file clock) and CRC-32 of a file.
struct FileIdentity {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint32_t crc32 = 0;
};

namespace detail {
inline std::int64_t mtime_ns(const std::filesystem::path& path) {
    std::error_code ec;
    const auto t = std::filesystem::last_write_time(path, ec);
    if (ec) fail(path.string(), "cannot read the modification time (", ec.message(), ")");
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

inline std::uint64_t file_size(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) fail(path.string(), "cannot read the file size (", ec.message(), ")");
    return size;
}
}  // namespace detail

/// CRC-32 of every byte of the file, read in 4 MiB blocks.
inline std::uint32_t file_crc32(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path.string(), "cannot open for reading (", std::strerror(errno), ")");
    std::vector<char> block(std::size_t{4} << 20);
    uLong crc = crc32_z(0L, Z_NULL, 0);
    while (in) {
        in.read(block.data(), static_cast<std::streamsize>(block.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        crc = crc32_z(crc, reinterpret_cast<const Bytef*>(block.data()), got);
    }
    if (in.bad()) fail(path.string(), "read error while computing its checksum");
    return static_cast<std::uint32_t>(crc);
}

inline FileIdentity file_identity(const std::filesystem::path& path) {
    return {detail::file_size(path), detail::mtime_ns(path), file_crc32(path)};
}

/// Whether `path` still holds the bytes `recorded` describes: a different size never does; the
/// same size and time are taken as the same file without reading it; otherwise the checksum
/// decides.
inline bool same_file_content(const std::filesystem::path& path, const FileIdentity& recorded) {
    if (detail::file_size(path) != recorded.size) return false;
    if (detail::mtime_ns(path) == recorded.mtime_ns) return true;
    return file_crc32(path) == recorded.crc32;
}

}  // namespace jepasnn
