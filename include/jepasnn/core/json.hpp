// JSON documents (nlohmann::ordered_json keeps keys in insertion order, so metrics files diff
// cleanly): atomic writing, reading with errors that name the file, typed field access with
// errors that name the field, and Eigen conversions.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "atomic_file.hpp"
#include "error.hpp"
#include "tensor.hpp"

namespace jepasnn {

using Json = nlohmann::ordered_json;

/// Parses a JSON file; a missing file or a syntax error throws Error naming the file.
inline Json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) fail(path.string(), "cannot open for reading");
    try {
        return Json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        fail(path.string(), "invalid JSON (", e.what(), ")");
    }
}

/// Writes `doc` atomically, pretty-printed with `indent` spaces.
inline void write_json(const std::filesystem::path& path, const Json& doc, int indent = 1) {
    write_atomically(path, [&](std::ostream& out) { out << doc.dump(indent) << '\n'; });
}

/// doc[key] converted to T; a missing key or a wrong type throws "<where>: '<key>' ...".
template <class T>
T json_get(const Json& doc, std::string_view key, std::string_view where) {
    if (!doc.is_object()) fail(where, "expected a JSON object holding '", key, "'");
    const auto it = doc.find(key);
    if (it == doc.end()) fail(where, "missing field '", key, "'");
    try {
        return it->template get<T>();
    } catch (const nlohmann::json::exception&) {
        fail(where, "field '", key, "' has the wrong type (found ", it->type_name(), ")");
    }
}

/// doc[key] converted to T, or `fallback` when the key is absent (a present key of the wrong type
/// is still an error).
template <class T>
T json_get_or(const Json& doc, std::string_view key, const T& fallback, std::string_view where) {
    if (!doc.is_object() || !doc.contains(key)) return fallback;
    return json_get<T>(doc, key, where);
}

/// A vector as a JSON array; a matrix as an array of rows.
template <class Derived>
Json to_json(const Eigen::DenseBase<Derived>& m) {
    Json out = Json::array();
    if (m.cols() == 1 || m.rows() == 1) {
        for (Index i = 0; i < m.size(); ++i)
            out.push_back(m.derived().coeff(i));
        return out;
    }
    for (Index r = 0; r < m.rows(); ++r) {
        Json row = Json::array();
        for (Index c = 0; c < m.cols(); ++c)
            row.push_back(m(r, c));
        out.push_back(std::move(row));
    }
    return out;
}

/// A JSON array of rows (all of one length) as a row-major matrix; errors name the field.
template <class T>
RowMatrix<T> matrix_from_json(const Json& rows, std::string_view where) {
    if (!rows.is_array()) fail(where, "expected an array of rows, found ", rows.type_name());
    const Index n = static_cast<Index>(rows.size());
    const Index p = n ? static_cast<Index>(rows[0].size()) : 0;
    RowMatrix<T> m(n, p);
    for (Index r = 0; r < n; ++r) {
        const Json& row = rows[static_cast<std::size_t>(r)];
        if (!row.is_array() || static_cast<Index>(row.size()) != p)
            fail(where, "row ", r, " has ", row.size(), " entries, expected ", p);
        for (Index c = 0; c < p; ++c) {
            const Json& v = row[static_cast<std::size_t>(c)];
            if (!v.is_number()) fail(where, "entry (", r, ", ", c, ") is not a number");
            m(r, c) = v.get<T>();
        }
    }
    return m;
}

/// A JSON array of numbers as a vector; errors name the field.
template <class T>
Vector<T> vector_from_json(const Json& values, std::string_view where) {
    if (!values.is_array()) fail(where, "expected an array of numbers, found ", values.type_name());
    Vector<T> v(static_cast<Index>(values.size()));
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i].is_number()) fail(where, "entry ", i, " is not a number");
        v(static_cast<Index>(i)) = values[i].get<T>();
    }
    return v;
}

}  // namespace jepasnn
