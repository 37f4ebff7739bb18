#include <jepasnn/core/npy.hpp>

#include <rapidcheck/catch.h>

#include "test_support.hpp"

using jepasnn::Error;
using jepasnn::load_npy;
using jepasnn::load_npy_matrix;
using jepasnn::RowMatrix;
using jepasnn::test::TempDir;
using jepasnn::test::test_asset;

namespace {
RowMatrix<double> golden_2x3() {
    RowMatrix<double> a(2, 3);
    a << -0.5, -0.25, 0.0, 0.25, 0.5, 0.75;
    return a;
}
std::string npy(const std::string& name) {
    return test_asset("npy/" + name).string();
}
}  // namespace

TEST_CASE("files written by numpy load with the right values") {
    CHECK(load_npy_matrix<double>(npy("f8_2x3.npy")) == golden_2x3());
    CHECK(load_npy_matrix<float>(npy("f4_2x3.npy")) == golden_2x3().cast<float>());
    CHECK(load_npy_matrix<double>(npy("f8_v2_2x3.npy")) == golden_2x3());
    CHECK(load_npy_matrix<double>(npy("f8_fortran_2x3.npy")) == golden_2x3());
    CHECK(load_npy_matrix<double>(npy("f8_bigendian_2x3.npy")) == golden_2x3());

    const auto i8 = load_npy<std::int64_t>(npy("i8_vec5.npy"));
    CHECK(i8.shape == std::vector<std::size_t>{5});
    CHECK(i8.data == std::vector<std::int64_t>{-2, -1, 0, 1, std::int64_t{1} << 40});

    const auto u2 = load_npy_matrix<std::uint16_t>(npy("u2_2x2.npy"));
    CHECK(u2(1, 0) == 65535);
    CHECK(u2(0, 1) == 2);

    const auto b1 = load_npy<bool>(npy("b1_vec4.npy"));
    CHECK(b1.data == std::vector<std::uint8_t>{1, 0, 0, 1});

    for (const char* name : {"i4_2x3x4.npy", "i4_fortran_2x3x4.npy"}) {
        INFO(name);
        const auto t = load_npy<std::int32_t>(npy(name));
        CHECK(t.shape == std::vector<std::size_t>{2, 3, 4});
        for (std::int32_t i = 0; i < 24; ++i)
            CHECK(t.data[static_cast<std::size_t>(i)] == i);
    }
    const auto empty = load_npy_matrix<double>(npy("f8_empty_0x3.npy"));
    CHECK(empty.rows() == 0);
    CHECK(empty.cols() == 3);
}

TEST_CASE("a wrong dtype or rank is refused with the file named") {
    CHECK_THROWS_WITH(load_npy_matrix<double>(npy("f4_2x3.npy")),
                      Catch::Contains("f4_2x3.npy") &&
                          Catch::Contains("expected dtype float64 ('<f8'), found float32"));
    CHECK_THROWS_WITH(load_npy_matrix<std::int32_t>(npy("i4_2x3x4.npy")),
                      Catch::Contains("expected a 2-D array, found shape (2, 3, 4)"));
    CHECK_THROWS_WITH(load_npy<double>(npy("c16_vec2.npy")),
                      Catch::Contains("unsupported .npy dtype '<c16'"));
    CHECK_THROWS_WITH(load_npy<double>(npy("does_not_exist.npy")), Catch::Contains("cannot open"));
}

