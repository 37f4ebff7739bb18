// Python binding of jepasnn/data's binned store: written once from an NWB file (streamed, in
// bounded memory, exactly as `jepasnn bin --store` writes it) and read a window of bins at a time.
#include <jepasnn/data/bin_plan.hpp>
#include <jepasnn/data/binned_store.hpp>

#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"

namespace jepasnn::python {
namespace {

namespace data = jepasnn::data;

/// An open store: opened, read and closed under the module's HDF5 lock.
class Store {
  public:
    explicit Store(const std::filesystem::path& path) {
        require_file(path, "binned store");
        FileCall call;
        store_ = std::make_unique<data::BinnedStore>(path);
    }
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;
    ~Store() {  // nanobind destroys it with the GIL held
        nb::gil_scoped_release release;
        const std::lock_guard<std::mutex> hdf5(hdf5_mutex());
        store_.reset();
    }

    const data::BinnedStore& get() const { return *store_; }

    /// Bins [first, first + n) of every unit, in the stored count type.
    nb::object read(std::size_t first, std::size_t n) const {
        data::Counts counts;
        {
            FileCall call;
            counts = store_->read_stored(first, n);
        }
        return std::visit([](auto& c) { return nb::cast(to_numpy(std::move(c))); }, counts);
    }

  private:
    std::unique_ptr<data::BinnedStore> store_;
};

/// Bins an NWB file into a store at `path`, streamed from the file a column group at a time.
std::unique_ptr<Store> create(const std::filesystem::path& nwb, const std::filesystem::path& path,
                              double bin_ms, std::optional<double> t_start,
                              std::optional<double> t_stop, std::optional<std::int64_t> block,
                              std::optional<std::string> state, const std::string& qc,
                              const std::string& dtype) {
    const data::BinSpec spec = bin_spec(bin_ms, t_start, t_stop, block, state, qc, "Store.create");
    const data::CountDType type = data::parse_count_dtype(dtype, "Store.create: dtype");
    require_file(nwb, "NWB file");
    {
        FileCall call;
        data::ReadOptions read;
        read.ragged_columns = false;
        const data::NwbFile file(nwb);
        const data::Session s = data::load_session_metadata(file, read);
        const data::BinPlan plan = data::plan_binning(s, spec, "Store.create: bin_ms");
        data::bin_file_to_store(path, data::StoreHeader::of(s, nwb, plan.grid, plan.units, qc),
                                file, type);
    }
    return std::make_unique<Store>(path);
}

}  // namespace

void bind_store(nb::module_& m) {
    using Status = data::BinnedStore::SourceStatus;
    nb::class_<Store>(m, "_Store")
        .def(nb::init<const std::filesystem::path&>(), nb::arg("path"))
        .def_prop_ro("path", [](const Store& s) { return s.get().path(); })
        .def_prop_ro("n_bins", [](const Store& s) { return s.get().bins(); })
        .def_prop_ro("n_units", [](const Store& s) { return s.get().units(); })
        .def_prop_ro("dtype", [](const Store& s) { return s.get().dtype(); })
        .def_prop_ro("t_start", [](const Store& s) { return s.get().header().grid.t_start; })
        .def_prop_ro("bin_width", [](const Store& s) { return s.get().header().grid.bin_width; })
        .def_prop_ro(
            "unit_ids", [](const Store& s) { return to_numpy(s.get().header().unit_ids); },
            nb::rv_policy::move)
        .def_prop_ro(
            "unit_rows", [](const Store& s) { return to_numpy(s.get().header().unit_rows); },
            nb::rv_policy::move)
        .def_prop_ro(
            "states", [](const Store& s) { return to_numpy(s.get().header().state); },
            nb::rv_policy::move)
        .def_prop_ro("qc", [](const Store& s) { return s.get().header().qc; })
        .def_prop_ro("source", [](const Store& s) { return s.get().header().source.string(); })
        .def_prop_ro("source_identifier",
                     [](const Store& s) { return s.get().header().source_identifier; })
        .def("read", &Store::read, nb::arg("first"), nb::arg("n"))
        .def(
            "source_status",
            [](const Store& s, const std::filesystem::path& nwb) {
                Status status;
                {
                    nb::gil_scoped_release release;  // a checksum of the whole file
                    status = s.get().source_status(nwb);
                }
                return std::string(enum_name(status));
            },
            nb::arg("nwb"))
        .def(
            "check_source",
            [](const Store& s, const std::filesystem::path& nwb) {
                nb::gil_scoped_release release;
                s.get().check_source(nwb);
            },
            nb::arg("nwb"));
    m.def("_create_store", &create, nb::arg("nwb"), nb::arg("path"), nb::arg("bin_ms"),
          nb::arg("t_start").none(), nb::arg("t_stop").none(), nb::arg("block").none(),
          nb::arg("state").none(), nb::arg("qc"), nb::arg("dtype"));
}

}  // namespace jepasnn::python
