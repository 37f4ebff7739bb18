// Checkpoint files: a JSON header (what the arrays are and everything needed to rebuild the run)
// followed by raw arrays of one floating type. Written atomically (temporary file + rename), so a
// crash or a failed step never leaves a half-written or corrupt checkpoint; read strictly, with
// errors that name the file.
//
// Layout: "JEPASNN_CHECKPOINT\n" | u32 version (1) | u64 header bytes | header JSON | arrays, in
// the order and sizes the header's "arrays" list gives. Integers are little-endian; the arrays'
// byte order is recorded in the header and checked on load.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "atomic_file.hpp"
#include "error.hpp"
#include "json.hpp"
#include "npy.hpp"

namespace jepasnn {

inline constexpr std::string_view checkpoint_magic = "JEPASNN_CHECKPOINT\n";
inline constexpr std::uint32_t checkpoint_version = 1;

template <class T>
struct NamedArray {
    std::string name;
    std::span<const T> data;
};

/// Writes header + arrays atomically; header["arrays"] and header["byte_order"] are filled in.
template <class T>
void write_checkpoint(const std::filesystem::path& path, Json header,
                      const std::vector<NamedArray<T>>& arrays) {
    Json list = Json::array();
    for (const auto& a : arrays)
        list.push_back(
            {{"name", a.name}, {"dtype", dtype_name(dtype_of<T>())}, {"count", a.data.size()}});
    header["arrays"] = std::move(list);
    header["byte_order"] = std::endian::native == std::endian::little ? "little" : "big";
    const std::string text = header.dump();
    write_atomically(path, [&](std::ostream& out) {
        out.write(checkpoint_magic.data(), static_cast<std::streamsize>(checkpoint_magic.size()));
        unsigned char ints[12];
        for (int i = 0; i < 4; ++i)
            ints[i] = static_cast<unsigned char>(checkpoint_version >> (8 * i));
        const std::uint64_t len = text.size();
        for (int i = 0; i < 8; ++i)
            ints[4 + i] = static_cast<unsigned char>(len >> (8 * i));
        out.write(reinterpret_cast<const char*>(ints), 12);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const auto& a : arrays)
            out.write(reinterpret_cast<const char*>(a.data.data()),
                      static_cast<std::streamsize>(a.data.size() * sizeof(T)));
    });
}

template <class T>
struct Checkpoint {
    Json header;
    std::map<std::string, std::vector<T>> arrays;

    const std::vector<T>& array(const std::string& name, std::string_view file) const {
        const auto it = arrays.find(name);
        if (it == arrays.end()) fail(file, "checkpoint has no array '", name, "'");
        return it->second;
    }
};

/// Reads a checkpoint whose arrays are of type T; any inconsistency throws Error naming the file.
template <class T>
Checkpoint<T> read_checkpoint(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(file, "cannot open checkpoint for reading");
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) fail(file, "cannot read the file size (", ec.message(), ")");
    std::string magic(checkpoint_magic.size(), '\0');
    if (!in.read(magic.data(), static_cast<std::streamsize>(magic.size())) ||
        magic != checkpoint_magic)
        fail(file, "not a jepasnn checkpoint (bad magic string)");
    unsigned char ints[12];
    if (!in.read(reinterpret_cast<char*>(ints), 12)) fail(file, "truncated checkpoint header");
    std::uint32_t version = 0;
    std::uint64_t len = 0;
    for (int i = 0; i < 4; ++i)
        version |= static_cast<std::uint32_t>(ints[i]) << (8 * i);
    for (int i = 0; i < 8; ++i)
        len |= static_cast<std::uint64_t>(ints[4 + i]) << (8 * i);
    if (version != checkpoint_version)
        fail(file, "checkpoint format version ", version, ", expected ", checkpoint_version);
    const std::uint64_t offset = checkpoint_magic.size() + 12;
    if (len > size - offset) fail(file, "truncated checkpoint header (", len, " bytes announced)");
    std::string text(len, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(len)))
        fail(file, "truncated checkpoint header");
    Checkpoint<T> ck;
    try {
        ck.header = Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(file, "checkpoint header is not valid JSON (", e.what(), ")");
    }
    const std::string order = json_get<std::string>(ck.header, "byte_order", file);
    if (order != (std::endian::native == std::endian::little ? "little" : "big"))
        fail(file, "checkpoint arrays are ", order, "-endian, this machine is not");
    const Json arrays = json_get<Json>(ck.header, "arrays", file);
    if (!arrays.is_array()) fail(file, "checkpoint header: 'arrays' is not a list");
    std::uint64_t payload = 0;
    for (const auto& a : arrays) {
        const auto dtype = json_get<std::string>(a, "dtype", file);
        if (dtype != dtype_name(dtype_of<T>()))
            fail(file, "checkpoint array '", json_get<std::string>(a, "name", file), "' is ", dtype,
                 ", expected ", dtype_name(dtype_of<T>()));
        payload += json_get<std::uint64_t>(a, "count", file) * sizeof(T);
    }
    if (offset + len + payload != size)
        fail(file, "checkpoint is ", size, " bytes, its header describes ", offset + len + payload);
    for (const auto& a : arrays) {
        std::vector<T> data(json_get<std::size_t>(a, "count", file));
        if (!in.read(reinterpret_cast<char*>(data.data()),
                     static_cast<std::streamsize>(data.size() * sizeof(T))))
            fail(file, "read error in checkpoint array '", a["name"].get<std::string>(), "'");
        ck.arrays.emplace(json_get<std::string>(a, "name", file), std::move(data));
    }
    return ck;
}

}  // namespace jepasnn
