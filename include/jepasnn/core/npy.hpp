// NumPy .npy files (format versions 1.0, 2.0 and 3.0; see numpy.lib.format): the exchange
// format of the CLI and the paper drivers. Loading is strict: the element type must be exactly
// the one asked for (a float32 file is not silently read as float64), the header must parse, and
// the payload must be exactly as long as the shape says. Fortran-ordered and big-endian files are
// converted to C order and native byte order. Writing is atomic (atomic_file.hpp).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "atomic_file.hpp"
#include "error.hpp"
#include "tensor.hpp"

namespace jepasnn {

/// Element types we read and write, by their NumPy names.
enum class DType {
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    bool_
};

inline std::string_view dtype_name(DType d) {
    constexpr std::array<std::string_view, 11> names{"float32", "float64", "int8",  "int16",
                                                     "int32",   "int64",   "uint8", "uint16",
                                                     "uint32",  "uint64",  "bool"};
    return names[static_cast<std::size_t>(d)];
}

inline std::size_t dtype_size(DType d) {
    switch (d) {
        case DType::int8:
        case DType::uint8:
        case DType::bool_:
            return 1;
        case DType::int16:
        case DType::uint16:
            return 2;
        case DType::float32:
        case DType::int32:
        case DType::uint32:
            return 4;
        default:
            return 8;
    }
}

/// The DType of a C++ element type, at compile time.
template <class T>
constexpr DType dtype_of() {
    if constexpr (std::is_same_v<T, float>)
        return DType::float32;
    else if constexpr (std::is_same_v<T, double>)
        return DType::float64;
    else if constexpr (std::is_same_v<T, bool>)
        return DType::bool_;
    else if constexpr (std::is_same_v<T, std::int8_t>)
        return DType::int8;
    else if constexpr (std::is_same_v<T, std::int16_t>)
        return DType::int16;
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return DType::int32;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return DType::int64;
    else if constexpr (std::is_same_v<T, std::uint8_t>)
        return DType::uint8;
    else if constexpr (std::is_same_v<T, std::uint16_t>)
        return DType::uint16;
    else if constexpr (std::is_same_v<T, std::uint32_t>)
        return DType::uint32;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return DType::uint64;
    else
        static_assert(sizeof(T) == 0,
                      "npy: unsupported element type (use float, double, bool "
                      "or a fixed-width integer)");
}

/// What an .npy header says.
struct NpyHeader {
    DType dtype = DType::float64;
    bool big_endian = false;
    bool fortran_order = false;
    std::vector<std::size_t> shape;
    std::size_t data_offset = 0;  // bytes from the start of the file to the payload

