// Catch2 runner shared by every test executable. It states how the random inputs of this run
// were seeded, so that a failure can be reproduced: rapidcheck properties take RC_PARAMS
// (CI pins it; unset, rapidcheck draws a fresh seed and prints it as "Using configuration:
// seed=..."), and Catch's own --rng-seed is printed too.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char* argv[]) {
    Catch::Session session;
    if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
    const char* rc_params = std::getenv("RC_PARAMS");
    // stderr: stdout is parsed by catch_discover_tests when it lists the tests.
    std::cerr << "test seeds: RC_PARAMS=" << (rc_params ? rc_params : "(unset: fresh seed)")
              << ", catch --rng-seed " << session.config().rngSeed() << std::endl;
    return session.run();
}
