// The paper drivers' one way to write a CSV file (RFC 4180): a header, rows of cells checked
// against it, written atomically. Numbers are the shortest text that reads back to the same
// double; paper/plots/*.py read them with csv.DictReader.
#pragma once

#include <jepasnn/core/core.hpp>

#include <charconv>
#include <cmath>
#include <concepts>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jepasnn::paper {

/// A text cell: quoted when it holds a comma, a quote or a line break.
inline std::string csv_text(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string q = "\"";
    for (char ch : s)
        q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
}

/// A number cell: the shortest text that reads back to `v`; "nan"/"inf"/"-inf" when not finite.
inline std::string csv_number(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, end);
}

/// Any cell: booleans as 1/0, integers, floating point (csv_number), text (csv_text), and JSON
/// values (null → empty: a value that does not exist, e.g. R² on real files without a truth).
template <class V>
std::string csv_cell(const V& v) {
    if constexpr (std::is_same_v<V, bool>)
        return v ? "1" : "0";
    else if constexpr (std::integral<V>)
        return std::to_string(v);
    else if constexpr (std::floating_point<V>)
        return csv_number(static_cast<double>(v));
    else if constexpr (std::is_same_v<V, Json>)
        return v.is_null()             ? std::string()
               : v.is_boolean()        ? csv_cell(v.template get<bool>())
               : v.is_number_integer() ? v.dump()
               : v.is_number()         ? csv_number(v.template get<double>())
               : v.is_string()         ? csv_text(v.template get<std::string>())
                                       : csv_text(v.dump());
    else
        return csv_text(std::string_view(v));
}

/// A CSV file under construction: `row` takes exactly one cell per column.
class CsvTable {
  public:
    explicit CsvTable(const std::vector<std::string>& columns) : columns_(columns.size()) {
        for (const std::string& c : columns)
            append(csv_text(c));
        end_line();
    }

    template <class... Cells>
    void row(const Cells&... cells) {
        require(sizeof...(cells) == columns_, "paper::CsvTable", "a row of ", sizeof...(cells),
                " cells, the header has ", columns_);
        (append(csv_cell(cells)), ...);
        end_line();
    }

    void write(const std::filesystem::path& file) const {
        write_atomically(file, [&](std::ostream& out) { out << text_; });
    }

  private:
    void append(const std::string& cell) {
        if (!line_start_) text_ += ',';
        text_ += cell;
        line_start_ = false;
    }
    void end_line() {
        text_ += '\n';
        line_start_ = true;
    }

    std::size_t columns_;
    std::string text_;
    bool line_start_ = true;
};

}  // namespace jepasnn::paper
