// Read-only access to an HDF5 file through the C API: opening with clear errors (missing, empty,
// non-HDF5, truncated), walking groups, dataset shapes and element types, and typed reads of
// whole datasets or 1-D hyperslabs (numbers, vlen/fixed strings, bool enums, object references).
// Every failure throws jepasnn::Error naming the file and the object path.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/error.hpp"
#include "hdf5_handle.hpp"

namespace jepasnn::data::hdf5 {

/// What the elements of a dataset are, as far as a table column cares.
enum class ElementClass { integer, floating, boolean, text, reference, other };

/// Shape and element type of one dataset.
struct DatasetInfo {
    std::string path;
    std::vector<hsize_t> dims;  // empty for a scalar dataset
    ElementClass element = ElementClass::other;
    bool is_signed = true;
    bool enumerated = false;       // an HDF5 enum (integers come from read_enum)
    std::size_t element_size = 0;  // bytes per element in the file
    std::string type_name;         // "uint32", "float64", "bool enum", "vlen string", ...

    hsize_t rows() const { return dims.empty() ? 1 : dims[0]; }
    hsize_t count() const {
        hsize_t n = 1;
        for (hsize_t d : dims)
            n *= d;
        return n;
    }
};

template <class T>
hid_t native_type_of() {
    if constexpr (std::is_same_v<T, double>)
        return H5T_NATIVE_DOUBLE;
    else if constexpr (std::is_same_v<T, float>)
        return H5T_NATIVE_FLOAT;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return H5T_NATIVE_INT64;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return H5T_NATIVE_UINT64;
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return H5T_NATIVE_INT32;
    else if constexpr (std::is_same_v<T, std::int8_t>)
        return H5T_NATIVE_INT8;
    else if constexpr (std::is_same_v<T, std::uint8_t>)
        return H5T_NATIVE_UINT8;
    else if constexpr (std::is_same_v<T, std::uint16_t>)
        return H5T_NATIVE_UINT16;
    else
        static_assert(sizeof(T) == 0, "native_type_of: unsupported element type");
}

/// The dataspace of the 1-D dataset `ds` with elements [first, first + count) selected, and a
/// memory space of `count` elements: one hyperslab, so a chunked dataset touches only the
/// chunks it holds. `file` and `path` name the dataset in errors.
struct ElementSelection {
    Handle file_space, memory_space;
};
inline ElementSelection select_elements(hid_t ds, std::string_view file, std::string_view path,
                                        hsize_t first, hsize_t count) {
    ElementSelection s{space_handle(H5Dget_space(ds)),
                       space_handle(H5Screate_simple(1, &count, nullptr))};
    if (!s.file_space.valid() || !s.memory_space.valid() ||
        H5Sselect_hyperslab(s.file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr) <
            0)
        fail_hdf5(file, path, "cannot select elements ", first, "..", first + count);
    return s;
}

/// Reads elements [first, first + out.size()) of the 1-D dataset `ds` into `out`, converting
/// to T; the caller has checked that they exist.
template <class T>
void read_elements(hid_t ds, std::string_view file, std::string_view path, hsize_t first,
                   std::span<T> out) {
    const ElementSelection s = select_elements(ds, file, path, first, out.size());
    if (H5Dread(ds, native_type_of<T>(), s.memory_space.get(), s.file_space.get(), H5P_DEFAULT,
                out.data()) < 0)
        fail_hdf5(file, path, "read failed (", out.size(), " elements at ", first, ")");
}

/// An open HDF5 file (read-only).
class Reader {
  public:
    explicit Reader(const std::filesystem::path& path) : file_(path.string()) {
        silence_hdf5_errors();
        std::error_code ec;
        const auto status = std::filesystem::status(path, ec);
        if (ec || !std::filesystem::exists(status)) fail(file_, "cannot open: no such file");
        if (!std::filesystem::is_regular_file(status)) fail(file_, "cannot open: not a file");
        const auto size = std::filesystem::file_size(path, ec);
        if (ec) fail(file_, "cannot open (", ec.message(), ")");
        if (size == 0) fail(file_, "empty file (0 bytes), expected an NWB (HDF5) file");
        const htri_t is_hdf5 = H5Fis_hdf5(file_.c_str());
        if (is_hdf5 <= 0) {
            take_hdf5_error();
            fail(file_, "not an HDF5 file (no HDF5 signature), expected an NWB (HDF5) file");
        }
        Handle fapl = plist_handle(H5Pcreate(H5P_FILE_ACCESS));
        // A 32 MiB chunk cache: streaming hyperslab reads of compressed spike_times decompress
        // each chunk once even when a read ends in the middle of it.
        if (fapl.valid()) H5Pset_cache(fapl.get(), 0, 1021, 32u << 20, 0.75);
        handle_ = file_handle(
            H5Fopen(file_.c_str(), H5F_ACC_RDONLY, fapl.valid() ? fapl.get() : H5P_DEFAULT));
        if (!handle_.valid())
            fail_hdf5(file_, "/", "cannot be opened as HDF5 (truncated or damaged file?)");
    }

