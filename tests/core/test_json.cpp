#include <jepasnn/core/json.hpp>

#include "test_support.hpp"

using jepasnn::Json;
using jepasnn::test::TempDir;

TEST_CASE("write then read round-trips keeping key order and doubles exactly") {
    TempDir tmp;
    Json doc;
    doc["z_first"] = 0.1 + 0.2;
    doc["a_second"] = Json::array({1, 2, 3});
    doc["tiny"] = 5e-324;
    jepasnn::write_json(tmp / "d.json", doc);
    const Json back = jepasnn::read_json(tmp / "d.json");
    CHECK(back == doc);
    CHECK(back.begin().key() == "z_first");
    CHECK(back["z_first"].get<double>() == 0.1 + 0.2);
    CHECK(back["tiny"].get<double>() == 5e-324);
}

TEST_CASE("errors name the file or the field") {
    TempDir tmp;
    jepasnn::test::write_text(tmp / "bad.json", "{\"a\": [1, 2,,]}");
    CHECK_THROWS_WITH(jepasnn::read_json(tmp / "bad.json"),
                      Catch::Contains("bad.json") && Catch::Contains("invalid JSON"));
    CHECK_THROWS_WITH(jepasnn::read_json(tmp / "missing.json"), Catch::Contains("cannot open"));

    const Json doc = {{"n", 3}, {"name", "x"}};
    CHECK(jepasnn::json_get<int>(doc, "n", "cfg") == 3);
    CHECK_THROWS_WITH(jepasnn::json_get<int>(doc, "m", "cfg"), "cfg: missing field 'm'");
    CHECK_THROWS_WITH(jepasnn::json_get<int>(doc, "name", "cfg"),
                      "cfg: field 'name' has the wrong type (found string)");
    CHECK(jepasnn::json_get_or<int>(doc, "m", 7, "cfg") == 7);
    CHECK_THROWS_AS(jepasnn::json_get_or<int>(doc, "name", 7, "cfg"), jepasnn::Error);
}

TEST_CASE("Eigen conversions in both directions") {
    jepasnn::RowMatrix<double> m(2, 2);
    m << 1, 2, 3, 4;
    const Json j = jepasnn::to_json(m);
    CHECK(j.dump() == "[[1.0,2.0],[3.0,4.0]]");
    CHECK(jepasnn::matrix_from_json<double>(j, "m") == m);
    CHECK(jepasnn::to_json(jepasnn::Vector<double>::LinSpaced(3, 0, 1)).dump() == "[0.0,0.5,1.0]");
    CHECK_THROWS_WITH(jepasnn::matrix_from_json<double>(Json::parse("[[1,2],[3]]"), "w"),
                      "w: row 1 has 1 entries, expected 2");
    CHECK_THROWS_WITH(jepasnn::vector_from_json<double>(Json::parse("[1,\"x\"]"), "v"),
                      "v: entry 1 is not a number");
}
