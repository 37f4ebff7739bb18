// Settings structs: the one field list gives both directions of the JSON round trip and the
// strict reading (unknown keys, wrong types, invalid values and enum names are errors).
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>
#include <jepasnn/core/policy_settings.hpp>
#include <jepasnn/core/settings.hpp>

#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

using jepasnn::Json;

namespace example {

enum class Shape { round, square };

constexpr std::array<std::pair<Shape, std::string_view>, 2> enum_names(Shape) {
    return {{{Shape::round, "round"}, {Shape::square, "square"}}};
}

struct Inner {
    double rate = 0.5;
    Shape shape = Shape::round;
    static void fields(auto& s, auto&& field) {
        field("rate", s.rate);
        field("shape", s.shape);
    }
    void validate(std::string_view where) const {
        jepasnn::require(rate >= 0.0, where, "rate is ", rate, ", expected >= 0");
    }
    friend bool operator==(const Inner&, const Inner&) = default;
};

struct Outer {
    std::uint64_t steps = 10;
    std::string name = "run";
    std::vector<double> weights;
    std::filesystem::path file;
    std::vector<std::filesystem::path> inputs;
    Inner inner;
    bool verbose = false;
    static constexpr std::string_view setting_noun = "example setting";
    static void fields(auto& s, auto&& field) {
        field("steps", s.steps);
        field("name", s.name);
        field("weights", s.weights);
        field("file", s.file);
        field("inputs", s.inputs);
        field("inner", s.inner);
        field("verbose", s.verbose);
    }
    friend bool operator==(const Outer&, const Outer&) = default;
};

/// A nested struct whose enclosing default differs from its own.
struct Enclosing {
    Inner inner{3.0, Shape::square};
    static void fields(auto& s, auto&& field) { field("inner", s.inner); }
};

struct Gentle {
    static constexpr std::string_view name = "gentle";
    double weight = 1.0;
    static void fields(auto& s, auto&& field) { field("weight", s.weight); }
    void validate(std::string_view where) const {
        jepasnn::require(weight >= 0.0, where, "weight is ", weight, ", expected >= 0");
    }
    friend bool operator==(const Gentle&, const Gentle&) = default;
};
struct Off {
    static constexpr std::string_view name = "off";
    static void fields(auto&, auto&&) {}
    friend bool operator==(const Off&, const Off&) = default;
};
using Policies = jepasnn::PolicySettings<jepasnn::TypeList<Gentle, Off>>;

}  // namespace example

static_assert(jepasnn::Settings<example::Outer>);
static_assert(!jepasnn::Settings<double>);
static_assert(jepasnn::NamedEnum<example::Shape>);

TEST_CASE("settings are written in list order and read back equal") {
    example::Outer o;
    o.steps = 3;
    o.weights = {0.1, 1e-300};
    o.file = "a/b.ckpt";
    o.inputs = {"x.nwb", "y.nwb"};
    o.inner.shape = example::Shape::square;
    const Json j = jepasnn::settings_json(o);
    CHECK(j.dump() ==
          R"({"steps":3,"name":"run","weights":[0.1,1e-300],"file":"a/b.ckpt",)"
          R"("inputs":["x.nwb","y.nwb"],"inner":{"rate":0.5,"shape":"square"},"verbose":false})");
    CHECK(jepasnn::read_settings<example::Outer>(j, "cfg") == o);
}

TEST_CASE("empty paths and lists are left out, and absent keys keep their defaults") {
    const Json j = jepasnn::settings_json(example::Outer{});
    CHECK(!j.contains("file"));
    CHECK(!j.contains("inputs"));
    CHECK(!j.contains("weights"));
    CHECK(jepasnn::read_settings<example::Outer>(j, "cfg") == example::Outer{});
    const auto partial = jepasnn::read_settings<example::Outer>(
        Json{{"inner", {{"rate", 2.0}}}, {"about", "a comment"}}, "cfg");
    CHECK(partial.inner.rate == 2.0);
    CHECK(partial.inner.shape == example::Shape::round);
    CHECK(partial.steps == 10);
}

