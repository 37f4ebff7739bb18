#include <jepasnn/core/threads.hpp>

#include <atomic>
#include <vector>

#include "test_support.hpp"

TEST_CASE("parallel_for visits every index exactly once and rethrows the first error") {
    for (int threads : {1, 2, 3}) {
        jepasnn::set_thread_count(threads);
        std::vector<std::atomic<int>> hits(1001);
        jepasnn::parallel_for(0, 1001,
                              [&](std::int64_t i) { ++hits[static_cast<std::size_t>(i)]; });
        for (auto& h : hits)
            REQUIRE(h.load() == 1);
        CHECK_THROWS_WITH(jepasnn::parallel_for(0, 100,
                                                [](std::int64_t i) {
                                                    if (i == 57) jepasnn::fail("body", "index ", i);
                                                }),
                          "body: index 57");
    }
    jepasnn::parallel_for(5, 5, [](std::int64_t) { FAIL("empty range must not call the body"); });
    CHECK_THROWS_AS(jepasnn::set_thread_count(0), jepasnn::Error);
}

TEST_CASE("parallel_for_if_large uses the thread team only for large work, never nested") {
    const int before = jepasnn::thread_count();
    jepasnn::set_thread_count(2);
    const auto threads_seen = [](std::int64_t work, std::int64_t count) {
        std::vector<int> in_team(static_cast<std::size_t>(count), 0);
        jepasnn::parallel_for_if_large(work, 0, count, [&](std::int64_t i) {
            in_team[static_cast<std::size_t>(i)] = jepasnn::in_parallel_region() ? 1 : 0;
        });
        int sum = 0;
        for (int v : in_team)
            sum += v;
        return sum;
    };
    CHECK(threads_seen(jepasnn::min_parallel_work - 1, 8) == 0);  // small: the calling thread
    CHECK(threads_seen(jepasnn::min_parallel_work, 1) == 0);      // one item: no team
#if defined(_OPENMP)
    CHECK(threads_seen(jepasnn::min_parallel_work, 8) == 8);  // large: inside the team
    // Inside a parallel region a large loop runs on its own thread: each of the two outer
    // iterations visits every index once.
    std::vector<std::atomic<int>> hits(32);
    std::atomic<int> nested_worth{0};
    jepasnn::parallel_for(0, 2, [&](std::int64_t) {
        nested_worth += jepasnn::worth_parallel(jepasnn::min_parallel_work, 32) ? 1 : 0;
        jepasnn::parallel_for_if_large(jepasnn::min_parallel_work, 0, 32, [&](std::int64_t i) {
            ++hits[static_cast<std::size_t>(i)];
        });
    });
    CHECK(nested_worth.load() == 0);
    for (auto& h : hits)
        CHECK(h.load() == 2);
#endif
    jepasnn::set_thread_count(1);
    CHECK(threads_seen(jepasnn::min_parallel_work, 8) == 0);  // one thread: no team
    jepasnn::set_thread_count(before);
}

TEST_CASE("parallel_first_outside finds the same first index as the serial scan") {
    const int before = jepasnn::thread_count();
    const std::size_t n = 200'003;  // above min_parallel_work, not a multiple of the threads
    for (int threads : {1, 2, 3})
        for (std::size_t planted :
             {std::size_t{0}, std::size_t{70'001}, std::size_t{133'337}, n - 1, n}) {
            jepasnn::set_thread_count(threads);
            std::vector<float> x(n, 0.25f);
            if (planted < n) x[planted] = -1.0f;
            if (planted + 50'000 < n) x[planted + 50'000] = 7.0f;  // a later one does not win
            CHECK(jepasnn::parallel_first_outside(x.data(), n, 0.0f, 1.0f) == planted);
            CHECK(jepasnn::first_outside(x.data(), n, 0.0f, 1.0f) == planted);
        }
    jepasnn::set_thread_count(before);
}
