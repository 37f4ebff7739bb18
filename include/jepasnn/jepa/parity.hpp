// Parity with the official LeJEPA code: recompute a reference SIGReg document (the schema of
// shared/reference/sigreg.json) with the library's own components in double precision and return
// the same document with every output field replaced — what `jepasnn parity sigreg` writes.
#pragma once

#include <string>
#include <string_view>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "sigreg.hpp"

namespace jepasnn::jepa {

/// Schema: {"cases": [{"N", "D", "M", "t_max", "knots", "z": [N][D], "directions": [D][M],
/// "statistic_per_direction": [M], "sigreg", "grad_z": [N][D]}, ...], ...}. Inputs are read from
/// each case; statistic_per_direction, sigreg and grad_z are recomputed (official float32 knot
/// table, as the reference code). Other fields are kept as they are. Errors name `source`, the
/// case and the field.
inline Json sigreg_parity(const Json& reference, std::string_view source) {
    const std::string where_doc(source);
    if (!reference.is_object() || !reference.contains("cases") || !reference["cases"].is_array())
        fail(where_doc, "expected a SIGReg reference document with a 'cases' array");
    Json out = reference;
    for (std::size_t i = 0; i < reference["cases"].size(); ++i) {
        const Json& c = reference["cases"][i];
        const std::string where = where_doc + ": case " + std::to_string(i);
        const auto n = json_get<Index>(c, "N", where);
        const auto d = json_get<Index>(c, "D", where);
        const auto m = json_get<Index>(c, "M", where);
        const auto knots = json_get<Index>(c, "knots", where);
        const auto t_max = json_get<double>(c, "t_max", where);
        require(n >= 1 && d >= 1 && m >= 1, where, "N, D, M are ", n, ", ", d, ", ", m,
                ", expected positive sizes");
        require(knots >= 2 && t_max > 0.0 && t_max <= 13.0, where, "knots = ", knots,
                " and t_max = ", t_max, ", expected knots >= 2 and t_max in (0, 13]");
        if (!c.contains("z")) fail(where, "missing field 'z'");
        if (!c.contains("directions")) fail(where, "missing field 'directions'");
        const RowMatrix<double> z = matrix_from_json<double>(c["z"], where + ": z");
        const RowMatrix<double> a =
            matrix_from_json<double>(c["directions"], where + ": directions");
        require_shape(where, "z", z, n, d);
        require_shape(where, "directions", a, d, m);
        require_finite(where, "z", z);
        require_finite(where, "directions", a);

        const SigRegKnots q = SigRegKnots::make(knots, t_max, KnotPrecision::official_float32);
        SigRegCache<double> cache;
        const double value = sigreg_forward<double>(cache, z, a, q);
        RowMatrix<double> grad = RowMatrix<double>::Zero(n, d);
        sigreg_backward<double>(grad, cache, a, q, 1.0);

        Json& o = out["cases"][i];
        o["statistic_per_direction"] = cache.per_direction;
        o["sigreg"] = value;
        o["grad_z"] = jepasnn::to_json(grad);
    }
    return out;
}

}  // namespace jepasnn::jepa
