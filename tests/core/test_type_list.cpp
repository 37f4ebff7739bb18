// Type lists: the run-time name of a policy picks its type, and a wrong name lists the choices.
#include <catch2/catch.hpp>
#include <jepasnn/core/type_list.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "test_support.hpp"

namespace {
struct Red {
    static constexpr std::string_view name = "red";
    static constexpr int code = 1;
};
struct Green {
    static constexpr std::string_view name = "green";
    static constexpr int code = 2;
};
struct Blue {
    static constexpr std::string_view name = "blue";
    static constexpr int code = 3;
};
using Colours = jepasnn::TypeList<Red, Green, Blue>;
}  // namespace

static_assert(
    std::is_same_v<decltype(jepasnn::variant_of(Colours{})), std::variant<Red, Green, Blue>>);

TEST_CASE("a name picks its type and a wrong name lists the choices") {
    const auto code = [](std::string_view name) {
        return jepasnn::visit_by_name(Colours{}, name, "colour", "paint",
                                      [](auto tag) { return decltype(tag)::type::code; });
    };
    CHECK(code("red") == 1);
    CHECK(code("green") == 2);
    CHECK(code("blue") == 3);
    CHECK_THROWS_WITH(code("Red"), "paint: colour is 'Red', expected 'red', 'green' or 'blue'");
    CHECK_THROWS_WITH(code(""), "paint: colour is '', expected 'red', 'green' or 'blue'");
    CHECK(jepasnn::names_of(Colours{}) == std::vector<std::string_view>{"red", "green", "blue"});
}

TEST_CASE("visit_first calls f once for the first match only") {
    int calls = 0;
    std::string seen;
    jepasnn::visit_first(
        Colours{}, [](auto tag) { return decltype(tag)::type::code >= 2; },
        [&](auto tag) {
            ++calls;
            seen = decltype(tag)::type::name;
        },
        "paint", "no colour");
    CHECK(calls == 1);
    CHECK(seen == "green");
    CHECK_THROWS_WITH(
        jepasnn::visit_first(
            Colours{}, [](auto) { return false; }, [](auto) { return 0; }, "paint", "no colour"),
        "paint: no colour");
}

TEST_CASE("choices are quoted in order without repeats") {
    CHECK(jepasnn::quoted_choices({"a"}) == "'a'");
    CHECK(jepasnn::quoted_choices({"a", "b"}) == "'a' or 'b'");
    CHECK(jepasnn::quoted_choices({"gru", "gru", "conv_gru", "gru", "conv"}) ==
          "'gru', 'conv_gru' or 'conv'");
    CHECK(jepasnn::quoted_choices({}).empty());
}