    const std::string& file() const { return file_; }
    hid_t id() const { return handle_.get(); }

    /// True when every component of `path` exists (H5Lexists needs the parents to exist).
    bool exists(std::string_view path) const {
        if (path == "/" || path.empty()) return true;
        std::string prefix;
        std::size_t pos = path.front() == '/' ? 1 : 0;
        while (pos <= path.size()) {
            std::size_t next = path.find('/', pos);
            if (next == std::string_view::npos) next = path.size();
            prefix = std::string(path.substr(0, next));
            const htri_t ok = H5Lexists(handle_.get(), prefix.c_str(), H5P_DEFAULT);
            if (ok <= 0) {
                take_hdf5_error();
                return false;
            }
            // The link must also resolve (a dangling soft link does not count).
            const htri_t resolves = H5Oexists_by_name(handle_.get(), prefix.c_str(), H5P_DEFAULT);
            if (resolves <= 0) {
                take_hdf5_error();
                return false;
            }
            pos = next + 1;
        }
        return true;
    }

    bool is_group(std::string_view path) const { return object_type(path) == H5O_TYPE_GROUP; }
    bool is_dataset(std::string_view path) const { return object_type(path) == H5O_TYPE_DATASET; }

    /// Names of the links in a group, in name order.
    std::vector<std::string> children(std::string_view group) const {
        Handle g = open_group(group);
        std::vector<std::string> names;
        hsize_t index = 0;
        const herr_t status = H5Literate(
            g.get(), H5_INDEX_NAME, H5_ITER_INC, &index,
            [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
                static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                return 0;
            },
            &names);
        if (status < 0) fail_hdf5(file_, group, "cannot list the group's members");
        return names;
    }

    Handle open_group(std::string_view path) const {
        const std::string p(path);
        if (!exists(p)) fail(file_, p, ": group not found");
        Handle g = group_handle(H5Gopen2(handle_.get(), p.c_str(), H5P_DEFAULT));
        if (!g.valid()) fail_hdf5(file_, p, "cannot open as a group");
        return g;
    }

    Handle open_dataset(std::string_view path) const {
        const std::string p(path);
        if (!exists(p)) fail(file_, p, ": dataset not found");
        Handle d = dataset_handle(H5Dopen2(handle_.get(), p.c_str(), H5P_DEFAULT));
        if (!d.valid()) fail_hdf5(file_, p, "cannot open as a dataset");
        return d;
    }

    DatasetInfo info(std::string_view path) const {
        Handle ds = open_dataset(path);
        return info_of(ds.get(), path);
    }

    /// Reads `out.size()` elements of a dataset starting at flat element `offset` (a 1-D
    /// hyperslab, or the whole dataset when offset is 0 and the sizes match), converting to T.
    template <class T>
    void read(std::string_view path, std::span<T> out, hsize_t offset = 0) const {
        Handle ds = open_dataset(path);
        read_from(ds.get(), path, out, offset);
    }

