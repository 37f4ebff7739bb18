// The CLI's general contract: help and version succeed; usage errors exit 2 with one line.
#include "test_support.hpp"

using jepasnn::test::run_cli;

TEST_CASE("help and version succeed") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    const auto help = run_cli({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("jepasnn") != std::string::npos);
    const auto version = run_cli({"--version"});
    CHECK(version.status == 0);
    CHECK(version.out.rfind("jepasnn 0.", 0) == 0);
}

TEST_CASE("usage errors exit 2 with a one-line message") {
    if (!jepasnn::test::have_cli) JEPASNN_SKIP("the CLI is not built (JEPASNN_BUILD_EXAMPLES=OFF)");
    jepasnn::test::check_cli_error(run_cli({}), "subcommand");
    const auto bad = run_cli({"--no-such-flag"});
    jepasnn::test::check_cli_error(bad, "jepasnn:");
    CHECK(bad.status == 2);
    const auto unknown = run_cli({"frobnicate"});
    CHECK(unknown.status == 2);
}
