#include <jepasnn/core/atomic_file.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using jepasnn::test::TempDir;

namespace {
std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator{}));
}
}  // namespace

TEST_CASE("the target appears complete or not at all") {
    TempDir tmp;
    const fs::path target = tmp / "out.bin";
    jepasnn::write_atomically(target, [](std::ostream& o) { o << "first"; });
    CHECK(jepasnn::test::read_text(target) == "first");

    // A writer that fails half-way leaves the old file untouched and no temporary behind.
    CHECK_THROWS_WITH(jepasnn::write_atomically(target,
                                                [](std::ostream& o) {
                                                    o << "partial";
                                                    jepasnn::fail("writer", "input turned out bad");
                                                }),
                      "writer: input turned out bad");
    CHECK(jepasnn::test::read_text(target) == "first");
    CHECK(entries(tmp.path()) == 1);

    // The same for a fresh target: nothing at all appears.
    CHECK_THROWS(jepasnn::write_atomically(
        tmp / "new.bin", [](std::ostream&) { throw std::runtime_error("boom"); }));
    CHECK_FALSE(fs::exists(tmp / "new.bin"));
    CHECK(entries(tmp.path()) == 1);
}

TEST_CASE("an unwritable destination is a clear error") {
    TempDir tmp;
    CHECK_THROWS_WITH(
        jepasnn::write_atomically(tmp / "no/such/dir/x.bin", [](std::ostream& o) { o << 1; }),
        Catch::Contains("x.bin") && Catch::Contains("cannot create file"));
}