TEST_CASE("malformed files are refused and never crash") {
    TempDir tmp;
    const std::string good = jepasnn::test::read_text(npy("f8_2x3.npy"));
    auto write = [&](const std::string& name, const std::string& bytes) {
        jepasnn::test::write_text(tmp / name, bytes);
        return (tmp / name).string();
    };
    CHECK_THROWS_WITH(load_npy<double>(write("magic.npy", "\x93NUMPZ" + good.substr(6))),
                      Catch::Contains("bad magic"));
    CHECK_THROWS_WITH(load_npy<double>(write("empty.npy", "")), Catch::Contains("bad magic"));
    CHECK_THROWS_WITH(
        load_npy<double>(write("short.npy", good.substr(0, good.size() - 5))),
        Catch::Contains("truncated .npy payload") && Catch::Contains("needs 48 bytes"));
    CHECK_THROWS_WITH(load_npy<double>(write("header.npy", good.substr(0, 40))),
                      Catch::Contains("truncated .npy header"));
    CHECK_THROWS_WITH(load_npy<double>(write("trailing.npy", good + "xyz")),
                      Catch::Contains("3 unexpected bytes"));
    std::string v9 = good;
    v9[6] = 9;
    CHECK_THROWS_WITH(load_npy<double>(write("v9.npy", v9)), Catch::Contains("version 9"));
    std::string noshape = good;
    noshape.replace(noshape.find("'shape'"), 7, "'shapf'");
    CHECK_THROWS_WITH(load_npy<double>(write("noshape.npy", noshape)),
                      Catch::Contains("no 'shape' entry"));
    std::string badorder = good;
    badorder.replace(badorder.find("False"), 5, "Maybe");
    CHECK_THROWS_WITH(load_npy<double>(write("order.npy", badorder)),
                      Catch::Contains("neither True nor False"));
    std::string badbool = jepasnn::test::read_text(npy("b1_vec4.npy"));
    badbool.back() = 7;
    CHECK_THROWS_WITH(load_npy<bool>(write("bool.npy", badbool)),
                      Catch::Contains("bool element 3 holds byte value 7"));
}

namespace {
template <class T>
void round_trip_property() {
    const auto rows = *rc::gen::inRange<std::size_t>(0, 9);
    const auto cols = *rc::gen::inRange<std::size_t>(1, 9);
    const auto values = *rc::gen::container<std::vector<T>>(rows * cols, rc::gen::arbitrary<T>());
    TempDir tmp;
    const auto path = tmp / "a.npy";
    const std::array<std::size_t, 2> shape{rows, cols};
    jepasnn::save_npy(path, values.data(), std::span<const std::size_t>(shape));
    const auto back = load_npy<T>(path);
    RC_ASSERT(back.shape == std::vector<std::size_t>(shape.begin(), shape.end()));
    // Bitwise equality (NaN payloads included); empty vectors may hold null pointers.
    RC_ASSERT(back.data.size() == values.size());
    if (!values.empty())
        RC_ASSERT(std::memcmp(back.data.data(), values.data(), values.size() * sizeof(T)) == 0);
}
}  // namespace

TEST_CASE("save then load is the identity for every supported dtype") {
    rc::prop("float64", [] { round_trip_property<double>(); });
    rc::prop("float32", [] { round_trip_property<float>(); });
    rc::prop("int64", [] { round_trip_property<std::int64_t>(); });
    rc::prop("int8", [] { round_trip_property<std::int8_t>(); });
    rc::prop("uint32", [] { round_trip_property<std::uint32_t>(); });
    rc::prop("uint16", [] { round_trip_property<std::uint16_t>(); });

    TempDir tmp;
    RowMatrix<double> a = golden_2x3();
    jepasnn::save_npy(tmp / "m.npy", a);
    CHECK(load_npy_matrix<double>(tmp / "m.npy") == a);
    // Column-major Eigen input is written in C order too.
    jepasnn::Matrix<double> col = a;
    jepasnn::save_npy(tmp / "c.npy", col);
    CHECK(load_npy_matrix<double>(tmp / "c.npy") == a);
    // The header is padded so the payload is 64-byte aligned, as numpy does.
    CHECK(jepasnn::read_npy_header(tmp / "m.npy").data_offset % 64 == 0);
}

TEST_CASE("our files are read back by numpy itself") {
    TempDir tmp;
    jepasnn::save_npy(tmp / "m.npy", golden_2x3());
    const std::vector<std::int64_t> v{3, -4, 5};
    jepasnn::save_npy(tmp / "v.npy", v);
    const auto r = jepasnn::test::run_program(
        JEPASNN_PYTHON,
        {"-c",
         "import sys, numpy as np; m = np.load(sys.argv[1]); v = np.load(sys.argv[2]);"
         "assert m.dtype == np.float64 and m.shape == (2, 3);"
         "assert (m == np.arange(6).reshape(2, 3) / 4.0 - 0.5).all();"
         "assert v.dtype == np.int64 and v.tolist() == [3, -4, 5]; print('ok')",
         (tmp / "m.npy").string(), (tmp / "v.npy").string()});
    if (r.err.find("No module named 'numpy'") != std::string::npos)
        JEPASNN_SKIP("numpy is not installed for " JEPASNN_PYTHON);
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == "ok\n");
}
