// Unit quality control: composable criteria on the units table, the VBN default filter
// (quality == "good", isi_violations < 0.5, amplitude_cutoff < 0.1, presence_ratio > 0.9, as in
// the Allen VBN notebooks) and the funnel that reports how many units each criterion removes.
// A criterion that needs a column the table lacks is an error, never a silent pass; a missing
// value (NaN) fails a numeric comparison, as in a pandas query.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "units.hpp"

namespace jepasnn::data {

/// A unit criterion: which units to keep.
///
///   struct MinSpikes {
///       std::uint64_t n;
///       std::string name() const { return "n_spikes >= " + std::to_string(n); }
///       void check(const UnitTable&) const {}   // throw if the table lacks what keep() reads
///       bool keep(const UnitTable& t, std::size_t unit) const { return t.n_spikes(unit) >= n; }
///   };
///
/// name() labels the criterion in funnels; check() is called once per table before any keep().
template <class C>
concept UnitCriterion = requires(const C& c, const UnitTable& t, std::size_t unit) {
    { c.name() } -> std::convertible_to<std::string>;
    c.check(t);
    { c.keep(t, unit) } -> std::convertible_to<bool>;
};

namespace detail {
inline const Column& criterion_column(const UnitTable& t, const std::string& column,
                                      const std::string& criterion) {
    const Column* c = t.columns().find(column);
    if (c == nullptr) {
        std::string present;
        for (const std::string& n : t.columns().column_names())
            present += (present.empty() ? "" : ", ") + n;
        fail(t.where(), "QC criterion '", criterion, "' needs the units column '", column,
             "', which the table does not have (columns: ", present.empty() ? "none" : present,
             ")");
    }
    if (!c->is_scalar())
        fail(c->where(), "QC criterion '", criterion, "' needs one value per unit");
    return *c;
}

inline std::string format_number(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}
}  // namespace detail

/// Keeps units whose numeric column compares true with a threshold (NaN: removed).
struct ColumnCompare {
    enum class Op { less, less_equal, greater, greater_equal };
    std::string column;
    Op op = Op::less;
    double threshold = 0.0;

    std::string name() const {
        constexpr const char* symbols[] = {"<", "<=", ">", ">="};
        return column + " " + symbols[static_cast<int>(op)] + " " +
               detail::format_number(threshold);
    }
    void check(const UnitTable& t) const {
        const Column& c = detail::criterion_column(t, column, name());
        if (!c.is_numeric())
            fail(c.where(), "QC criterion '", name(), "' needs numbers, the column holds ",
                 kind_name(c.kind()));
    }
    bool keep(const UnitTable& t, std::size_t unit) const {
        const double v = t.columns().column(column).real(unit);
        switch (op) {
            case Op::less:
                return v < threshold;
            case Op::less_equal:
                return v <= threshold;
            case Op::greater:
                return v > threshold;
            default:
                return v >= threshold;
        }
    }
};

inline ColumnCompare column_below(std::string column, double threshold) {
    return {std::move(column), ColumnCompare::Op::less, threshold};
}
inline ColumnCompare column_above(std::string column, double threshold) {
    return {std::move(column), ColumnCompare::Op::greater, threshold};
}

/// Keeps units whose text column equals a value (e.g. quality == "good").
struct ColumnEquals {
    std::string column;
    std::string value;

    std::string name() const { return column + " == \"" + value + "\""; }
    void check(const UnitTable& t) const {
        const Column& c = detail::criterion_column(t, column, name());
        if (c.kind() != ColumnKind::text)
            fail(c.where(), "QC criterion '", name(), "' needs text, the column holds ",
                 kind_name(c.kind()));
    }
    bool keep(const UnitTable& t, std::size_t unit) const {
        return t.columns().column(column).text(unit) == value;
    }
};

/// Keeps units in one of the given brain areas.
struct InAreas {
    std::vector<std::string> areas;

