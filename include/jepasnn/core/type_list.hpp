// Compile-time lists of policy types and the run-time choice of one of them: a config names a
// surrogate, an encoder or an ablation by its `static constexpr std::string_view name`, and the
// list turns that name into the type, so adding a policy is one struct plus one list entry.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "error.hpp"

namespace jepasnn {

template <class... Ts>
struct TypeList {};

/// The names of the list's types (their `name` members), in list order.
template <class... Ts>
std::vector<std::string_view> names_of(TypeList<Ts...>) {
    return {Ts::name...};
}

/// std::variant of the list's types (declared only: use it in decltype).
template <class... Ts>
std::variant<Ts...> variant_of(TypeList<Ts...>);

/// f(std::type_identity<T>{}) for the first T of the list with pick(std::type_identity<T>{});
/// throws Error "<where>: <no_match>" when none matches.
template <class... Ts, class Pick, class F>
decltype(auto) visit_first(TypeList<Ts...>, Pick&& pick, F&& f, std::string_view where,
                           std::string_view no_match) {
    using First = std::tuple_element_t<0, std::tuple<Ts...>>;
    using Result = std::invoke_result_t<F, std::type_identity<First>>;
    if constexpr (std::is_void_v<Result>) {
        const bool found =
            ((pick(std::type_identity<Ts>{}) ? (f(std::type_identity<Ts>{}), true) : false) || ...);
        if (!found) fail(where, no_match);
    } else {
        std::optional<Result> out;
        ((pick(std::type_identity<Ts>{}) ? (out.emplace(f(std::type_identity<Ts>{})), true)
                                         : false) ||
         ...);
        if (!out) fail(where, no_match);
        return Result(std::move(*out));
    }
}

/// f(std::type_identity<T>{}) for the T of the list called `name`; another name throws Error
/// "<where>: <what> is '<name>', expected 'a', 'b' or 'c'".
template <class... Ts, class F>
decltype(auto) visit_by_name(TypeList<Ts...> list, std::string_view name, std::string_view what,
                             std::string_view where, F&& f) {
    const std::string no_match = std::string(what) + " is '" + std::string(name) + "', expected " +
                                 quoted_choices(names_of(list));
    return visit_first(
        list, [&](auto tag) { return decltype(tag)::type::name == name; }, std::forward<F>(f),
        where, no_match);
}

}  // namespace jepasnn