    std::size_t element_count() const {
        std::size_t n = 1;
        for (std::size_t d : shape)
            n *= d;
        return n;
    }
};

namespace detail {

inline DType parse_descr(std::string_view descr, bool& big_endian, const std::string& file) {
    auto bad = [&] {
        fail(file, "unsupported .npy dtype '", descr,
             "' (supported: float32/64, int8-64, uint8-64, bool; no structured types)");
    };
    if (descr.size() < 3) bad();
    const char order = descr[0];
    const std::string_view code = descr.substr(1);
    if (order != '<' && order != '>' && order != '|' && order != '=') bad();
    big_endian = order == '>';
    struct Known {
        std::string_view code;
        DType dtype;
    };
    constexpr std::array<Known, 11> known{{{"f4", DType::float32},
                                           {"f8", DType::float64},
                                           {"i1", DType::int8},
                                           {"i2", DType::int16},
                                           {"i4", DType::int32},
                                           {"i8", DType::int64},
                                           {"u1", DType::uint8},
                                           {"u2", DType::uint16},
                                           {"u4", DType::uint32},
                                           {"u8", DType::uint64},
                                           {"b1", DType::bool_}}};
    for (const auto& k : known)
        if (k.code == code) {
            if (order == '|' && dtype_size(k.dtype) != 1) bad();
            return k.dtype;
        }
    bad();
    return DType::float64;  // unreachable
}

/// The text after `'key':` in a header dict, or fails naming the key.
inline std::string_view header_value(std::string_view dict, std::string_view key,
                                     const std::string& file) {
    std::string quoted(1, '\'');  // appends: GCC 12 warns falsely (-Wrestrict) on "'" + string
    quoted.append(key).push_back('\'');
    const std::size_t at = dict.find(quoted);
    if (at == std::string_view::npos) fail(file, ".npy header has no '", key, "' entry");
    std::size_t i = at + quoted.size();
    while (i < dict.size() && dict[i] == ' ')
        ++i;
    if (i >= dict.size() || dict[i] != ':') fail(file, ".npy header: malformed '", key, "' entry");
    ++i;
    while (i < dict.size() && dict[i] == ' ')
        ++i;
    return dict.substr(i);
}

inline NpyHeader parse_npy_header(std::istream& in, std::uint64_t file_size,
                                  const std::string& file) {
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        fail(file, "not an .npy file (bad magic string)");
    const int major = static_cast<unsigned char>(magic[6]);
    if (major < 1 || major > 3) fail(file, "unsupported .npy format version ", major, ".x");
    std::uint64_t header_len = 0;
    std::size_t prefix = 0;
    if (major == 1) {
        unsigned char len[2];
        if (!in.read(reinterpret_cast<char*>(len), 2)) fail(file, "truncated .npy header");
        header_len = len[0] | (len[1] << 8);
        prefix = 10;
    } else {
        unsigned char len[4];
        if (!in.read(reinterpret_cast<char*>(len), 4)) fail(file, "truncated .npy header");
        header_len = std::uint64_t{len[0]} | (std::uint64_t{len[1]} << 8) |
                     (std::uint64_t{len[2]} << 16) | (std::uint64_t{len[3]} << 24);
        prefix = 12;
    }
    if (prefix + header_len > file_size)
        fail(file, "truncated .npy header (", header_len, " header bytes announced, file has ",
             file_size, " bytes)");
    std::string dict(header_len, '\0');
    if (!in.read(dict.data(), static_cast<std::streamsize>(header_len)))
        fail(file, "truncated .npy header");

    NpyHeader h;
    h.data_offset = prefix + header_len;

    std::string_view descr = header_value(dict, "descr", file);
    if (descr.empty() || descr[0] != '\'')
        fail(file, ".npy header: 'descr' is not a plain dtype string");
    const std::size_t end = descr.find('\'', 1);
    if (end == std::string_view::npos) fail(file, ".npy header: unterminated 'descr'");
    h.dtype = parse_descr(descr.substr(1, end - 1), h.big_endian, file);

    const std::string_view order = header_value(dict, "fortran_order", file);
    if (order.starts_with("True"))
        h.fortran_order = true;
    else if (order.starts_with("False"))
        h.fortran_order = false;
    else
        fail(file, ".npy header: 'fortran_order' is neither True nor False");

    std::string_view shape = header_value(dict, "shape", file);
    if (shape.empty() || shape[0] != '(') fail(file, ".npy header: 'shape' is not a tuple");
    const std::size_t close = shape.find(')');
    if (close == std::string_view::npos) fail(file, ".npy header: unterminated 'shape'");
    std::string_view dims = shape.substr(1, close - 1);
    std::size_t total = 1;
    while (!dims.empty()) {
        while (!dims.empty() && (dims[0] == ' ' || dims[0] == ','))
            dims.remove_prefix(1);
        if (dims.empty()) break;
        std::size_t value = 0, digits = 0;
        while (digits < dims.size() && dims[digits] >= '0' && dims[digits] <= '9') {
            const std::size_t digit = static_cast<std::size_t>(dims[digits] - '0');
            if (value > (std::numeric_limits<std::size_t>::max() - digit) / 10)
                fail(file, ".npy header: dimension too large");
            value = value * 10 + digit;
            ++digits;
        }
        // Python 2 era writers append 'L' to longs.
        if (digits == 0)
            fail(file, ".npy header: malformed 'shape' ", std::string(shape.substr(0, close + 1)));
        dims.remove_prefix(digits);
        if (!dims.empty() && dims[0] == 'L') dims.remove_prefix(1);
        if (value != 0 && total > std::numeric_limits<std::size_t>::max() / value)
            fail(file, ".npy header: shape overflows");
        total *= value;
        h.shape.push_back(value);
    }
    if (total > std::numeric_limits<std::size_t>::max() / dtype_size(h.dtype))
        fail(file, ".npy header: shape overflows");
    return h;
}

template <class T>
void byteswap_inplace(std::span<T> values) {
    if constexpr (sizeof(T) > 1) {
        for (T& v : values) {
            auto* bytes = reinterpret_cast<unsigned char*>(&v);
            std::reverse(bytes, bytes + sizeof(T));
        }
    }
}

inline std::string shape_string(std::span<const std::size_t> shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

inline std::string descr_of(DType d) {
    constexpr std::array<std::string_view, 11> codes{"f4", "f8", "i1", "i2", "i4", "i8",
                                                     "u1", "u2", "u4", "u8", "b1"};
    std::string descr(1, dtype_size(d) == 1 ? '|' : '<');
    descr.append(codes[static_cast<std::size_t>(d)]);  // appends: GCC 12 warns falsely
    return descr;                                      // (-Wrestrict) on char-string + string
}

}  // namespace detail

/// Reads and validates only the header (dtype, order, shape, payload length) of an .npy file.
inline NpyHeader read_npy_header(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) fail(file, "cannot open (", ec.message(), ")");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(file, "cannot open for reading");
    NpyHeader h = detail::parse_npy_header(in, size, file);
    const std::uint64_t payload =
        static_cast<std::uint64_t>(h.element_count()) * dtype_size(h.dtype);
    if (h.data_offset + payload > size)
        fail(file, "truncated .npy payload: shape ", detail::shape_string(h.shape), " of ",
             dtype_name(h.dtype), " needs ", payload, " bytes, file has ", size - h.data_offset);
    if (h.data_offset + payload < size)
        fail(file, ".npy file has ", size - h.data_offset - payload,
             " unexpected bytes after the payload");
    return h;
}

/// How elements of type T are held in memory: bool as one byte (0 or 1), since std::vector<bool>
/// is not contiguous.
template <class T>
using npy_storage_t = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;

/// A loaded array: its shape and its elements in C (row-major) order.
template <class T>
struct NpyArray {
    std::vector<std::size_t> shape;
    std::vector<npy_storage_t<T>> data;
};

/// Loads an .npy file whose dtype is exactly T; converts Fortran order and big-endian data.
template <class T>
NpyArray<T> load_npy(const std::filesystem::path& path) {
    const std::string file = path.string();
    const NpyHeader h = read_npy_header(path);
    constexpr DType want = dtype_of<T>();
    if (h.dtype != want)
        fail(file, "expected dtype ", dtype_name(want), " ('", detail::descr_of(want), "'), found ",
             dtype_name(h.dtype));
    NpyArray<T> out;
    out.shape = h.shape;
    out.data.resize(h.element_count());
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(h.data_offset));
    using S = npy_storage_t<T>;
    if (!in.read(reinterpret_cast<char*>(out.data.data()),
                 static_cast<std::streamsize>(out.data.size() * sizeof(S))))
        fail(file, "read error in the .npy payload");
    if constexpr (std::is_same_v<T, bool>) {
        for (std::size_t i = 0; i < out.data.size(); ++i)
            if (out.data[i] > 1)
                fail(file, "bool element ", i, " holds byte value ", int(out.data[i]));
    }
    if (h.big_endian != (std::endian::native == std::endian::big))
        detail::byteswap_inplace(std::span<S>(out.data));
    if (h.fortran_order && h.shape.size() > 1) {
        // Column-major → row-major: the element at multi-index (i0..ik) sits at Fortran offset
        // Σ i_j · Π_{l<j} n_l.
        std::vector<S> c_order(out.data.size());
        const std::size_t rank = h.shape.size();
        std::vector<std::size_t> index(rank, 0), f_stride(rank, 1);
        for (std::size_t j = 1; j < rank; ++j)
            f_stride[j] = f_stride[j - 1] * h.shape[j - 1];
        for (std::size_t flat = 0; flat < c_order.size(); ++flat) {
            std::size_t f = 0;
            for (std::size_t j = 0; j < rank; ++j)
                f += index[j] * f_stride[j];
            c_order[flat] = out.data[f];
            for (std::size_t j = rank; j-- > 0;) {
                if (++index[j] < h.shape[j]) break;
                index[j] = 0;
            }
        }
        out.data.swap(c_order);
    }
    return out;
}