    template <class T>
    void read_from(hid_t ds, std::string_view path, std::span<T> out, hsize_t offset) const {
        Handle space = space_handle(H5Dget_space(ds));
        if (!space.valid()) fail_hdf5(file_, path, "cannot read the dataspace");
        const int rank = H5Sget_simple_extent_ndims(space.get());
        hsize_t total = 1;
        if (rank > 0) {
            std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
            H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
            for (hsize_t d : dims)
                total *= d;
            if (offset + out.size() > total)
                fail(file_, path, ": read of ", out.size(), " elements at ", offset,
                     " runs past the dataset's ", total, " elements");
            if (out.empty()) return;
            if (rank != 1 && (offset != 0 || out.size() != total))
                fail(file_, path, ": partial reads need a 1-D dataset, found rank ", rank);
        } else if (out.size() != 1 || offset != 0) {
            fail(file_, path, ": scalar dataset read as ", out.size(), " elements");
        }
        if (rank == 1 && (offset != 0 || out.size() != total))
            return read_elements(ds, file_, path, offset, out);
        if (H5Dread(ds, native_type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
            fail_hdf5(file_, path, "read failed (", out.size(), " elements at ", offset, ")");
    }

    /// The elements of the 1-D dataset `ds` at `points` (flat indices, any order) into `out`,
    /// one per point, converting to T, in one read.
    template <class T>
    void read_points(hid_t ds, std::string_view path, std::span<const hsize_t> points,
                     std::span<T> out) const {
        if (out.size() != points.size())
            fail(file_, path, ": ", points.size(), " points read into ", out.size(), " elements");
        if (points.empty()) return;
        const hsize_t count = points.size();
        Handle space = space_handle(H5Dget_space(ds));
        Handle memory_space = space_handle(H5Screate_simple(1, &count, nullptr));
        if (!space.valid() || !memory_space.valid() ||
            H5Sselect_elements(space.get(), H5S_SELECT_SET, points.size(), points.data()) < 0)
            fail_hdf5(file_, path, "cannot select ", count, " elements");
        if (H5Dread(ds, native_type_of<T>(), memory_space.get(), space.get(), H5P_DEFAULT,
                    out.data()) < 0)
            fail_hdf5(file_, path, "read failed (", count, " elements)");
    }

    /// Rows [first, first + n) of a 2-D dataset (all columns) into `out` (n × columns, row-major),
    /// converting to T: one hyperslab, so a chunked dataset reads only the chunks it touches.
    template <class T>
    void read_rows(hid_t ds, std::string_view path, hsize_t first, hsize_t n,
                   std::span<T> out) const {
        Handle space = space_handle(H5Dget_space(ds));
        if (!space.valid()) fail_hdf5(file_, path, "cannot read the dataspace");
        if (H5Sget_simple_extent_ndims(space.get()) != 2)
            fail(file_, path, ": row reads need a 2-D dataset");
        hsize_t dims[2] = {0, 0};
        H5Sget_simple_extent_dims(space.get(), dims, nullptr);
        if (first + n > dims[0])
            fail(file_, path, ": rows ", first, "..", first + n, " run past the dataset's ",
                 dims[0], " rows");
        if (out.size() != n * dims[1])
            fail(file_, path, ": ", n, " rows of ", dims[1], " columns read into ", out.size(),
                 " elements");
        if (out.empty()) return;
        const hsize_t start[2] = {first, 0}, count[2] = {n, dims[1]};
        if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
            fail_hdf5(file_, path, "cannot select rows ", first, "..", first + n);
        Handle memory_space = space_handle(H5Screate_simple(2, count, nullptr));
        if (H5Dread(ds, native_type_of<T>(), memory_space.get(), space.get(), H5P_DEFAULT,
                    out.data()) < 0)
            fail_hdf5(file_, path, "read failed (rows ", first, "..", first + n, ")");
    }

    /// The whole dataset as T (numbers only; HDF5 converts between numeric types).
    template <class T>
    std::vector<T> read_all(std::string_view path) const {
        Handle ds = open_dataset(path);
        const DatasetInfo in = info_of(ds.get(), path);
        if (in.element != ElementClass::integer && in.element != ElementClass::floating)
            fail(file_, path, ": holds ", in.type_name, ", expected numbers");
        std::vector<T> out(in.count());
        read_from(ds.get(), path, std::span<T>(out), 0);
        return out;
    }

    /// A string dataset (variable or fixed length, any rank) as flat strings.
    std::vector<std::string> read_strings(std::string_view path) const {
        Handle ds = open_dataset(path);
        Handle ftype = type_handle(H5Dget_type(ds.get()));
        if (H5Tget_class(ftype.get()) != H5T_STRING)
            fail(file_, path, ": holds ", info_of(ds.get(), path).type_name, ", expected strings");
        Handle space = space_handle(H5Dget_space(ds.get()));
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        return read_string_data(
            ftype.get(), static_cast<std::size_t>(n),
            [&](hid_t memtype, void* buf) {
                return H5Dread(ds.get(), memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            },
            [&](hid_t memtype, void* buf) {
                return H5Dvlen_reclaim(memtype, space.get(), H5P_DEFAULT, buf);
            },
            path);
    }

    /// A bool enum dataset (h5py/pynwb: FALSE = 0, TRUE = 1) as 0/1 bytes.
    std::vector<std::int8_t> read_bool_enum(std::string_view path) const {
        Handle ds = open_dataset(path);
        Handle ftype = type_handle(H5Dget_type(ds.get()));
        if (!is_bool_enum(ftype.get())) fail(file_, path, ": not a FALSE/TRUE enum");
        std::vector<std::int64_t> raw = read_enum_values(ds.get(), ftype.get(), path);
        std::vector<std::int8_t> out(raw.size());
        const std::int64_t true_value = enum_value(ftype.get(), "TRUE");
        const std::int64_t false_value = enum_value(ftype.get(), "FALSE");
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == true_value)
                out[i] = 1;
            else if (raw[i] == false_value)
                out[i] = 0;
            else
                fail(file_, path, ": element ", i, " holds ", raw[i],
                     ", which is neither FALSE nor TRUE");
        }
        return out;
    }

    /// A non-bool enum dataset as its integer values.
    std::vector<std::int64_t> read_enum(std::string_view path) const {
        Handle ds = open_dataset(path);
        Handle ftype = type_handle(H5Dget_type(ds.get()));
        return read_enum_values(ds.get(), ftype.get(), path);
    }

    /// An object-reference dataset as the paths of the referenced objects.
    std::vector<std::string> read_references(std::string_view path) const {
        Handle ds = open_dataset(path);
        Handle ftype = type_handle(H5Dget_type(ds.get()));
        if (H5Tequal(ftype.get(), H5T_STD_REF_OBJ) <= 0)
            fail(file_, path, ": holds ", info_of(ds.get(), path).type_name,
                 ", expected object references");
        Handle space = space_handle(H5Dget_space(ds.get()));
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        std::vector<hobj_ref_t> refs(static_cast<std::size_t>(n));
        if (n > 0 &&
            H5Dread(ds.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data()) < 0)
            fail_hdf5(file_, path, "cannot read object references");
        std::vector<std::string> out;
        out.reserve(refs.size());
        std::map<hobj_ref_t, std::string> cache;
        for (std::size_t i = 0; i < refs.size(); ++i) {
            auto [it, fresh] = cache.try_emplace(refs[i]);
            if (fresh) {
                Handle obj =
                    object_handle(H5Rdereference2(ds.get(), H5P_DEFAULT, H5R_OBJECT, &refs[i]));
                if (!obj.valid())
                    fail_hdf5(file_, path, "element ", i, " is a dangling object reference");
                it->second = object_name(obj.get());
            }
            out.push_back(it->second);
        }
        return out;
    }

    /// A string attribute of an object (scalar or the first element of an array), if present.
    std::optional<std::string> attribute_string(std::string_view object,
                                                std::string_view name) const {
        std::vector<std::string> values = attribute_strings(object, name);
        if (values.empty()) return std::nullopt;
        return values.front();
    }

    /// A string attribute (scalar or array) as a list; empty when the attribute is absent or not
    /// a string.
    std::vector<std::string> attribute_strings(std::string_view object,
                                               std::string_view name) const {
        Handle attr = open_attribute(object, name);
        if (!attr.valid()) return {};
        Handle ftype = type_handle(H5Aget_type(attr.get()));
        if (H5Tget_class(ftype.get()) != H5T_STRING) return {};
        Handle space = space_handle(H5Aget_space(attr.get()));
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        const std::string where = std::string(object) + "@" + std::string(name);
        return read_string_data(
            ftype.get(), static_cast<std::size_t>(n),
            [&](hid_t memtype, void* buf) { return H5Aread(attr.get(), memtype, buf); },
            [&](hid_t memtype, void* buf) {
                return H5Dvlen_reclaim(memtype, space.get(), H5P_DEFAULT, buf);
            },
            where);
    }

    /// A numeric scalar attribute, if present.
    std::optional<double> attribute_number(std::string_view object, std::string_view name) const {
        Handle attr = open_attribute(object, name);
        if (!attr.valid()) return std::nullopt;
        Handle ftype = type_handle(H5Aget_type(attr.get()));
        const H5T_class_t cls = H5Tget_class(ftype.get());
        if (cls != H5T_INTEGER && cls != H5T_FLOAT) return std::nullopt;
        double value = 0.0;
        if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value) < 0)
            fail_hdf5(file_, object, "cannot read attribute '", name, "'");
        return value;
    }

