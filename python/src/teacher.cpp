// Python binding of jepasnn/teacher: train the LeJEPA teacher from a config (the keys of
// `jepasnn train-teacher`'s JSON), keep it in memory, embed sessions with it, save it as the
// CLI's teacher.ckpt and load one.
#include <jepasnn/core/checkpoint.hpp>
#include <jepasnn/teacher/pipeline.hpp>

#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bindings.hpp"

namespace jepasnn::python {
namespace {

namespace teacher = jepasnn::teacher;

/// A trained teacher: the checkpoint's header and parameters (what teacher.ckpt holds), the
/// training's metrics (null for a loaded checkpoint) and the sessions' latents until taken.
struct TrainedTeacher {
    Json header;
    std::vector<float> parameters;
    Json metrics;
    std::vector<teacher::SessionLatents> latents;
};

TrainedTeacher train(const std::string& config_json, nb::object progress) {
    teacher::TeacherConfig config =
        settings_from_json_text<teacher::TeacherConfig>(config_json, "Teacher config");
    config.resolve_paths(std::filesystem::current_path());
    PythonProgress watch(std::move(progress));
    FileCall call;
    const auto sessions = teacher::load_teacher_sessions(config.data);
    teacher::TeacherResult r = teacher::train_teacher(config, sessions);
    return {std::move(r.checkpoint_header), std::move(r.parameters), std::move(r.metrics),
            std::move(r.latents)};
}

TrainedTeacher load(const std::filesystem::path& path) {
    require_file(path, "teacher checkpoint");
    nb::gil_scoped_release release;
    Checkpoint<float> ck = teacher::read_teacher_checkpoint(path);
    std::vector<float> parameters = ck.array("parameters", path.string());
    return {std::move(ck.header), std::move(parameters), Json(nullptr), {}};
}

}  // namespace

void bind_teacher(nb::module_& m) {
    nb::class_<TrainedTeacher>(m, "_TrainedTeacher")
        .def_prop_ro("metrics", [](const TrainedTeacher& t) { return t.metrics.dump(); })
        .def_prop_ro("config", [](const TrainedTeacher& t) { return t.header.at("config").dump(); })
        .def_prop_ro("sessions",
                     [](const TrainedTeacher& t) { return t.header.at("sessions").dump(); })
        .def_prop_ro(
            "parameters", [](const TrainedTeacher& t) { return to_numpy(t.parameters); },
            nb::rv_policy::move)
        .def("take_latents",
             [](TrainedTeacher& t) {
                 nb::list out;
                 for (teacher::SessionLatents& s : t.latents)
                     out.append(nb::make_tuple(s.name, s.heldout, to_numpy(std::move(s.z))));
                 t.latents.clear();
                 return out;
             })
        .def("save",
             [](const TrainedTeacher& t, const std::filesystem::path& path) {
                 nb::gil_scoped_release release;
                 write_checkpoint<float>(path, t.header,
                                         {{"parameters", std::span<const float>(t.parameters)}});
             })
        .def(
            "embed",
            [](const TrainedTeacher& t, const std::filesystem::path& nwb, nb::object progress) {
                require_file(nwb, "NWB file");
                PythonProgress watch(std::move(progress));
                teacher::EmbedResult e;
                {
                    FileCall call;
                    e = teacher::embed_session(t.header, t.parameters, nwb, "teacher");
                }
                return nb::make_tuple(to_numpy(std::move(e.latents)), e.session, e.fitted_readin,
                                      e.grid.t_start, e.grid.bin_width);
            },
            nb::arg("nwb"), nb::arg("progress").none());
    m.def("_train_teacher", &train, nb::arg("config"), nb::arg("progress").none());
    m.def("_load_teacher", &load, nb::arg("path"));
}

}  // namespace jepasnn::python