/// Loads a 2-D .npy of dtype T as a row-major matrix (rows = samples).
template <class T>
requires(!std::is_same_v<T, bool>) RowMatrix<T> load_npy_matrix(const std::filesystem::path& path) {
    NpyArray<T> a = load_npy<T>(path);
    if (a.shape.size() != 2)
        fail(path.string(), "expected a 2-D array, found shape ", detail::shape_string(a.shape));
    RowMatrix<T> m(static_cast<Index>(a.shape[0]), static_cast<Index>(a.shape[1]));
    std::copy(a.data.begin(), a.data.end(), m.data());
    return m;
}

/// Writes a C-ordered array of the given shape (format 1.0, atomic).
template <class T>
void save_npy(const std::filesystem::path& path, const T* data,
              std::span<const std::size_t> shape) {
    std::size_t n = 1;
    for (std::size_t d : shape)
        n *= d;
    std::string dict = "{'descr': '" + detail::descr_of(dtype_of<T>()) +
                       "', 'fortran_order': False, 'shape': " + detail::shape_string(shape) + ", }";
    // Pad with spaces so that the payload starts on a 64-byte boundary; end with a newline.
    const std::size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict.push_back('\n');
    if (dict.size() > 65535) fail(path.string(), "array rank too large for an .npy 1.0 header");
    write_atomically(path, [&](std::ostream& out) {
        const unsigned char prefix[10] = {0x93,
                                          'N',
                                          'U',
                                          'M',
                                          'P',
                                          'Y',
                                          1,
                                          0,
                                          static_cast<unsigned char>(dict.size() & 0xff),
                                          static_cast<unsigned char>(dict.size() >> 8)};
        out.write(reinterpret_cast<const char*>(prefix), 10);
        out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(T)));
    });
}

