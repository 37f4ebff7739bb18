#include <jepasnn/core/progress.hpp>
#include <jepasnn/core/timer.hpp>

#include <cstdlib>
#include <thread>

#include "test_support.hpp"

TEST_CASE("progress is quiet in CI or on request") {
    CHECK(jepasnn::progress_style(true) == jepasnn::ProgressStyle::quiet);
    const char* old = std::getenv("CI");
    const std::string saved = old ? old : "";
    ::setenv("CI", "true", 1);
    CHECK(jepasnn::progress_style(false) == jepasnn::ProgressStyle::quiet);
    ::setenv("CI", "0", 1);
    CHECK(jepasnn::progress_style(false) != jepasnn::ProgressStyle::quiet);
    if (old)
        ::setenv("CI", saved.c_str(), 1);
    else
        ::unsetenv("CI");

    jepasnn::ProgressBar bar("quiet", 10, jepasnn::ProgressStyle::quiet);
    for (int i = 0; i < 10; ++i)
        bar.advance();
    bar.finish();
    CHECK(bar.elapsed_seconds() >= 0.0);
}

TEST_CASE("scoped timers accumulate by name and in first-seen order") {
    jepasnn::TimingLog log;
    {
        jepasnn::ScopedTimer t(log, "load");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    { jepasnn::ScopedTimer t(log, "train"); }
    {
        jepasnn::ScopedTimer t(log, "load");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(log.entries().size() == 2);
    CHECK(log.entries()[0].first == "load");
    CHECK(log.entries()[0].second >= 0.010);
    CHECK(log.total() >= log.entries()[0].second);
    CHECK(log.to_json().begin().key() == "load");
}
