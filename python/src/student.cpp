// Python binding of jepasnn/distill: the bio-constrained LIF student distilled from teacher
// latents and binned counts held in numpy, as `jepasnn distill` does from files.
#include <jepasnn/distill/distill.hpp>

#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"

namespace jepasnn::python {
namespace {

namespace distill = jepasnn::distill;

using LatentsIn = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

/// Counts (bins x units) of any of the count types, copied into the library's tensor.
template <class C>
data::Counts counts_of(const nb::ndarray<nb::ndim<2>, nb::c_contig, nb::device::cpu>& a) {
    Tensor<C, 2> t(std::array<std::size_t, 2>{a.shape(0), a.shape(1)});
    std::copy_n(static_cast<const C*>(a.data()), t.size(), t.data());
    return t;
}

data::CountSource count_source(const nb::ndarray<nb::ndim<2>, nb::c_contig, nb::device::cpu>& a) {
    if (a.dtype() == nb::dtype<std::uint8_t>())
        return data::CountSource(counts_of<std::uint8_t>(a));
    if (a.dtype() == nb::dtype<std::uint16_t>())
        return data::CountSource(counts_of<std::uint16_t>(a));
    if (a.dtype() == nb::dtype<std::int32_t>())
        return data::CountSource(counts_of<std::int32_t>(a));
    fail("Student", "counts must be uint8, uint16 or int32 (as jepasnn.bin returns them)");
}

/// A student, trained here (with the data it was trained on: the Distiller refers to it) or read
/// back from its checkpoint (the network and input gains only, the checkpoint kept to be
/// written back as it was).
struct TrainedStudent {
    using Distiller = distill::Distiller<>;
    distill::DistillConfig config;
    distill::DistillData data;
    std::unique_ptr<Distiller> distiller;             // trained here
    std::optional<Checkpoint<float>> checkpoint;      // read back
    std::optional<Distiller::Network> saved_network;  // read back
    Json metrics, history;

    Distiller::Network& network() { return distiller ? distiller->network() : *saved_network; }
};

std::unique_ptr<TrainedStudent> train(
    const std::string& config_json, LatentsIn latents,
    nb::ndarray<nb::ndim<2>, nb::c_contig, nb::device::cpu> counts, double bin_ms,
    nb::object progress) {
    auto s = std::make_unique<TrainedStudent>();
    s->config = settings_from_json_text<distill::DistillConfig>(config_json, "Student config");
    require(std::isfinite(bin_ms) && bin_ms > 0.0, "Student", "bin_ms is ", bin_ms,
            ", expected a finite value > 0");
    data::CountSource source = count_source(counts);
    RowMatrix<double> z = Eigen::Map<const RowMatrix<double>>(
        latents.data(), static_cast<Index>(latents.shape(0)), static_cast<Index>(latents.shape(1)));
    PythonProgress watch(std::move(progress));
    nb::gil_scoped_release release;
    s->data = distill::make_distill_data(std::move(source), distill::Targets(std::move(z)),
                                         s->config, bin_ms / 1000.0);
    s->distiller = std::make_unique<TrainedStudent::Distiller>(s->data, s->config);
    s->distiller->train(ProgressStyle::quiet);
    s->metrics = to_json(distill::evaluate_student(s->distiller->network(), s->data, s->config));
    s->history = s->distiller->history_json();
    return s;
}

std::unique_ptr<TrainedStudent> load(const std::filesystem::path& path) {
    require_file(path, "student checkpoint");
    auto s = std::make_unique<TrainedStudent>();
    nb::gil_scoped_release release;
    const std::string file = path.string();
    s->checkpoint = train::Loop<float>::read(path, TrainedStudent::Distiller::checkpoint_kind);
    const Json& h = s->checkpoint->header;
    s->saved_network = TrainedStudent::Distiller::saved_network(*s->checkpoint, file);
    s->config = read_settings<distill::DistillConfig>(h.at("config"), file + ": config");
    const std::vector<double> gain = json_get<std::vector<double>>(h, "input_gain", file);
    require(static_cast<Index>(gain.size()) == s->saved_network->config().inputs, file,
            "input_gain has ", gain.size(), " entries for ", s->saved_network->config().inputs,
            " inputs");
    s->data.input_gain = Eigen::Map<const Vector<double>>(gain.data(), std::ssize(gain));
    s->metrics = Json(nullptr);
    s->history = {{"steps", json_get<Json>(h, "history", file)},
                  {"monitor", json_get<Json>(h, "monitor", file)}};
    return s;
}

/// The student run over new counts (its input gains from training): readout (bins x D) and
/// each neuron's rate (Hz).
nb::tuple run(TrainedStudent& s, nb::ndarray<nb::ndim<2>, nb::c_contig, nb::device::cpu> counts) {
    distill::DistillData d;
    d.counts = count_source(counts);
    const Index inputs = s.data.input_gain.size();
    require(d.counts.units() == inputs, "Student.transform", "counts have ", d.counts.units(),
            " units, the student was trained on ", inputs);
    d.input_gain = s.data.input_gain;
    d.bin_s = s.data.bin_s;
    RowMatrix<double> readout;
    distill::SessionRun r;
    {
        nb::gil_scoped_release release;
        auto& net = s.network();
        readout.resize(d.bins(), net.config().readout_dim);
        r = distill::run_session(net, d, s.config,
                                 [&](Index first, const RowMatrix<double>& y, const auto&) {
                                     readout.middleRows(first, y.rows()) = y;
                                 });
    }
    std::vector<double> rates(r.rates_hz.data(), r.rates_hz.data() + r.rates_hz.size());
    return nb::make_tuple(to_numpy(std::move(readout)), to_numpy(std::move(rates)));
}

void save(TrainedStudent& s, const std::filesystem::path& path) {
    nb::gil_scoped_release release;
    if (s.distiller) {
        s.distiller->save_checkpoint(path);
        return;
    }
    const std::string file = path.string();
    std::vector<NamedArray<float>> arrays;  // in the order the file had them
    for (const Json& a : s.checkpoint->header.at("arrays")) {
        const auto name = json_get<std::string>(a, "name", file);
        arrays.push_back({name, s.checkpoint->array(name, file)});
    }
    write_checkpoint<float>(path, s.checkpoint->header, arrays);
}

}  // namespace

void bind_student(nb::module_& m) {
    nb::class_<TrainedStudent>(m, "_TrainedStudent")
        .def_prop_ro("metrics", [](const TrainedStudent& s) { return s.metrics.dump(); })
        .def_prop_ro("history", [](const TrainedStudent& s) { return s.history.dump(); })
        .def_prop_ro("config",
                     [](const TrainedStudent& s) { return settings_json(s.config).dump(); })
        .def_prop_ro("dale_violations",
                     [](TrainedStudent& s) { return s.network().dale_violations(); })
        .def("run", &run, nb::arg("counts"))
        .def("save", &save, nb::arg("path"));
    m.def("_train_student", &train, nb::arg("config"), nb::arg("latents"), nb::arg("counts"),
          nb::arg("bin_ms"), nb::arg("progress").none());
    m.def("_load_student", &load, nb::arg("path"));
}

}  // namespace jepasnn::python