    /// A scalar integer attribute read exactly as int64 (a double holds only 53 bits), if present.
    std::optional<std::int64_t> attribute_integer(std::string_view object,
                                                  std::string_view name) const {
        Handle attr = open_attribute(object, name);
        if (!attr.valid()) return std::nullopt;
        Handle ftype = type_handle(H5Aget_type(attr.get()));
        if (H5Tget_class(ftype.get()) != H5T_INTEGER) return std::nullopt;
        std::int64_t value = 0;
        if (H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0)
            fail_hdf5(file_, object, "cannot read attribute '", name, "'");
        return value;
    }

    /// A scalar (or one-element) string dataset such as /identifier, if present.
    std::optional<std::string> scalar_string(std::string_view path) const {
        if (!exists(path) || !is_dataset(path)) return std::nullopt;
        if (info(path).element != ElementClass::text) return std::nullopt;
        std::vector<std::string> v = read_strings(path);
        if (v.empty()) return std::nullopt;
        return v.front();
    }

  private:
    H5O_type_t object_type(std::string_view path) const {
        const std::string p(path);
        if (!exists(p)) return H5O_TYPE_UNKNOWN;
        H5O_info_t oinfo;
        if (H5Oget_info_by_name(handle_.get(), p.c_str(), &oinfo, H5P_DEFAULT) < 0) {
            take_hdf5_error();
            return H5O_TYPE_UNKNOWN;
        }
        return oinfo.type;
    }

