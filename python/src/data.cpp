// Python bindings of jepasnn/data: Session (an NWB file read and validated by the library's
// reader) and binning (DESIGN.md's 10 ms rule) of a file, a Session or spike trains held in numpy.
#include <jepasnn/data/bin_plan.hpp>
#include <jepasnn/data/qc_report.hpp>
#include <jepasnn/data/session.hpp>

#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <variant>

#include "bindings.hpp"

namespace jepasnn::python {
namespace {

namespace data = jepasnn::data;

template <class T>
nb::object values_of(std::span<const T> v) {
    return nb::cast(to_numpy(std::vector<T>(v.begin(), v.end())));
}

nb::object booleans_of(std::span<const std::int8_t> v) {
    std::vector<std::uint8_t> b(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
        b[i] = v[i] != 0;
    const std::size_t n = b.size();
    return nb::cast(to_numpy<bool>(std::move(b), {n}));
}

/// A column as numpy: scalar numbers as one array (float64, int64 or bool), text as a list of
/// str, several values per row as a list with one array (or list) per row.
nb::object column_of(const data::Column& c) {
    auto all = [&]() -> nb::object {
        switch (c.kind()) {
            case data::ColumnKind::real:
                return values_of(c.values<double>());
            case data::ColumnKind::integer:
                return values_of(c.values<std::int64_t>());
            case data::ColumnKind::boolean:
                return booleans_of(c.values<std::int8_t>());
            default: {
                const auto v = c.values<std::string>();
                return nb::cast(std::vector<std::string>(v.begin(), v.end()));
            }
        }
    };
    if (c.is_scalar()) return all();
    nb::list rows;
    for (std::size_t r = 0; r < c.rows(); ++r) {
        const auto [first, last] = c.row_range(r);
        switch (c.kind()) {
            case data::ColumnKind::real:
                rows.append(values_of(c.values<double>().subspan(first, last - first)));
                break;
            case data::ColumnKind::integer:
                rows.append(values_of(c.values<std::int64_t>().subspan(first, last - first)));
                break;
            case data::ColumnKind::boolean:
                rows.append(booleans_of(c.values<std::int8_t>().subspan(first, last - first)));
                break;
            default: {
                const auto v = c.values<std::string>().subspan(first, last - first);
                rows.append(nb::cast(std::vector<std::string>(v.begin(), v.end())));
            }
        }
    }
    return rows;
}

nb::dict columns_of(const data::Table& t) {
    nb::dict d;
    for (const data::Column& c : t.columns())
        d[c.name().c_str()] = column_of(c);
    return d;
}

/// (counts time x units, unit ids, first bin's start in s, bin width in s).
using BinResult = std::tuple<nb::object, nb::object, double, double>;

BinResult bin_session(const data::Session& s, const data::BinSpec& spec, const std::string& dtype) {
    const data::CountDType type = data::parse_count_dtype(dtype, "bin: dtype");
    data::BinPlan plan;
    data::Counts counts;
    {
        nb::gil_scoped_release release;
        plan = data::plan_binning(s, spec, "bin: bin_ms");
        counts = data::bin_spikes_as(type, s.units, plan.grid, plan.units);
    }
    std::vector<std::int64_t> ids(plan.units.size());
    for (std::size_t j = 0; j < plan.units.size(); ++j)
        ids[j] = s.units.id(plan.units[j]);
    nb::object array = std::visit([](auto& c) { return nb::cast(to_numpy(std::move(c))); }, counts);
    return {array, nb::cast(to_numpy(std::move(ids))), plan.grid.t_start, plan.grid.bin_width};
}

/// The QC report as (the document of `jepasnn qc --json` as text, the recomputed metrics by
/// name as float64 arrays with NaN where a metric cannot be computed).
std::pair<std::string, nb::dict> qc_of(const data::QcReport& r) {
    nb::dict metrics;
    metrics["firing_rate"] = to_numpy(r.metrics.firing_rate);
    metrics["isi_violations"] = to_numpy(r.metrics.isi_violations);
    metrics["presence_ratio"] = to_numpy(r.metrics.presence_ratio);
    metrics["amplitude_cutoff"] = to_numpy(r.metrics.amplitude_cutoff);
    return {r.to_json().dump(1), metrics};
}

data::Session read_file(const std::filesystem::path& path, bool ragged_columns) {
    require_file(path, "NWB file");
    data::ReadOptions read;
    read.ragged_columns = ragged_columns;
    FileCall call;
    return data::load_session(path, read);
}

using TimesIn = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using EndsIn = nb::ndarray<const std::uint64_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using IdsIn = nb::ndarray<const std::int64_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

/// Spike trains in NWB's ragged layout (all times, each unit's end offset), validated as a file's.
data::Session session_of_trains(TimesIn times, EndsIn ends, IdsIn ids) {
    require(ids.shape(0) == ends.shape(0), "bin", ids.shape(0), " unit ids for ", ends.shape(0),
            " spike trains, expected one id per train");
    data::Session s;
    s.path = "spike trains";
    data::SpikeTimeBuffer t(times.data(), times.data() + times.shape(0));
    std::vector<std::uint64_t> e(ends.data(), ends.data() + ends.shape(0));
    std::vector<std::int64_t> i(ids.data(), ids.data() + ids.shape(0));
    nb::gil_scoped_release release;
    s.units = data::UnitTable(std::move(i), std::move(e), std::move(t), {}, {}, "spike trains");
    return s;
}

nb::ndarray<nb::numpy, const double> spike_times_of(nb::handle self, const data::Session& s,
                                                    std::size_t unit) {
    require(unit < s.units.size(), s.path, "unit ", unit, " out of range for ", s.units.size(),
            " units");
    const std::span<const double> t = s.units.spike_times(unit);
    const std::size_t n = t.size();
    return nb::ndarray<nb::numpy, const double>(t.data(), 1, &n,
                                                self);  // a view kept alive by self
}

}  // namespace

data::BinSpec bin_spec(double bin_ms, std::optional<double> t_start, std::optional<double> t_stop,
                       std::optional<std::int64_t> block, const std::optional<std::string>& state,
                       std::string qc, std::string_view where) {
    require(t_start.has_value() == t_stop.has_value(), where,
            "give t_start and t_stop together, or neither");
    data::BinSpec spec{bin_ms, {}, std::move(qc)};
    if (t_start) spec.range.range = data::TimeRange{*t_start, *t_stop};
    spec.range.block = block;
    if (state) spec.range.state = data::parse_state(*state, std::string(where) + ": state");
    return spec;
}

void bind_data(nb::module_& m) {
    nb::class_<data::Session>(m, "Session",
                              "A session file (NWB 2.x) read and validated by jepasnn's reader: "
                              "units with their spike times, interval tables, stimulus blocks "
                              "and running speed.")
        .def(
            "__init__",
            [](data::Session* self, const std::filesystem::path& path) {
                new (self) data::Session(read_file(path, true));
            },
            nb::arg("path"),
            "Reads and validates the whole file (ValueError naming what is wrong).")
        .def_ro("path", &data::Session::path)
        .def_prop_ro("identifier", [](const data::Session& s) { return s.info.identifier; })
        .def_prop_ro("session_description",
                     [](const data::Session& s) { return s.info.session_description; })
        .def_prop_ro("session_start_time",
                     [](const data::Session& s) { return s.info.session_start_time; })
        .def_prop_ro("nwb_version", [](const data::Session& s) { return s.info.nwb_version; })
        .def_prop_ro("n_units", [](const data::Session& s) { return s.units.size(); })
        .def_prop_ro(
            "unit_ids",
            [](const data::Session& s) {
                return to_numpy(
                    std::vector<std::int64_t>(s.units.ids().begin(), s.units.ids().end()));
            },
            nb::rv_policy::move, "Unit ids in file order (int64).")
        .def_prop_ro(
            "areas", [](const data::Session& s) { return s.units.locations(); },
            "Each unit's brain area (from its electrode), in file order; empty when the file has "
            "none.")
        .def_prop_ro(
            "n_spikes",
            [](const data::Session& s) {
                std::vector<std::uint64_t> n(s.units.size());
                for (std::size_t u = 0; u < n.size(); ++u)
                    n[u] = s.units.n_spikes(u);
                return to_numpy(std::move(n));
            },
            nb::rv_policy::move, "Spikes per unit (uint64).")
        .def_prop_ro(
            "units", [](const data::Session& s) { return columns_of(s.units.columns()); },
            "The units table's other columns by name, one entry per unit: numbers as numpy "
            "arrays, text as lists of str.")
        .def(
            "spike_times",
            [](nb::handle self, std::size_t unit) {
                return spike_times_of(self, nb::cast<const data::Session&>(self), unit);
            },
            nb::arg("unit"),
            "Spike times (s) of the unit at this position in file order: a read-only view, no "
            "copy.")
        .def_prop_ro(
            "intervals",
            [](const data::Session& s) {
                nb::dict d;
                for (const data::Table& t : s.intervals)
                    d[t.name().c_str()] = columns_of(t);
                return d;
            },
            "Every interval table (stimulus presentations, trials, ...) by name, as columns.")
        .def_prop_ro(
            "blocks",
            [](const data::Session& s) {
                nb::list out;
                for (const data::SessionBlock& b : s.blocks) {
                    nb::dict d;
                    d["block"] = b.block;
                    d["active"] = b.active;
                    d["start"] = b.start;
                    d["stop"] = b.stop;
                    d["tables"] = b.tables;
                    out.append(d);
                }
                return out;
            },
            "Stimulus blocks: number, active (the task) or not, start and stop (s), tables.")
        .def_prop_ro(
            "running_speed",
            [](const data::Session& s) -> nb::object {
                if (!s.running_speed) return nb::none();
                const data::TimeSeries& r = *s.running_speed;
                nb::dict d;
                d["timestamps"] = to_numpy(r.timestamps);
                d["values"] = to_numpy(r.values);
                d["unit"] = r.unit;
                d["rate"] = r.rate ? nb::cast(*r.rate) : nb::none();
                return d;
            },
            "Running speed: timestamps (s), values, unit and rate (Hz, when sampled regularly), "
            "or None.")
        .def_prop_ro(
            "extent",
            [](const data::Session& s) {
                const data::TimeRange e = s.extent();
                return std::pair{e.start, e.stop};
            },
            "[start, stop) in s covering spikes, intervals and running: binning's "
            "default range.")
        .def("__repr__", [](const data::Session& s) {
            return "<jepasnn.Session '" + s.path + "': " + std::to_string(s.units.size()) +
                   " units, " + std::to_string(s.blocks.size()) + " blocks>";
        });

    m.def(
        "_bin_session",
        [](const data::Session& s, double bin_ms, std::optional<double> t_start,
           std::optional<double> t_stop, std::optional<std::int64_t> block,
           std::optional<std::string> state, std::string qc, std::string dtype) {
            return bin_session(
                s, bin_spec(bin_ms, t_start, t_stop, block, state, std::move(qc), "bin"), dtype);
        },
        nb::arg("session"), nb::arg("bin_ms"), nb::arg("t_start").none(), nb::arg("t_stop").none(),
        nb::arg("block").none(), nb::arg("state").none(), nb::arg("qc"), nb::arg("dtype"));
    m.def(
        "_bin_file",
        [](const std::filesystem::path& path, double bin_ms, std::optional<double> t_start,
           std::optional<double> t_stop, std::optional<std::int64_t> block,
           std::optional<std::string> state, std::string qc, std::string dtype) {
            const data::BinSpec spec =
                bin_spec(bin_ms, t_start, t_stop, block, state, std::move(qc), "bin");
            return bin_session(read_file(path, false), spec, dtype);
        },
        nb::arg("path"), nb::arg("bin_ms"), nb::arg("t_start").none(), nb::arg("t_stop").none(),
        nb::arg("block").none(), nb::arg("state").none(), nb::arg("qc"), nb::arg("dtype"));
    m.def(
        "_bin_trains",
        [](TimesIn times, EndsIn ends, IdsIn ids, double bin_ms, std::optional<double> t_start,
           std::optional<double> t_stop, std::string dtype) {
            const data::BinSpec spec =
                bin_spec(bin_ms, t_start, t_stop, std::nullopt, std::nullopt, "none", "bin");
            return bin_session(session_of_trains(times, ends, ids), spec, dtype);
        },
        nb::arg("times"), nb::arg("ends"), nb::arg("ids"), nb::arg("bin_ms"),
        nb::arg("t_start").none(), nb::arg("t_stop").none(), nb::arg("dtype"));
    m.def(
        "_qc_file",
        [](const std::filesystem::path& path, const std::string& filter) {
            require_file(path, "NWB file");
            data::QcReport r;
            {
                FileCall call;
                const data::NwbFile file(path);
                r = data::qc_report(file.read_units(), filter, file.path());
            }
            return qc_of(r);
        },
        nb::arg("path"), nb::arg("filter"));
    m.def(
        "_qc_session",
        [](const data::Session& s, const std::string& filter) {
            data::QcReport r;
            {
                nb::gil_scoped_release release;
                r = data::qc_report(s.units, filter, s.path);
            }
            return qc_of(r);
        },
        nb::arg("session"), nb::arg("filter"));
}

}  // namespace jepasnn::python
