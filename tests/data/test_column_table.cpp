// Column and Table: typed access and its conversion rules (booleans as enum, int8 or float64
// 1/0/NaN), ragged and 2-D rows, and the errors that name the column.
#include <jepasnn/data/table.hpp>

#include <cmath>

#include "test_support.hpp"

using jepasnn::Error;
using namespace jepasnn::data;

TEST_CASE("booleans read from enum int8 and float64 storage") {
    const Column as_enum = Column::booleans("active", {1, 0, 1});
    const Column as_int = Column::integers("active", {1, 0, 1});
    const Column as_float = Column::reals("active", {1.0, 0.0, std::nan("")});
    CHECK(as_enum.boolean(0) == true);
    CHECK(as_enum.boolean(1) == false);
    CHECK(as_int.boolean(2) == true);
    CHECK(as_float.boolean(0) == true);
    CHECK(as_float.boolean(1) == false);
    CHECK_FALSE(as_float.boolean(2).has_value());  // NaN is a missing value
    CHECK_THROWS_WITH(Column::reals("active", {0.5}).boolean(0),
                      Catch::Contains("active") && Catch::Contains("expected a boolean"));
    CHECK_THROWS_WITH(Column::integers("flag", {2}).boolean(0), Catch::Contains("0 or 1"));
    CHECK_THROWS_WITH(Column::texts("quality", {"good"}).boolean(0),
                      Catch::Contains("quality") && Catch::Contains("text"));
}

TEST_CASE("numbers convert between kinds only where exact") {
    const Column ints = Column::integers("block", {0, 5, -1});
    CHECK(ints.real(1) == 5.0);
    CHECK(ints.reals() == std::vector<double>{0.0, 5.0, -1.0});
    const Column reals = Column::reals("block", {3.0, 2.5, std::nan("")});
    CHECK(reals.integer(0) == 3);
    CHECK_THROWS_WITH(reals.integer(1), Catch::Contains("expected an integer"));
    CHECK_THROWS_WITH(reals.integer(2), Catch::Contains("expected an integer"));
    CHECK(Column::booleans("b", {0, 1}).real(1) == 1.0);
    CHECK_THROWS_WITH(Column::texts("name", {"x"}).real(0), Catch::Contains("expected numbers"));
    CHECK_THROWS_WITH(ints.text(0), Catch::Contains("expected text"));
    CHECK_THROWS_WITH(ints.real(3), Catch::Contains("out of range"));
}

TEST_CASE("ragged and two-dimensional columns expose rows as ranges") {
    Column ragged = Column::reals("spike_amplitudes", {1, 2, 3, 4, 5});
    ragged.with_ragged_ends({2, 2, 5});
    CHECK(ragged.rows() == 3);
    CHECK(ragged.row_range(0) == std::pair<std::size_t, std::size_t>{0, 2});
    CHECK(ragged.row_range(1) == std::pair<std::size_t, std::size_t>{2, 2});
    CHECK(ragged.row_range(2) == std::pair<std::size_t, std::size_t>{2, 5});
    CHECK_THROWS_WITH(ragged.real(0), Catch::Contains("ragged rows"));
    CHECK(ragged.json(2) == jepasnn::Json::parse("[3.0, 4.0, 5.0]"));

    Column wide = Column::integers("waveform", {1, 2, 3, 4, 5, 6});
    wide.with_width(3);
    CHECK(wide.rows() == 2);
    CHECK(wide.row_range(1) == std::pair<std::size_t, std::size_t>{3, 6});
    CHECK_THROWS_WITH(Column::reals("w", {1, 2, 3}).with_width(2), Catch::Contains("rows of 2"));

    Column bad = Column::reals("x", {1, 2, 3});
    CHECK_THROWS_WITH(bad.with_ragged_ends({2, 1, 3}), Catch::Contains("not monotone"));
    CHECK_THROWS_WITH(bad.with_ragged_ends({1, 2}), Catch::Contains("index ends at 2"));
}

TEST_CASE("tables keep one row per id and name missing columns") {
    Table t("/intervals/trials", {10, 11, 12}, "session.nwb: /intervals/trials");
    t.add(Column::reals("start_time", {0.0, 1.0, 2.0}));
    t.add(Column::texts("image_name", {"a", "b", "c"}));
    CHECK(t.name() == "trials");
    CHECK(t.rows() == 3);
    CHECK(t.has("image_name"));
    CHECK(t.column_names() == std::vector<std::string>{"start_time", "image_name"});
    CHECK_THROWS_WITH(
        t.add(Column::reals("stop_time", {1.0, 2.0}, "session.nwb: /x/stop_time")),
        Catch::Contains("session.nwb: /x/stop_time") && Catch::Contains("2 rows, expected 3"));
    CHECK_THROWS_WITH(t.add(Column::reals("start_time", {0, 0, 0})), Catch::Contains("duplicate"));
    CHECK_THROWS_WITH(t.column("stop_time"), Catch::Contains("no column 'stop_time'") &&
                                                 Catch::Contains("start_time, image_name"));
}

TEST_CASE("json values keep kinds and turn NaN into null") {
    CHECK(Column::reals("x", {std::nan("")}).json(0).is_null());
    CHECK(Column::booleans("b", {1}).json(0) == true);
    CHECK(Column::integers("i", {7}).json(0) == 7);
    CHECK(Column::texts("s", {"VISp"}).json(0) == "VISp");
}
