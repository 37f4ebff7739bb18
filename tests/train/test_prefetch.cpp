// train::Prefetcher: a step's item is make(step) whether it was prefetched or built on the spot;
// the next step's item is built ahead (on another thread) only when enabled and asked for; a
// take out of order builds its own item; an error while prefetching reaches the step that needs
// the item, not the one that started it; the share of step time spent waiting is reported.
#include <catch2/catch.hpp>
#include <jepasnn/train/prefetch.hpp>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using jepasnn::train::Prefetcher;

namespace {

/// make(s) of the tests: records how often it ran and on which thread, fails at `fail_at`.
struct CountingMake {
    std::atomic<int>* calls;
    std::atomic<bool>* other_thread;
    std::uint64_t fail_at = ~std::uint64_t{0};
    std::thread::id caller = std::this_thread::get_id();

    std::vector<std::uint64_t> operator()(std::uint64_t s) const {
        ++*calls;
        if (std::this_thread::get_id() != caller) *other_thread = true;
        if (s == fail_at) throw std::runtime_error("item " + std::to_string(s) + " is bad");
        return {s, s * s, s + 7};
    }
};

std::vector<std::uint64_t> prefetch_expected(std::uint64_t s) {
    return {s, s * s, s + 7};
}

}  // namespace

TEST_CASE("a prefetched item is the item built on the spot, and only asked-for items are built") {
    for (const bool enabled : {true, false}) {
        std::atomic<int> calls{0};
        std::atomic<bool> other{false};
        const CountingMake make{&calls, &other};
        Prefetcher<std::vector<std::uint64_t>> p(enabled);
        CHECK(p.enabled() == enabled);
        CHECK(p.wait_status().empty());
        for (std::uint64_t s = 0; s < 6; ++s) {
            CHECK(p.take(s, s + 1 < 6, make) == prefetch_expected(s));
            p.end_step();
            // when enabled, the next step's item is already built once take() has returned
            CHECK(calls.load() == static_cast<int>(s) + 1 + (enabled && s + 1 < 6 ? 1 : 0));
        }
        CHECK(calls.load() == 6);  // no item built twice, none past the last step
        CHECK(other.load() == enabled);
        CHECK(p.wait_seconds() >= 0.0);
        CHECK(p.step_seconds() >= p.wait_seconds());
        CHECK(p.wait_status().starts_with(" data wait "));
    }
}

TEST_CASE("a take out of order builds its own item and drops the prefetched one") {
    std::atomic<int> calls{0};
    std::atomic<bool> other{false};
    const CountingMake make{&calls, &other};
    Prefetcher<std::vector<std::uint64_t>> p;
    CHECK(p.take(3, true, make) == prefetch_expected(3));  // starts 4
    CHECK(p.take(9, true, make) == prefetch_expected(9));  // 4 dropped, starts 10
    CHECK(p.take(10, false, make) == prefetch_expected(10));
    CHECK(calls.load() == 4);
}

TEST_CASE("an error while prefetching is raised by the take of its step") {
    std::atomic<int> calls{0};
    std::atomic<bool> other{false};
    const CountingMake make{&calls, &other, 2};
    Prefetcher<std::vector<std::uint64_t>> p;
    CHECK(p.take(0, true, make) == prefetch_expected(0));
    CHECK(p.take(1, true, make) == prefetch_expected(1));  // item 2 fails on the other thread
    p.end_step();
    CHECK_THROWS_WITH(p.take(2, true, make), "item 2 is bad");
    CHECK(p.take(3, false, make) == prefetch_expected(3));  // and the prefetcher goes on
}
