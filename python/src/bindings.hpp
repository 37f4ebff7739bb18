// The pieces of the Python module jepasnn._jepasnn (nanobind), one file per library module, and
// what they share: the exception for a missing file and the hand-over of C++ arrays to numpy.
#pragma once

#include <jepasnn/core/error.hpp>
#include <jepasnn/core/progress.hpp>
#include <jepasnn/core/settings.hpp>
#include <jepasnn/core/tensor.hpp>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string_view.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jepasnn::data {
struct BinSpec;
}  // namespace jepasnn::data

namespace jepasnn::python {

namespace nb = nanobind;

/// A path that names nothing: Python sees FileNotFoundError (every other jepasnn::Error is a
/// ValueError: the library throws it for bad input only).
struct MissingFile : Error {
    using Error::Error;
};

inline void require_file(const std::filesystem::path& path, std::string_view what) {
    if (!std::filesystem::exists(path))
        throw MissingFile(path.string() + ": no such " + std::string(what));
}

/// The module's one lock around the HDF5 library, which Debian builds without thread safety.
inline std::mutex& hdf5_mutex() {
    static std::mutex m;
    return m;
}

/// While alive, the GIL is released and this thread is the only one in HDF5: every long call that
/// reads or writes a file (NWB, store, checkpoint) holds one, so Python threads that bin, train
/// or read stores at once take turns inside HDF5 and compute in parallel otherwise. The GIL is
/// released before the lock is taken, so a thread holding the lock may take the GIL (progress
/// callbacks) without deadlock; construct it with the GIL held.
class FileCall {
  private:
    nb::gil_scoped_release release_;
    std::lock_guard<std::mutex> hdf5_{hdf5_mutex()};
};

/// A config sent by the package as JSON text (json.dumps of the user's keyword arguments), read
/// into the library's settings type S: unknown keys and bad values are one-line errors.
template <class S>
S settings_from_json_text(const std::string& text, std::string_view where) {
    Json doc;
    try {
        doc = Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(where, "invalid JSON (", e.what(), ")");
    }
    return read_settings<S>(doc, where);
}

/// A numpy array that owns `values` (moved to the heap, freed with the array): no copy.
template <class T, class Storage>
nb::ndarray<nb::numpy, T> to_numpy(Storage&& values, std::vector<std::size_t> shape) {
    auto* owned = new std::decay_t<Storage>(std::forward<Storage>(values));
    nb::capsule owner(owned,
                      [](void* p) noexcept { delete static_cast<std::decay_t<Storage>*>(p); });
    return nb::ndarray<nb::numpy, T>(owned->data(), shape.size(), shape.data(), owner);
}

template <class T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T> values) {
    const std::size_t n = values.size();
    return to_numpy<T>(std::move(values), {n});
}

template <class T>
nb::ndarray<nb::numpy, T> to_numpy(Tensor<T, 2> values) {
    std::vector<std::size_t> shape{values.shape(0), values.shape(1)};
    return to_numpy<T>(std::move(values), std::move(shape));
}

template <class T>
nb::ndarray<nb::numpy, T> to_numpy(RowMatrix<T> values) {
    std::vector<std::size_t> shape{static_cast<std::size_t>(values.rows()),
                                   static_cast<std::size_t>(values.cols())};
    return to_numpy<T>(std::move(values), std::move(shape));
}

/// While alive, this thread's progress bars report to `callback(label, done, total, status)`
/// (None: to nobody) and a pending Ctrl-C interrupts the run at the next update: both arrive as
/// the Python exception (KeyboardInterrupt, or whatever the callback raised), which unwinds the
/// run before any output is written. Construct and destroy it with the GIL held; the run itself
/// releases the GIL.
class PythonProgress {
  public:
    explicit PythonProgress(nb::object callback)
        : scope_([callback = std::move(callback)](std::string_view label, std::uint64_t done,
                                                  std::uint64_t total, std::string_view status) {
              nb::gil_scoped_acquire gil;
              if (PyErr_CheckSignals() != 0) throw nb::python_error();
              if (!callback.is_none()) callback(label, done, total, status);
          }) {}

  private:
    ScopedProgressObserver scope_;
};

/// A binning request as jepasnn.bin and Store.create take it (t_start and t_stop both or
/// neither; `where` names the caller in errors).
data::BinSpec bin_spec(double bin_ms, std::optional<double> t_start, std::optional<double> t_stop,
                       std::optional<std::int64_t> block, const std::optional<std::string>& state,
                       std::string qc, std::string_view where);

void bind_data(nb::module_& m);
void bind_store(nb::module_& m);
void bind_simulator(nb::module_& m);
void bind_cca(nb::module_& m);
void bind_teacher(nb::module_& m);
void bind_student(nb::module_& m);
void bind_timing(nb::module_& m);

}  // namespace jepasnn::python
