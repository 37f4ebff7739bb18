// One column of an NWB DynamicTable (units, electrodes, intervals) with typed access. Values keep
// the kind they have in the file (real, integer, boolean, text, object reference) and convert on
// request under explicit rules: booleans may be stored as an HDF5 enum, as int8 0/1 or as float64
// 1/0/NaN (NaN = missing). Rows may hold one value, a fixed number (2-D datasets) or a ragged run
// (a VectorIndex of cumulative end offsets, as for spike_times).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "ragged_index.hpp"

namespace jepasnn::data {

enum class ColumnKind { real, integer, boolean, text, reference };

inline std::string_view kind_name(ColumnKind k) {
    switch (k) {
        case ColumnKind::real:
            return "real";
        case ColumnKind::integer:
            return "integer";
        case ColumnKind::boolean:
            return "boolean";
        case ColumnKind::text:
            return "text";
        default:
            return "reference";
    }
}

class Column {
  public:
    /// real → double, integer → int64, boolean → int8 (0/1), text and reference → string.
    using Storage = std::variant<std::vector<double>, std::vector<std::int64_t>,
                                 std::vector<std::int8_t>, std::vector<std::string>>;

    Column() = default;

    /// `where` names the column in messages, e.g. "session.nwb: /units/quality".
    Column(std::string name, ColumnKind kind, Storage values, std::string where = {})
        : name_(std::move(name)),
          where_(where.empty() ? name_ : std::move(where)),
          kind_(kind),
          values_(std::move(values)) {
        const bool strings = std::holds_alternative<std::vector<std::string>>(values_);
        const bool consistent =
            (kind_ == ColumnKind::real && std::holds_alternative<std::vector<double>>(values_)) ||
            (kind_ == ColumnKind::integer &&
             std::holds_alternative<std::vector<std::int64_t>>(values_)) ||
            (kind_ == ColumnKind::boolean &&
             std::holds_alternative<std::vector<std::int8_t>>(values_)) ||
            ((kind_ == ColumnKind::text || kind_ == ColumnKind::reference) && strings);
        require(consistent, where_, "storage does not match the column kind ", kind_name(kind_));
        if (kind_ == ColumnKind::boolean)
            for (std::int8_t v : std::get<std::vector<std::int8_t>>(values_))
                require(v == 0 || v == 1, where_, "boolean storage holds ", int(v));
    }

    static Column reals(std::string name, std::vector<double> v, std::string where = {}) {
        return {std::move(name), ColumnKind::real, std::move(v), std::move(where)};
    }
    static Column integers(std::string name, std::vector<std::int64_t> v, std::string where = {}) {
        return {std::move(name), ColumnKind::integer, std::move(v), std::move(where)};
    }
    static Column booleans(std::string name, std::vector<std::int8_t> v, std::string where = {}) {
        return {std::move(name), ColumnKind::boolean, std::move(v), std::move(where)};
    }
    static Column texts(std::string name, std::vector<std::string> v, std::string where = {}) {
        return {std::move(name), ColumnKind::text, std::move(v), std::move(where)};
    }

    /// Each row holds `width` consecutive values (a 2-D dataset of shape rows × width).
    Column& with_width(std::size_t width) {
        require(width >= 1, where_, "row width must be >= 1");
        require(value_count() % width == 0, where_, value_count(),
                " values do not split into rows of ", width);
        width_ = width;
        return *this;
    }

    /// Row i holds values [ends[i-1], ends[i]) (NWB VectorIndex). Validates the index.
    Column& with_ragged_ends(std::vector<std::uint64_t> ends) {
        detail::validate_index(ends, value_count(), {}, where_ + "_index");
        ends_ = std::move(ends);
        width_ = 1;
        ragged_ = true;
        return *this;
    }

    Column& with_description(std::string d) {
        description_ = std::move(d);
        return *this;
    }
    /// How the values were stored in the file ("uint32", "bool enum", "vlen string", ...).
    Column& with_stored_as(std::string s) {
        stored_as_ = std::move(s);
        return *this;
    }

    const std::string& name() const { return name_; }
    const std::string& where() const { return where_; }
    const std::string& description() const { return description_; }
    const std::string& stored_as() const { return stored_as_; }
    ColumnKind kind() const { return kind_; }
    bool is_ragged() const { return ragged_; }
    std::size_t width() const { return width_; }
    /// One value per row: what the per-row typed accessors need.
    bool is_scalar() const { return !ragged_ && width_ == 1; }
    bool is_numeric() const { return kind_ != ColumnKind::text && kind_ != ColumnKind::reference; }

    std::size_t value_count() const {
        return std::visit([](const auto& v) { return v.size(); }, values_);
    }
    std::size_t rows() const { return ragged_ ? ends_.size() : value_count() / width_; }

    /// The flat values of row `row`: [first, last).
    std::pair<std::size_t, std::size_t> row_range(std::size_t row) const {
        require(row < rows(), where_, "row ", row, " out of range for ", rows(), " rows");
        if (ragged_) return {row == 0 ? 0 : ends_[row - 1], ends_[row]};
        return {row * width_, (row + 1) * width_};
    }
    std::span<const std::uint64_t> ragged_ends() const { return ends_; }