    Handle open_attribute(std::string_view object, std::string_view name) const {
        const std::string obj(object), attr(name);
        if (!exists(obj)) return {};
        const htri_t has = H5Aexists_by_name(handle_.get(), obj.c_str(), attr.c_str(), H5P_DEFAULT);
        if (has <= 0) {
            take_hdf5_error();
            return {};
        }
        Handle a = attribute_handle(
            H5Aopen_by_name(handle_.get(), obj.c_str(), attr.c_str(), H5P_DEFAULT, H5P_DEFAULT));
        if (!a.valid()) fail_hdf5(file_, obj, "cannot open attribute '", attr, "'");
        return a;
    }

    static std::string object_name(hid_t obj) {
        const ssize_t len = H5Iget_name(obj, nullptr, 0);
        if (len <= 0) return {};
        std::string name(static_cast<std::size_t>(len), '\0');
        H5Iget_name(obj, name.data(), static_cast<std::size_t>(len) + 1);
        return name;
    }

    static bool is_bool_enum(hid_t ftype) {
        if (H5Tget_class(ftype) != H5T_ENUM || H5Tget_nmembers(ftype) != 2) return false;
        for (unsigned m = 0; m < 2; ++m) {
            char* raw = H5Tget_member_name(ftype, m);
            if (raw == nullptr) return false;
            std::string name(raw);
            H5free_memory(raw);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            if (name != "TRUE" && name != "FALSE") return false;
        }
        return true;
    }