    std::string name() const {
        std::string s = "area in {";
        for (std::size_t i = 0; i < areas.size(); ++i)
            s += (i ? ", " : "") + areas[i];
        return s + "}";
    }
    void check(const UnitTable& t) const {
        if (!t.has_locations())
            fail(t.where(), "QC criterion '", name(),
                 "' needs unit areas, and the file gives none (no units/location and no "
                 "electrodes join)");
    }
    bool keep(const UnitTable& t, std::size_t unit) const {
        return std::find(areas.begin(), areas.end(), t.locations()[unit]) != areas.end();
    }
};

/// Keeps units with at least `n` spikes.
struct MinimumSpikes {
    std::uint64_t n = 1;
    std::string name() const { return "n_spikes >= " + std::to_string(n); }
    void check(const UnitTable&) const {}
    bool keep(const UnitTable& t, std::size_t unit) const { return t.n_spikes(unit) >= n; }
};

/// Both criteria (a UnitCriterion itself, so filters compose).
template <UnitCriterion A, UnitCriterion B>
struct AllOf {
    A a;
    B b;
    std::string name() const { return "(" + std::string(a.name()) + ") and (" + b.name() + ")"; }
    void check(const UnitTable& t) const {
        a.check(t);
        b.check(t);
    }
    bool keep(const UnitTable& t, std::size_t unit) const {
        return a.keep(t, unit) && b.keep(t, unit);
    }
};

template <UnitCriterion A, UnitCriterion B>
AllOf<A, B> operator&&(A a, B b) {
    return {std::move(a), std::move(b)};
}

/// One line of the QC funnel.
struct FunnelStep {
    std::string criterion;
    std::size_t failing = 0;    // units failing this criterion on its own
    std::size_t removed = 0;    // units removed here (passed every earlier step)
    std::size_t remaining = 0;  // units left after this step
};

struct QcFunnel {
    std::size_t total = 0;
    std::vector<FunnelStep> steps;
    std::vector<std::size_t> kept;  // unit positions that pass every criterion, in file order

    Json to_json() const {
        Json j;
        j["total"] = total;
        Json steps_json = Json::array();
        for (const FunnelStep& s : steps)
            steps_json.push_back({{"criterion", s.criterion},
                                  {"failing", s.failing},
                                  {"removed", s.removed},
                                  {"remaining", s.remaining}});
        j["steps"] = steps_json;
        j["kept"] = kept.size();
        return j;
    }
};

/// An ordered list of criteria; units pass when they meet all of them.
class UnitFilter {
  public:
    template <class C>
    UnitFilter& add(C criterion) {
        static_assert(UnitCriterion<C>,
                      "UnitFilter::add: a criterion needs name(), check(const UnitTable&) and "
                      "keep(const UnitTable&, std::size_t) -> bool (see UnitCriterion in "
                      "jepasnn/data/unit_qc.hpp)");
        auto shared = std::make_shared<C>(std::move(criterion));
        criteria_.push_back({shared->name(), [shared](const UnitTable& t) { shared->check(t); },
                             [shared](const UnitTable& t, std::size_t u) {
                                 return static_cast<bool>(shared->keep(t, u));
                             }});
        return *this;
    }

    bool empty() const { return criteria_.empty(); }
    std::vector<std::string> names() const {
        std::vector<std::string> n;
        for (const auto& c : criteria_)
            n.push_back(c.name);
        return n;
    }

    /// Every criterion's requirements, or an Error naming the first missing column.
    void check(const UnitTable& t) const {
        for (const auto& c : criteria_)
            c.check(t);
    }

    /// The funnel: per criterion, in order, the units failing it and those it removes.
    QcFunnel funnel(const UnitTable& t) const {
        check(t);
        QcFunnel f;
        f.total = t.size();
        std::vector<char> alive(t.size(), 1);
        std::size_t remaining = t.size();
        for (const auto& c : criteria_) {
            FunnelStep step;
            step.criterion = c.name;
            for (std::size_t u = 0; u < t.size(); ++u) {
                if (c.keep(t, u)) continue;
                ++step.failing;
                if (alive[u]) {
                    alive[u] = 0;
                    ++step.removed;
                    --remaining;
                }
            }
            step.remaining = remaining;
            f.steps.push_back(std::move(step));
        }
        for (std::size_t u = 0; u < t.size(); ++u)
            if (alive[u]) f.kept.push_back(u);
        return f;
    }

    /// The positions of the units that pass, in file order.
    std::vector<std::size_t> select(const UnitTable& t) const { return funnel(t).kept; }

  private:
    struct Entry {
        std::string name;
        std::function<void(const UnitTable&)> check;
        std::function<bool(const UnitTable&, std::size_t)> keep;
    };
    std::vector<Entry> criteria_;
};

/// The VBN notebooks' default: quality == "good", isi_violations < 0.5, amplitude_cutoff < 0.1,
/// presence_ratio > 0.9 (DESIGN.md "Unit QC default").
inline UnitFilter vbn_default_filter() {
    UnitFilter f;
    f.add(ColumnEquals{"quality", "good"})
        .add(column_below("isi_violations", 0.5))
        .add(column_below("amplitude_cutoff", 0.1))
        .add(column_above("presence_ratio", 0.9));
    return f;
}

/// "none" → no criteria, "default" → vbn_default_filter(); anything else is an Error.
inline UnitFilter qc_filter_named(std::string_view name) {
    if (name == "none") return {};
    if (name == "default") return vbn_default_filter();
    fail("qc", "unknown QC filter '", name, "', expected 'none' or 'default'");
}

}  // namespace jepasnn::data
