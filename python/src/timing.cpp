// Timing hooks for benchmarks/python/binding_overhead.py: the C++ calls behind jepasnn.bin and
// jepasnn.cca timed inside the module, so that the script can compare them with the same calls
// made from Python (the difference is the binding's overhead). Not part of the API.
#include <jepasnn/cca/similarity_json.hpp>
#include <jepasnn/core/timer.hpp>
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/session.hpp>

#include <algorithm>
#include <vector>

#include "bindings.hpp"

namespace jepasnn::python {
namespace {

/// Median seconds of `repeats` runs of f.
template <class F>
double median_seconds(int repeats, F&& f) {
    require(repeats >= 1, "timing", "repeats must be >= 1");
    std::vector<double> s;
    for (int r = 0; r < repeats; ++r) {
        const Stopwatch watch;
        f();
        s.push_back(watch.seconds());
    }
    std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
    return s[s.size() / 2];
}

using ViewIn = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

}  // namespace

void bind_timing(nb::module_& m) {
    m.def(
        "_time_bin_session",
        [](const data::Session& s, double bin_ms, int repeats) {
            nb::gil_scoped_release release;
            const data::BinGrid grid = data::BinGrid::covering(s.extent(), bin_ms / 1000.0);
            const std::vector<std::size_t> units = data::all_units(s.units.size());
            return median_seconds(repeats, [&] {
                const data::Counts c =
                    data::bin_spikes_as(data::CountDType::narrowest, s.units, grid, units);
                (void)c;
            });
        },
        nb::arg("session"), nb::arg("bin_ms"), nb::arg("repeats"));
    m.def(
        "_time_similarity",
        [](ViewIn x, ViewIn y, int repeats) {
            nb::gil_scoped_release release;
            const Eigen::Map<const RowMatrix<double>> xm(x.data(), static_cast<Index>(x.shape(0)),
                                                         static_cast<Index>(x.shape(1)));
            const Eigen::Map<const RowMatrix<double>> ym(y.data(), static_cast<Index>(y.shape(0)),
                                                         static_cast<Index>(y.shape(1)));
            cca::NullOptions no_null;
            no_null.samples = 0;
            return median_seconds(repeats, [&] {
                const std::string doc = cca::similarity_document(xm, ym, 0.0, no_null, 0).dump();
                (void)doc;
            });
        },
        nb::arg("x"), nb::arg("y"), nb::arg("repeats"));
}

}  // namespace jepasnn::python
