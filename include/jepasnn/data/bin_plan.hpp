// What a binning run bins, decided once for `jepasnn bin` and the Python package alike: DESIGN.md's
// grid of `bin_ms` bins over a range named one way or another (explicitly, by block, by brain
// state or the whole session) and the units a QC filter, named as the CLI names it, keeps.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "binning.hpp"
#include "session.hpp"
#include "unit_qc.hpp"

namespace jepasnn::data {

/// A binning request as the user gives it.
struct BinSpec {
    double bin_ms = 10.0;
    RangeRequest range;       // none set: the whole session
    std::string qc = "none";  // "none" or "default" (qc_filter_named)
};

/// The request resolved against a session.
struct BinPlan {
    BinGrid grid;
    std::vector<std::size_t> units;  // rows of the units table, in file order
};

/// Resolves `spec` on `s` (metadata suffices: the range and the QC columns), or an Error naming
/// `where` (the bin width) or the session (the range, the blocks, the QC columns).
inline BinPlan plan_binning(const Session& s, const BinSpec& spec, std::string_view where) {
    require(std::isfinite(spec.bin_ms) && spec.bin_ms > 0.0, where, "bin width is ", spec.bin_ms,
            " ms, expected a finite value > 0");
    const UnitFilter filter = qc_filter_named(spec.qc);
    BinPlan p;
    p.grid = BinGrid::covering(resolve_range(s, spec.range), spec.bin_ms / 1000.0);
    p.units = filter.empty() ? all_units(s.units.size()) : filter.select(s.units);
    return p;
}

}  // namespace jepasnn::data
