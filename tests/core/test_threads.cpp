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
