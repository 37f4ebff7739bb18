// Writing HDF5 through the C API: groups, numeric / string / bool-enum / object-reference
// datasets and attributes, and links. The NWB writer builds on it; tests use it to write
// deliberately malformed files. Every failure throws jepasnn::Error naming the file and path.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "hdf5_handle.hpp"
#include "hdf5_reader.hpp"

namespace jepasnn::data::hdf5 {

class Writer {
  public:
    /// Creates (truncates) `path`, or opens an existing file for modification.
    enum class Mode { create, modify };

    explicit Writer(const std::filesystem::path& path, Mode mode = Mode::create)
        : file_(path.string()) {
        silence_hdf5_errors();
        if (mode == Mode::create)
            handle_ =
                file_handle(H5Fcreate(file_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
        else
            handle_ = file_handle(H5Fopen(file_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
        if (!handle_.valid()) fail_hdf5(file_, "/", "cannot open the file for writing");
        // No object timestamps: the same content gives the same bytes.
        group_plist_ = plist_handle(H5Pcreate(H5P_GROUP_CREATE));
        dataset_plist_ = plist_handle(H5Pcreate(H5P_DATASET_CREATE));
        H5Pset_obj_track_times(group_plist_.get(), 0);
        H5Pset_obj_track_times(dataset_plist_.get(), 0);
    }

    const std::string& file() const { return file_; }
    hid_t id() const { return handle_.get(); }

    /// Flushes and closes; errors surface here rather than in a destructor.
    void close() {
        if (!handle_.valid()) return;
        if (H5Fflush(handle_.get(), H5F_SCOPE_GLOBAL) < 0) fail_hdf5(file_, "/", "flush failed");
        if (H5Fclose(handle_.release()) < 0) fail_hdf5(file_, "/", "close failed");
    }

    void group(std::string_view path) {
        const std::string p(path);
        Handle g = group_handle(
            H5Gcreate2(handle_.get(), p.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        if (!g.valid()) fail_hdf5(file_, p, "cannot create group");
    }

    /// Removes a link (used by tests to build malformed files).
    void remove(std::string_view path) {
        const std::string p(path);
        if (H5Ldelete(handle_.get(), p.c_str(), H5P_DEFAULT) < 0)
            fail_hdf5(file_, p, "cannot remove");
    }

    /// A soft link `link` → `target` (NWB links, e.g. an ElectrodeGroup's device).
    void soft_link(std::string_view target, std::string_view link) {
        const std::string t(target), l(link);
        if (H5Lcreate_soft(t.c_str(), handle_.get(), l.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
            fail_hdf5(file_, l, "cannot link to ", t);
    }

    /// A numeric dataset of shape `dims` (1-D of data.size() when dims is empty).
    template <class T>
    void numbers(std::string_view path, std::span<const T> data, std::vector<hsize_t> dims = {}) {
        if (dims.empty()) dims = {static_cast<hsize_t>(data.size())};
        write_dataset(path, native_type_of<T>(), native_type_of<T>(), dims, data.data());
    }

    /// A 2-D numeric dataset stored in chunks of `chunk_rows` rows × all columns, unfiltered: a
    /// read of rows [a, b) touches only the chunks those rows lie in.
    template <class T>
    void chunked_rows(std::string_view path, std::span<const T> data, hsize_t rows, hsize_t columns,
                      hsize_t chunk_rows) {
        if (rows * columns != data.size())
            fail(file_, path, ": ", data.size(), " elements written as ", rows, " x ", columns);
        const std::string p(path);
        Handle plist = plist_handle(H5Pcopy(dataset_plist_.get()));
        const hsize_t chunk[2] = {std::max<hsize_t>(1, std::min(chunk_rows, rows)),
                                  std::max<hsize_t>(1, columns)};
        if (H5Pset_chunk(plist.get(), 2, chunk) < 0)
            fail_hdf5(file_, p, "cannot set the chunk shape");
        const hsize_t dims[2] = {rows, columns};
        Handle space = space_handle(H5Screate_simple(2, dims, nullptr));
        Handle ds = dataset_handle(H5Dcreate2(handle_.get(), p.c_str(), native_type_of<T>(),
                                              space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT));
        if (!ds.valid()) fail_hdf5(file_, p, "cannot create dataset");
        if (!data.empty() &&
            H5Dwrite(ds.get(), native_type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
            fail_hdf5(file_, p, "write failed");
    }

    /// A numeric dataset stored with a different file type (e.g. uint16 index values).
    template <class T>
    void numbers_as(std::string_view path, std::span<const T> data, hid_t file_type) {
        const std::vector<hsize_t> dims{static_cast<hsize_t>(data.size())};
        write_dataset(path, file_type, native_type_of<T>(), dims, data.data());
    }

    /// Variable-length UTF-8 strings: 1-D, or scalar when `scalar` (one value).
    void strings(std::string_view path, const std::vector<std::string>& values,
                 bool scalar = false) {
        Handle type = vlen_string_type();
        std::vector<const char*> ptrs;
        for (const std::string& s : values)
            ptrs.push_back(s.c_str());
        const std::vector<hsize_t> dims =
            scalar ? std::vector<hsize_t>{} : std::vector<hsize_t>{values.size()};
        write_dataset(path, type.get(), type.get(), dims, ptrs.data());
    }

    /// Booleans as the FALSE/TRUE int8 enum that h5py and pynwb write.
    void booleans(std::string_view path, std::span<const std::int8_t> values) {
        Handle type = bool_enum_type();
        const std::vector<hsize_t> dims{values.size()};
        write_dataset(path, type.get(), type.get(), dims, values.data());
    }

    /// Object references to the given paths.
    void references(std::string_view path, const std::vector<std::string>& targets) {
        std::vector<hobj_ref_t> refs(targets.size());
        for (std::size_t i = 0; i < targets.size(); ++i)
            refs[i] = reference_to(targets[i]);
        const std::vector<hsize_t> dims{targets.size()};
        write_dataset(path, H5T_STD_REF_OBJ, H5T_STD_REF_OBJ, dims, refs.data());
    }

    void attribute(std::string_view object, std::string_view name, std::string_view value) {
        Handle type = vlen_string_type();
        const std::string v(value);
        const char* p = v.c_str();
        write_attribute(object, name, type.get(), {}, &p);
    }
    void attribute(std::string_view object, std::string_view name,
                   const std::vector<std::string>& values) {
        Handle type = vlen_string_type();
        std::vector<const char*> ptrs;
        for (const std::string& s : values)
            ptrs.push_back(s.c_str());
        write_attribute(object, name, type.get(), {values.size()}, ptrs.data());
    }
    void attribute(std::string_view object, std::string_view name, double value) {
        write_attribute(object, name, H5T_NATIVE_DOUBLE, {}, &value);
    }
    void attribute(std::string_view object, std::string_view name, std::int64_t value) {
        write_attribute(object, name, H5T_NATIVE_INT64, {}, &value);
    }
    /// An attribute holding an object reference (NWB: VectorIndex.target,
    /// DynamicTableRegion.table).
    void reference_attribute(std::string_view object, std::string_view name,
                             std::string_view target) {
        const hobj_ref_t ref = reference_to(target);
        write_attribute(object, name, H5T_STD_REF_OBJ, {}, &ref);
    }

  private:
    static Handle vlen_string_type() {
        Handle t = type_handle(H5Tcopy(H5T_C_S1));
        H5Tset_size(t.get(), H5T_VARIABLE);
        H5Tset_cset(t.get(), H5T_CSET_UTF8);
        return t;
    }
    static Handle bool_enum_type() {
        Handle t = type_handle(H5Tenum_create(H5T_STD_I8LE));
        const std::int8_t f = 0, tr = 1;
        H5Tenum_insert(t.get(), "FALSE", &f);
        H5Tenum_insert(t.get(), "TRUE", &tr);
        return t;
    }

    hobj_ref_t reference_to(std::string_view target) const {
        const std::string t(target);
        hobj_ref_t ref{};
        if (H5Rcreate(&ref, handle_.get(), t.c_str(), H5R_OBJECT, -1) < 0)
            fail_hdf5(file_, t, "cannot create an object reference");
        return ref;
    }

    void write_dataset(std::string_view path, hid_t file_type, hid_t memory_type,
                       const std::vector<hsize_t>& dims, const void* data) {
        const std::string p(path);
        Handle space = space_handle(
            dims.empty() ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
        if (!space.valid()) fail_hdf5(file_, p, "cannot create the dataspace");
        Handle ds = dataset_handle(H5Dcreate2(handle_.get(), p.c_str(), file_type, space.get(),
                                              H5P_DEFAULT, dataset_plist_.get(), H5P_DEFAULT));
        if (!ds.valid()) fail_hdf5(file_, p, "cannot create dataset");
        hsize_t n = 1;
        for (hsize_t d : dims)
            n *= d;
        if (n > 0 && H5Dwrite(ds.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
            fail_hdf5(file_, p, "write failed");
    }

    void write_attribute(std::string_view object, std::string_view name, hid_t type,
                         const std::vector<hsize_t>& dims, const void* data) {
        const std::string obj(object), n(name);
        Handle space = space_handle(
            dims.empty() ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
        if (H5Aexists_by_name(handle_.get(), obj.c_str(), n.c_str(), H5P_DEFAULT) > 0)
            H5Adelete_by_name(handle_.get(), obj.c_str(), n.c_str(), H5P_DEFAULT);
        take_hdf5_error();
        Handle attr =
            attribute_handle(H5Acreate_by_name(handle_.get(), obj.c_str(), n.c_str(), type,
                                               space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        if (!attr.valid()) fail_hdf5(file_, obj, "cannot create attribute '", n, "'");
        if (H5Awrite(attr.get(), type, data) < 0)
            fail_hdf5(file_, obj, "cannot write attribute '", n, "'");
    }

    std::string file_;
    Handle handle_;
    Handle group_plist_, dataset_plist_;
};

}  // namespace jepasnn::data::hdf5
