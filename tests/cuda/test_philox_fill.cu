// CPU parity of the device Philox streams: fill_uniform bit for bit, fill_normal up to the device
// libm's last place, and DeviceRandomStream word for word with RandomStream. Inputs (seed,
// stream, sizes) are drawn fresh each run from rapidcheck.
#include <jepasnn/cuda/philox_fill.cuh>

#include <rapidcheck/catch.h>

#include <cmath>
#include <vector>

#include "cuda_test_support.hpp"

namespace {
/// Thread k draws `per_thread` uniforms then one normal from DeviceRandomStream(seed, stream + k).
__global__ void sequential_draws_kernel(double* out, unsigned threads, unsigned per_thread,
                                        std::uint64_t seed, std::uint64_t stream) {
    const unsigned k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= threads) return;
    jepasnn::cuda::DeviceRandomStream rng(seed, stream + k);
    for (unsigned i = 0; i < per_thread; ++i)
        out[k * (per_thread + 1) + i] = rng.uniform();
    out[k * (per_thread + 1) + per_thread] = rng.normal();
}
}  // namespace

TEST_CASE("fill_uniform equals the CPU stream bit for bit") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("device uniforms == host uniforms", [] {
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const auto stream = *rc::gen::arbitrary<std::uint64_t>();
        const auto n = *rc::gen::inRange<std::uint64_t>(1, 100000);
        jepasnn::cuda::DeviceBuffer<double> d(n);
        jepasnn::cuda::fill_uniform(d.data(), n, seed, stream);
        const std::vector<double> h = d.to_host();
        for (std::uint64_t i = 0; i < n; ++i)
            RC_ASSERT(h[i] == jepasnn::uniform_at(seed, stream, i));
    });
}

TEST_CASE("fill_normal equals normal_at up to the last place") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("device normals ~ host normals", [] {
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const auto stream = *rc::gen::arbitrary<std::uint64_t>();
        const auto n = *rc::gen::inRange<std::uint64_t>(1, 100000);
        jepasnn::cuda::DeviceBuffer<double> d(n);
        jepasnn::cuda::fill_normal(d.data(), n, seed, stream);
        const std::vector<double> h = d.to_host();
        for (std::uint64_t i = 0; i < n; ++i) {
            const double expected = jepasnn::normal_at(seed, stream, i);
            RC_ASSERT(std::abs(h[i] - expected) <= 1e-14 * std::max(1.0, std::abs(expected)));
        }
    });
}

TEST_CASE("DeviceRandomStream consumes words as RandomStream does") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("uniforms bit for bit then a normal", [] {
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const auto stream = *rc::gen::inRange<std::uint64_t>(0, std::uint64_t{1} << 62);
        const auto threads = *rc::gen::inRange<unsigned>(1, 300);
        const auto per_thread = *rc::gen::inRange<unsigned>(0, 9);
        jepasnn::cuda::DeviceBuffer<double> d(static_cast<std::size_t>(threads) * (per_thread + 1));
        sequential_draws_kernel<<<jepasnn::cuda::blocks_for(threads, 128), 128>>>(
            d.data(), threads, per_thread, seed, stream);
        jepasnn::cuda::check_launch("sequential_draws_kernel");
        const std::vector<double> h = d.to_host();
        for (unsigned k = 0; k < threads; ++k) {
            jepasnn::RandomStream rng(seed, stream + k);
            for (unsigned i = 0; i < per_thread; ++i)
                RC_ASSERT(h[k * (per_thread + 1) + i] == rng.uniform());
            const double normal = rng.normal();
            RC_ASSERT(std::abs(h[k * (per_thread + 1) + per_thread] - normal) <=
                      1e-14 * std::max(1.0, std::abs(normal)));
        }
    });
}
