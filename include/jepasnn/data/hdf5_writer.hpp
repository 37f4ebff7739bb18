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

    /// A scalar numeric dataset.
    template <class T>
    void scalar(std::string_view path, T value) {
        write_dataset(path, native_type_of<T>(), native_type_of<T>(), {}, &value);
    }

    /// An empty 2-D numeric dataset stored unfiltered in chunks of chunk_rows × chunk_columns
    /// (a read of rows [a, b) touches only the chunks those rows lie in), to be filled by
    /// write_columns.
    template <class T>
    Handle chunked_matrix(std::string_view path, hsize_t rows, hsize_t columns, hsize_t chunk_rows,
                          hsize_t chunk_columns) {
        const std::string p(path);
        Handle plist = plist_handle(H5Pcopy(dataset_plist_.get()));
        const hsize_t chunk[2] = {
            std::clamp<hsize_t>(chunk_rows, 1, std::max<hsize_t>(1, rows)),
            std::clamp<hsize_t>(chunk_columns, 1, std::max<hsize_t>(1, columns))};
        if (H5Pset_chunk(plist.get(), 2, chunk) < 0)
            fail_hdf5(file_, p, "cannot set the chunk shape");
        const hsize_t dims[2] = {rows, columns};
        Handle space = space_handle(H5Screate_simple(2, dims, nullptr));
        Handle ds = dataset_handle(H5Dcreate2(handle_.get(), p.c_str(), native_type_of<T>(),
                                              space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT));
        if (!ds.valid()) fail_hdf5(file_, p, "cannot create dataset");
        return ds;
    }

    /// Writes every row of the dataset's columns [first, first + n) from `data`, a row-major
    /// array of the dataset's rows × data_columns whose columns [data_first, data_first + n)
    /// hold them.
    template <class T>
    void write_columns(hid_t ds, std::string_view path, hsize_t first, hsize_t n,
                       std::span<const T> data, hsize_t data_columns, hsize_t data_first) {
        Handle space = space_handle(H5Dget_space(ds));
        hsize_t dims[2] = {0, 0};
        if (!space.valid() || H5Sget_simple_extent_ndims(space.get()) != 2)
            fail(file_, path, ": column writes need a 2-D dataset");
        H5Sget_simple_extent_dims(space.get(), dims, nullptr);
        if (first + n > dims[1] || data_first + n > data_columns ||
            data.size() != dims[0] * data_columns)
            fail(file_, path, ": columns ", first, "..", first + n, " of ", dims[0], " x ", dims[1],
                 " written from columns ", data_first, "..", data_first + n, " of ", data.size(),
                 " elements in rows of ", data_columns);
        if (n == 0 || dims[0] == 0) return;
        const hsize_t start[2] = {0, first}, count[2] = {dims[0], n};
        const hsize_t memory_dims[2] = {dims[0], data_columns}, memory_start[2] = {0, data_first};
        Handle memory_space = space_handle(H5Screate_simple(2, memory_dims, nullptr));
        if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
            H5Sselect_hyperslab(memory_space.get(), H5S_SELECT_SET, memory_start, nullptr, count,
                                nullptr) < 0)
            fail_hdf5(file_, path, "cannot select columns ", first, "..", first + n);
        if (H5Dwrite(ds, native_type_of<T>(), memory_space.get(), space.get(), H5P_DEFAULT,
                     data.data()) < 0)
            fail_hdf5(file_, path, "write failed (columns ", first, "..", first + n, ")");
    }

    /// An empty 1-D numeric dataset that grows as append() adds to its end, stored unfiltered in
    /// chunks of `chunk` elements.
    template <class T>
    Handle growing_vector(std::string_view path, hsize_t chunk) {
        const std::string p(path);
        Handle plist = plist_handle(H5Pcopy(dataset_plist_.get()));
        const hsize_t chunk_elements = std::max<hsize_t>(1, chunk);
        if (H5Pset_chunk(plist.get(), 1, &chunk_elements) < 0)
            fail_hdf5(file_, p, "cannot set the chunk shape");
        const hsize_t size = 0, max_size = H5S_UNLIMITED;
        Handle space = space_handle(H5Screate_simple(1, &size, &max_size));
        Handle ds = dataset_handle(H5Dcreate2(handle_.get(), p.c_str(), native_type_of<T>(),
                                              space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT));
        if (!ds.valid()) fail_hdf5(file_, p, "cannot create dataset");
        return ds;
    }

    /// Appends `data` to a dataset made by growing_vector.
    template <class T>
    void append(hid_t ds, std::string_view path, std::span<const T> data) {
        const hsize_t size = length_of(ds, path), count = data.size();
        if (count == 0) return;
        const hsize_t grown = size + count;
        if (H5Dset_extent(ds, &grown) < 0)
            fail_hdf5(file_, path, "cannot grow to ", grown, " elements");
        const ElementSelection s = select_elements(ds, file_, path, size, count);
        if (H5Dwrite(ds, native_type_of<T>(), s.memory_space.get(), s.file_space.get(), H5P_DEFAULT,
                     data.data()) < 0)
            fail_hdf5(file_, path, "write failed (elements ", size, "..", grown, ")");
    }

    /// Reads elements [first, first + out.size()) of a 1-D dataset back from the file being
    /// written.
    template <class T>
    void read_back(hid_t ds, std::string_view path, hsize_t first, std::span<T> out) const {
        const hsize_t count = out.size(), size = length_of(ds, path);
        if (first + count > size)
            fail(file_, path, ": elements ", first, "..", first + count, " run past its ", size);
        if (count > 0) read_elements(ds, file_, path, first, out);
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

    /// The length of a 1-D dataset.
    hsize_t length_of(hid_t ds, std::string_view path) const {
        Handle space = space_handle(H5Dget_space(ds));
        hsize_t size = 0;
        if (!space.valid() || H5Sget_simple_extent_ndims(space.get()) != 1)
            fail(file_, path, ": expected a 1-D dataset");
        H5Sget_simple_extent_dims(space.get(), &size, nullptr);
        return size;
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
