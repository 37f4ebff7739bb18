// The settings of every policy of a TypeList, keyed by policy name ({"band": {...}, "none": {}}):
// a run that uses policy P reads get<P>(), and the others keep theirs, so one config serves every
// variant. Each policy is its own settings struct (core/settings.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "settings.hpp"
#include "type_list.hpp"

namespace jepasnn {

template <class List>
class PolicySettings;

template <Settings... Ps>
class PolicySettings<TypeList<Ps...>> {
    template <class Q>
    static constexpr bool is_policy = (std::is_same_v<Q, Ps> || ...);
    static_assert(
        [] {
            const std::array<std::string_view, sizeof...(Ps)> names{Ps::name...};
            for (std::size_t i = 0; i < names.size(); ++i)
                for (std::size_t j = 0; j < i; ++j)
                    if (names[i] == names[j]) return false;
            return true;
        }(),
        "the policies of one PolicySettings list need distinct names");

  public:
    static constexpr std::string_view setting_noun = "policy";

    PolicySettings() = default;
    /// Non-default settings for some of the policies (the others keep their defaults).
    template <class... Qs>
    requires(is_policy<Qs>&&...) explicit PolicySettings(Qs... policies) {
        ((std::get<Qs>(policies_) = std::move(policies)), ...);
    }

    template <class P>
    const P& get() const {
        return std::get<P>(policies_);
    }
    template <class P>
    P& get() {
        return std::get<P>(policies_);
    }

    static void fields(auto& s, auto&& field) {
        std::apply([&](auto&... p) { (field(std::remove_cvref_t<decltype(p)>::name, p), ...); },
                   s.policies_);
    }
    void validate(std::string_view where) const {
        std::apply(
            [&](const auto&... p) {
                (
                    [&] {
                        if constexpr (requires { p.validate(where); })
                            p.validate(std::string(where).append(": ").append(p.name));
                    }(),
                    ...);
            },
            policies_);
    }

  private:
    std::tuple<Ps...> policies_;
};

}  // namespace jepasnn
