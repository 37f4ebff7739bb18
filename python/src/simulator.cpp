// Python binding of the VBN-like simulator (jepasnn/data/simulator): a cohort of NWB sessions
// with ground-truth latents, exactly as `jepasnn simulate` writes it.
#include <jepasnn/core/settings.hpp>
#include <jepasnn/data/simulator/simulate.hpp>

#include <jepasnn_build_info.hpp>

#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <optional>
#include <string>

#include "bindings.hpp"

namespace jepasnn::python {

void bind_simulator(nb::module_& m) {
    m.def(
        "_simulate",
        [](const std::filesystem::path& out, std::uint64_t seed, const std::string& profile,
           std::optional<std::size_t> sessions, std::optional<std::size_t> units,
           std::optional<double> minutes, const std::string& state_regime, bool amplitudes) {
            namespace data = jepasnn::data;
            require(profile == "default" || profile == "quick" || profile == "vbn-scale",
                    "simulate", "profile is '", profile,
                    "', expected 'default', 'quick' or 'vbn-scale'");
            data::SimulatorConfig c = profile == "quick"       ? data::SimulatorConfig::quick()
                                      : profile == "vbn-scale" ? data::SimulatorConfig::vbn_scale()
                                                               : data::SimulatorConfig{};
            if (sessions) c.sessions = *sessions;
            if (units) c.units = *units;
            if (minutes) c.minutes = *minutes;
            c.state_regime =
                enum_from_name<data::StateRegime>(state_regime, "simulate: state_regime");
            c.write_amplitudes = amplitudes;
            data::CohortOptions options;
            options.git_revision = JEPASNN_GIT_REVISION;
            FileCall call;
            return data::simulate_cohort(c, seed, out, options).dump();
        },
        nb::arg("out"), nb::arg("seed"), nb::arg("profile"), nb::arg("sessions").none(),
        nb::arg("units").none(), nb::arg("minutes").none(), nb::arg("state_regime"),
        nb::arg("amplitudes"),
        "Simulates a cohort into `out` (absent or empty); returns its manifest as JSON.");
}

}  // namespace jepasnn::python
