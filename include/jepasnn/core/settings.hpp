// Settings structs name their fields once; that one list gives the strict JSON round trip
// (settings_json, read_settings): keys in list order, defaults for absent keys, errors that name
// the file and the key for unknown keys, wrong types and values the struct's validate rejects.
#pragma once

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "error.hpp"
#include "json.hpp"
#include "tensor.hpp"

namespace jepasnn {

/// A settings struct lists its fields in one static function, in the order they are written:
///
///     struct Example {
///         Index width = 4;
///         CountTransform transform = CountTransform::sqrt;
///         static void fields(auto& s, auto&& field) {
///             field("width", s.width);
///             field("transform", s.transform);
///         }
///         void validate(std::string_view where) const;  // optional
///         static constexpr std::string_view setting_noun = "example setting";  // optional
///     };
///
/// Fields may be numbers, bools, strings, lists of these, Eigen vectors (Vector<T>), Json, paths,
/// enums with enum_names, and settings structs (a nested JSON object).
namespace detail {
/// A field visitor that does nothing (a named type: nvcc rejects a lambda in a requires clause).
struct IgnoreField {
    template <class V>
    void operator()(std::string_view, V&) const {}
};
}  // namespace detail

template <class S>
concept Settings = std::is_class_v<S> && requires(S& s) {
    S::fields(s, detail::IgnoreField{});
};

/// An enum usable as a setting declares its names once, found by argument-dependent lookup:
///     constexpr std::array<std::pair<E, std::string_view>, N> enum_names(E);
template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
    enum_names(e);
};

template <NamedEnum E>
constexpr std::string_view enum_name(E value) {
    for (const auto& [e, name] : enum_names(value))
        if (e == value) return name;
    return "?";
}

/// The enum value called `name`; any other name throws Error listing the valid ones.
template <NamedEnum E>
E enum_from_name(std::string_view name, std::string_view where) {
    std::vector<std::string_view> valid;
    for (const auto& [e, n] : enum_names(E{})) {
        if (n == name) return e;
        valid.push_back(n);
    }
    fail(where, "'", name, "' is not one of ", quoted_choices(valid));
}

/// JSON has no comments: every settings object also accepts (and ignores) an "about" text.
inline constexpr std::string_view settings_comment_key = "about";

template <Settings S>
Json settings_json(const S& s);

namespace detail {
template <Settings S>
void read_settings_into(S& s, const Json& j, std::string_view where);

/// What an unknown key is called in errors ("unknown field 'x'" unless S names it).
template <class S>
constexpr std::string_view setting_noun() {
    if constexpr (requires { S::setting_noun; })
        return S::setting_noun;
    else
        return "field";
}

template <class T>
inline constexpr bool is_path_v = std::is_same_v<T, std::filesystem::path>;
template <class T>
inline constexpr bool is_list_v = false;
template <class T, class A>
inline constexpr bool is_list_v<std::vector<T, A>> = true;
template <class T>
inline constexpr bool is_vector_v = false;
template <class T>
inline constexpr bool is_vector_v<Vector<T>> = true;
template <class T>
inline constexpr bool is_path_list_v = false;
template <class A>
inline constexpr bool is_path_list_v<std::vector<std::filesystem::path, A>> = true;

/// Empty paths and empty lists are left out when written (an absent key reads as empty).
template <class T>
bool omitted_setting(const T& value) {
    if constexpr (is_path_v<T> || is_list_v<T>)
        return value.empty();
    else
        return false;
}

template <class T>
Json setting_json(const T& value) {
    if constexpr (Settings<T>)
        return settings_json(value);
    else if constexpr (NamedEnum<T>)
        return std::string(enum_name(value));
    else if constexpr (is_path_v<T>)
        return value.string();
    else if constexpr (is_vector_v<T>)
        return to_json(value);
    else if constexpr (is_path_list_v<T>) {
        Json out = Json::array();
        for (const auto& p : value)
            out.push_back(p.string());
        return out;
    } else
        return Json(value);
}

template <class T>
T read_value(const Json& doc, std::string_view key, std::string_view where) {
    if constexpr (NamedEnum<T>) {
        return enum_from_name<T>(json_get<std::string>(doc, key, where),
                                 std::string(where).append(": ").append(key));
    } else if constexpr (is_path_v<T>) {
        return T(json_get<std::string>(doc, key, where));
    } else if constexpr (is_vector_v<T>) {
        return vector_from_json<typename T::Scalar>(doc.at(std::string(key)),
                                                    std::string(where).append(": ").append(key));
    } else if constexpr (is_path_list_v<T>) {
        const auto names = json_get<std::vector<std::string>>(doc, key, where);
        return T(names.begin(), names.end());
    } else {
        return json_get<T>(doc, key, where);
    }
}

/// Reads `key` into `value`; a nested settings struct is read in place, so its absent keys keep
/// the defaults its enclosing struct gives it.
template <class T>
void read_setting(const Json& doc, std::string_view key, std::string_view where, T& value) {
    if constexpr (Settings<T>)
        read_settings_into(value, doc.at(std::string(key)),
                           std::string(where).append(": ").append(key));
    else
        value = read_value<T>(doc, key, where);
}
}  // namespace detail

/// The fields of `s` as a JSON object, in list order.
template <Settings S>
Json settings_json(const S& s) {
    Json j = Json::object();
    S::fields(s, [&](std::string_view key, const auto& value) {
        if (!detail::omitted_setting(value)) j[std::string(key)] = detail::setting_json(value);
    });
    return j;
}

namespace detail {
/// Reads the keys of `j` over `s` (read_settings starts from S{}).
template <Settings S>
void read_settings_into(S& s, const Json& j, std::string_view where) {
    if (!j.is_object()) fail(where, "expected a JSON object of settings, found ", j.type_name());
    std::vector<std::string_view> known;
    S::fields(s, [&](std::string_view key, auto& value) {
        known.push_back(key);
        if (j.contains(key)) read_setting(j, key, where, value);
    });
    for (const auto& item : j.items()) {
        const std::string& key = item.key();
        if (key == settings_comment_key ||
            std::find(known.begin(), known.end(), key) != known.end())
            continue;
        std::string list;
        for (std::string_view k : known)
            list.append(list.empty() ? "" : ", ").append(k);
        fail(where, "unknown ", detail::setting_noun<S>(), " '", key, "' (known: ", list, ")");
    }
    if constexpr (requires { s.validate(where); }) s.validate(where);
}
}  // namespace detail

/// Settings from the JSON object `j`: absent keys keep their defaults (those of S{}, and for a
/// nested settings struct those its enclosing struct gives it); an unknown key, a wrong type or a
/// value `validate(where)` rejects throws Error naming `where` and the key.
template <Settings S>
S read_settings(const Json& j, std::string_view where) {
    S s{};
    detail::read_settings_into(s, j, where);
    return s;
}

}  // namespace jepasnn