/// Writes any Eigen dense matrix or vector as a 2-D (rows × cols) C-ordered array.
template <class Derived>
void save_npy(const std::filesystem::path& path, const Eigen::DenseBase<Derived>& m) {
    using T = typename Derived::Scalar;
    const std::array<std::size_t, 2> shape{static_cast<std::size_t>(m.rows()),
                                           static_cast<std::size_t>(m.cols())};
    if constexpr (std::is_same_v<Derived, RowMatrix<T>>) {  // already C-ordered: no copy
        save_npy(path, m.derived().data(), std::span<const std::size_t>(shape));
    } else {
        const RowMatrix<T> row_major = m;  // evaluates expressions, converts column-major storage
        save_npy(path, row_major.data(), std::span<const std::size_t>(shape));
    }
}

/// Writes a 1-D array.
template <class T>
void save_npy(const std::filesystem::path& path, const std::vector<T>& v) {
    const std::array<std::size_t, 1> shape{v.size()};
    save_npy(path, v.data(), std::span<const std::size_t>(shape));
}

/// Writes an xtensor array (any rank) in C order.
template <class T, std::size_t N>
void save_npy(const std::filesystem::path& path, const Tensor<T, N>& t) {
    const std::array<std::size_t, N> shape = t.shape();
    save_npy(path, t.data(), std::span<const std::size_t>(shape));
}

}  // namespace jepasnn