    // The value of a member, case-insensitively ("TRUE" / "True").
    std::int64_t enum_value(hid_t ftype, const char* wanted) const {
        Handle base = type_handle(H5Tget_super(ftype));
        const std::size_t size = H5Tget_size(base.get());
        const bool is_signed = H5Tget_sign(base.get()) == H5T_SGN_2;
        const int n = H5Tget_nmembers(ftype);
        for (int m = 0; m < n; ++m) {
            char* raw = H5Tget_member_name(ftype, static_cast<unsigned>(m));
            std::string name(raw != nullptr ? raw : "");
            if (raw != nullptr) H5free_memory(raw);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            if (name != wanted) continue;
            unsigned char bytes[16] = {};
            H5Tget_member_value(ftype, static_cast<unsigned>(m), bytes);
            return widen(bytes, size, is_signed);
        }
        return -1;
    }

    static std::int64_t widen(const unsigned char* bytes, std::size_t size, bool is_signed) {
        switch (size) {
            case 1: {
                std::int8_t s;
                std::uint8_t u;
                std::memcpy(&s, bytes, 1);
                std::memcpy(&u, bytes, 1);
                return is_signed ? s : u;
            }
            case 2: {
                std::int16_t s;
                std::uint16_t u;
                std::memcpy(&s, bytes, 2);
                std::memcpy(&u, bytes, 2);
                return is_signed ? s : u;
            }
            case 4: {
                std::int32_t s;
                std::uint32_t u;
                std::memcpy(&s, bytes, 4);
                std::memcpy(&u, bytes, 4);
                return is_signed ? s : static_cast<std::int64_t>(u);
            }
            default: {
                std::int64_t s;
                std::memcpy(&s, bytes, 8);
                return s;
            }
        }
    }

