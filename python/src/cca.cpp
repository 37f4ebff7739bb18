// Python binding of jepasnn/cca: every similarity measure between two views, as the document of
// the CLI contract (`jepasnn cca --json`), which the package turns into a result object.
#include <jepasnn/cca/similarity_json.hpp>

#include <nanobind/stl/string.h>

#include <string>

#include "bindings.hpp"

namespace jepasnn::python {
namespace {

/// Rows = samples, float64, C order: numpy's default layout crosses without a copy; any other
/// array is converted once by nanobind.
using ViewIn = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

Eigen::Map<const RowMatrix<double>> as_rows(const ViewIn& a) {
    return {a.data(), static_cast<Index>(a.shape(0)), static_cast<Index>(a.shape(1))};
}

}  // namespace

void bind_cca(nb::module_& m) {
    m.def(
        "_similarity",
        [](ViewIn x, ViewIn y, double ridge, Index null_samples, const std::string& null_kind,
           Index min_shift, std::uint64_t seed, Index folds) {
            namespace cca = jepasnn::cca;
            require(null_kind == "permutation" || null_kind == "circular_shift", "cca",
                    "null_kind is '", null_kind, "', expected 'permutation' or 'circular_shift'");
            require(null_samples >= 0 && min_shift >= 0 && folds >= 0, "cca",
                    "null, min_shift and folds must be >= 0");
            cca::NullOptions null;
            null.samples = null_samples;
            null.kind = null_kind == "permutation" ? cca::NullKind::permutation
                                                   : cca::NullKind::circular_shift;
            null.min_shift = min_shift;
            null.seed = seed;
            nb::gil_scoped_release release;
            return cca::similarity_document(as_rows(x), as_rows(y), ridge, null, folds).dump();
        },
        nb::arg("x"), nb::arg("y"), nb::arg("ridge"), nb::arg("null"), nb::arg("null_kind"),
        nb::arg("min_shift"), nb::arg("seed"), nb::arg("folds"),
        "The JSON document of `jepasnn cca --json` for X and Y (rows = samples).");
}

}  // namespace jepasnn::python