    /// The stored values (T: double, int64_t, int8_t or std::string, matching the kind).
    template <class T>
    std::span<const T> values() const {
        const auto* v = std::get_if<std::vector<T>>(&values_);
        if (v == nullptr) fail(where_, "column holds ", kind_name(kind_), " values");
        return *v;
    }

    /// Row value as a number: reals as stored, integers converted, booleans as 0/1.
    double real(std::size_t row) const {
        check_scalar(row, "a number");
        switch (kind_) {
            case ColumnKind::real:
                return std::get<std::vector<double>>(values_)[row];
            case ColumnKind::integer:
                return static_cast<double>(std::get<std::vector<std::int64_t>>(values_)[row]);
            case ColumnKind::boolean:
                return std::get<std::vector<std::int8_t>>(values_)[row];
            default:
                fail(where_, "column holds ", kind_name(kind_), ", expected numbers");
        }
    }

    /// Row value as an integer: reals only when finite and integral.
    std::int64_t integer(std::size_t row) const {
        check_scalar(row, "an integer");
        switch (kind_) {
            case ColumnKind::integer:
                return std::get<std::vector<std::int64_t>>(values_)[row];
            case ColumnKind::boolean:
                return std::get<std::vector<std::int8_t>>(values_)[row];
            case ColumnKind::real: {
                const double v = std::get<std::vector<double>>(values_)[row];
                if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e15)
                    fail(where_, "row ", row, " holds ", v, ", expected an integer");
                return static_cast<std::int64_t>(v);
            }
            default:
                fail(where_, "column holds ", kind_name(kind_), ", expected integers");
        }
    }

    /// Row value as a boolean; nullopt for a missing value (NaN in a float64 column). Integers and
    /// reals must be 0 or 1.
    std::optional<bool> boolean(std::size_t row) const {
        check_scalar(row, "a boolean");
        switch (kind_) {
            case ColumnKind::boolean:
                return std::get<std::vector<std::int8_t>>(values_)[row] != 0;
            case ColumnKind::integer: {
                const std::int64_t v = std::get<std::vector<std::int64_t>>(values_)[row];
                if (v != 0 && v != 1)
                    fail(where_, "row ", row, " holds ", v, ", expected a boolean (0 or 1)");
                return v == 1;
            }
            case ColumnKind::real: {
                const double v = std::get<std::vector<double>>(values_)[row];
                if (std::isnan(v)) return std::nullopt;
                if (v != 0.0 && v != 1.0)
                    fail(where_, "row ", row, " holds ", v, ", expected a boolean (1, 0 or NaN)");
                return v == 1.0;
            }
            default:
                fail(where_, "column holds ", kind_name(kind_), ", expected booleans");
        }
    }

    /// Row value as text (text and reference columns: a reference reads as the target's path).
    const std::string& text(std::size_t row) const {
        check_scalar(row, "text");
        const auto* v = std::get_if<std::vector<std::string>>(&values_);
        if (v == nullptr) fail(where_, "column holds ", kind_name(kind_), ", expected text");
        return (*v)[row];
    }

    std::vector<double> reals() const {
        return per_row<double>([&](auto r) { return real(r); });
    }
    std::vector<std::int64_t> integers() const {
        return per_row<std::int64_t>([&](auto r) { return integer(r); });
    }
    std::vector<std::optional<bool>> booleans() const {
        return per_row<std::optional<bool>>([&](auto r) { return boolean(r); });
    }
    std::vector<std::string> texts() const {
        return per_row<std::string>([&](auto r) { return text(r); });
    }

    /// Row value for JSON output: a number, bool, string or null (NaN), or an array of those for
    /// 2-D and ragged columns.
    Json json(std::size_t row) const {
        const auto [first, last] = row_range(row);
        auto one = [&](std::size_t i) -> Json {
            return std::visit(
                [&](const auto& v) -> Json {
                    using T = typename std::decay_t<decltype(v)>::value_type;
                    if constexpr (std::is_same_v<T, double>)
                        return std::isfinite(v[i]) ? Json(v[i]) : Json(nullptr);
                    else if constexpr (std::is_same_v<T, std::int8_t>)
                        return Json(v[i] != 0);
                    else
                        return Json(v[i]);
                },
                values_);
        };
        if (is_scalar()) return one(first);
        Json out = Json::array();
        for (std::size_t i = first; i < last; ++i)
            out.push_back(one(i));
        return out;
    }

  private:
    void check_scalar(std::size_t row, std::string_view as) const {
        if (!is_scalar())
            fail(where_, "column holds ", ragged_ ? "ragged rows" : "rows of several values",
                 ", cannot read row ", row, " as ", as);
        if (row >= rows()) fail(where_, "row ", row, " out of range for ", rows(), " rows");
    }

    template <class T, class F>
    std::vector<T> per_row(F&& f) const {
        std::vector<T> out;
        out.reserve(rows());
        for (std::size_t r = 0; r < rows(); ++r)
            out.push_back(f(r));
        return out;
    }

    std::string name_;
    std::string where_;
    std::string description_;
    std::string stored_as_;
    ColumnKind kind_ = ColumnKind::real;
    Storage values_ = std::vector<double>{};
    std::size_t width_ = 1;
    bool ragged_ = false;
    std::vector<std::uint64_t> ends_;
};

}  // namespace jepasnn::data