    // HDF5 converts enums only to enums: read with the native enum type, then widen the bytes.
    std::vector<std::int64_t> read_enum_values(hid_t ds, hid_t ftype, std::string_view path) const {
        Handle memtype = type_handle(H5Tget_native_type(ftype, H5T_DIR_ASCEND));
        Handle base = type_handle(H5Tget_super(ftype));
        if (!memtype.valid() || !base.valid()) fail_hdf5(file_, path, "unreadable enum type");
        const std::size_t size = H5Tget_size(memtype.get());
        const bool is_signed = H5Tget_sign(base.get()) == H5T_SGN_2;
        if (size > 8) fail(file_, path, ": enum of ", size, " bytes is not supported");
        Handle space = space_handle(H5Dget_space(ds));
        const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
        std::vector<unsigned char> raw(n * size);
        if (n > 0 && H5Dread(ds, memtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
            fail_hdf5(file_, path, "cannot read enum values");
        std::vector<std::int64_t> out(n);
        for (std::size_t i = 0; i < n; ++i)
            out[i] = widen(raw.data() + i * size, size, is_signed);
        return out;
    }

    template <class Read, class Reclaim>
    std::vector<std::string> read_string_data(hid_t ftype, std::size_t n, Read&& read,
                                              Reclaim&& reclaim, std::string_view where) const {
        std::vector<std::string> out;
        out.reserve(n);
        if (n == 0) return out;
        if (H5Tis_variable_str(ftype) > 0) {
            Handle memtype = type_handle(H5Tcopy(H5T_C_S1));
            H5Tset_size(memtype.get(), H5T_VARIABLE);
            H5Tset_cset(memtype.get(), H5Tget_cset(ftype));
            std::vector<char*> buf(n, nullptr);
            if (read(memtype.get(), buf.data()) < 0) fail_hdf5(file_, where, "cannot read strings");
            for (char* s : buf)
                out.emplace_back(s != nullptr ? s : "");
            reclaim(memtype.get(), buf.data());
            return out;
        }
        const std::size_t len = H5Tget_size(ftype);
        Handle memtype = type_handle(H5Tcopy(ftype));
        std::vector<char> buf(n * len + 1, '\0');
        if (read(memtype.get(), buf.data()) < 0) fail_hdf5(file_, where, "cannot read strings");
        const bool space_padded = H5Tget_strpad(ftype) == H5T_STR_SPACEPAD;
        for (std::size_t i = 0; i < n; ++i) {
            std::string s(buf.data() + i * len, len);
            const std::size_t nul = s.find('\0');
            if (nul != std::string::npos) s.resize(nul);
            if (space_padded)
                while (!s.empty() && s.back() == ' ')
                    s.pop_back();
            out.push_back(std::move(s));
        }
        return out;
    }

    DatasetInfo info_of(hid_t ds, std::string_view path) const {
        DatasetInfo in;
        in.path = std::string(path);
        Handle space = space_handle(H5Dget_space(ds));
        if (!space.valid()) fail_hdf5(file_, path, "cannot read the dataspace");
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (rank < 0) fail_hdf5(file_, path, "cannot read the dataspace");
        in.dims.resize(static_cast<std::size_t>(rank));
        if (rank > 0) H5Sget_simple_extent_dims(space.get(), in.dims.data(), nullptr);
        Handle ftype = type_handle(H5Dget_type(ds));
        if (!ftype.valid()) fail_hdf5(file_, path, "cannot read the element type");
        in.element_size = H5Tget_size(ftype.get());
        switch (H5Tget_class(ftype.get())) {
            case H5T_INTEGER:
                in.element = ElementClass::integer;
                in.is_signed = H5Tget_sign(ftype.get()) == H5T_SGN_2;
                in.type_name =
                    (in.is_signed ? "int" : "uint") + std::to_string(8 * in.element_size);
                break;
            case H5T_FLOAT:
                in.element = ElementClass::floating;
                in.type_name = "float" + std::to_string(8 * in.element_size);
                break;
            case H5T_ENUM:
                if (is_bool_enum(ftype.get())) {
                    in.element = ElementClass::boolean;
                    in.type_name = "bool enum";
                } else {
                    in.element = ElementClass::integer;
                    in.enumerated = true;
                    in.type_name = "enum";
                }
                break;
            case H5T_STRING:
                in.element = ElementClass::text;
                in.type_name =
                    H5Tis_variable_str(ftype.get()) > 0 ? "vlen string" : "fixed-length string";
                break;
            case H5T_REFERENCE:
                if (H5Tequal(ftype.get(), H5T_STD_REF_OBJ) > 0) {
                    in.element = ElementClass::reference;
                    in.type_name = "object reference";
                } else {
                    in.type_name = "region reference";
                }
                break;
            case H5T_COMPOUND:
                in.type_name = "compound";
                break;
            case H5T_VLEN:
                in.type_name = "variable-length sequence";
                break;
            case H5T_ARRAY:
                in.type_name = "array";
                break;
            default:
                in.type_name = "unsupported type";
                break;
        }
        return in;
    }

    std::string file_;
    Handle handle_;
};

}  // namespace jepasnn::data::hdf5