TEST_CASE("a nested struct read in part keeps the defaults its enclosing struct gives it") {
    const auto e =
        jepasnn::read_settings<example::Enclosing>(Json{{"inner", {{"rate", 1.0}}}}, "cfg");
    CHECK(e.inner.rate == 1.0);
    CHECK(e.inner.shape == example::Shape::square);  // Enclosing's default, not Inner{}'s
}

TEST_CASE("policy settings are keyed by policy name and read strictly") {
    example::Policies p(example::Gentle{0.25});
    CHECK(p.get<example::Gentle>().weight == 0.25);
    const Json j = jepasnn::settings_json(p);
    CHECK(j.dump() == R"({"gentle":{"weight":0.25},"off":{}})");
    const auto back = jepasnn::read_settings<example::Policies>(j, "cfg");
    CHECK(back.get<example::Gentle>() == p.get<example::Gentle>());
    CHECK(jepasnn::read_settings<example::Policies>(Json::object(), "cfg")
              .get<example::Gentle>()
              .weight == 1.0);
    CHECK_THROWS_WITH(jepasnn::read_settings<example::Policies>(Json{{"gentel", {}}}, "cfg"),
                      "cfg: unknown policy 'gentel' (known: gentle, off)");
    CHECK_THROWS_WITH(
        jepasnn::read_settings<example::Policies>(Json{{"gentle", {{"weight", -1.0}}}}, "cfg"),
        "cfg: gentle: weight is -1, expected >= 0");
    example::Policies negative(example::Gentle{-2.0});
    CHECK_THROWS_WITH(negative.validate("run"), "run: gentle: weight is -2, expected >= 0");
}

TEST_CASE("bad settings name the file, the section and the key") {
    const auto read = [](const Json& j) {
        return jepasnn::read_settings<example::Outer>(j, "f.json");
    };
    CHECK_THROWS_WITH(read(Json{{"stepz", 1}}),
                      "f.json: unknown example setting 'stepz' (known: steps, name, weights, "
                      "file, inputs, inner, verbose)");
    CHECK_THROWS_WITH(read(Json{{"inner", {{"colour", 1}}}}),
                      Catch::StartsWith("f.json: inner: unknown field 'colour'"));
    CHECK_THROWS_WITH(read(Json{{"steps", "many"}}),
                      "f.json: field 'steps' has the wrong type (found string)");
    CHECK_THROWS_WITH(read(Json{{"inner", {{"rate", -1.0}}}}),
                      "f.json: inner: rate is -1, expected >= 0");
    CHECK_THROWS_WITH(read(Json{{"inner", {{"shape", "oval"}}}}),
                      "f.json: inner: shape: 'oval' is not one of 'round' or 'square'");
    CHECK_THROWS_WITH(read(Json{{"inner", 3}}),
                      Catch::StartsWith("f.json: inner: expected a JSON object"));
    CHECK_THROWS_WITH(read(Json::array()), Catch::StartsWith("f.json: expected a JSON object"));
}

TEST_CASE("any settings survive the round trip exactly") {
    rc::prop("read_settings(settings_json(s)) == s", [] {
        example::Outer o;
        o.steps = *rc::gen::arbitrary<std::uint64_t>();
        o.name = *rc::gen::arbitrary<std::string>();
        o.weights = *rc::gen::container<std::vector<double>>(
            rc::gen::map(rc::gen::arbitrary<std::int64_t>(),
                         [](std::int64_t v) { return std::ldexp(static_cast<double>(v), -40); }));
        o.inner.rate = std::ldexp(static_cast<double>(*rc::gen::inRange(0, 1 << 30)), -17);
        o.inner.shape = *rc::gen::element(example::Shape::round, example::Shape::square);
        o.verbose = *rc::gen::arbitrary<bool>();
        RC_ASSERT(jepasnn::read_settings<example::Outer>(jepasnn::settings_json(o), "p") == o);
    });
}
