// CPU parity of the device Philox fill: every element must equal uniform_at on the host, bit for
// bit. Inputs (seed, stream) are drawn fresh each run from rapidcheck.
#include <jepasnn/cuda/philox_fill.cuh>

#include <rapidcheck/catch.h>

#include <vector>

#include "test_support.hpp"

TEST_CASE("fill_uniform equals the CPU stream bit for bit") {
    if (jepasnn::cuda::device_count() == 0) JEPASNN_SKIP("no CUDA device on this machine");
    rc::prop("device uniforms == host uniforms", [] {
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const auto stream = *rc::gen::arbitrary<std::uint64_t>();
        const auto n = *rc::gen::inRange<std::uint64_t>(1, 100000);
        double* d = nullptr;
        jepasnn::cuda::check(cudaMalloc(&d, n * sizeof(double)), "cudaMalloc");
        jepasnn::cuda::fill_uniform(d, n, seed, stream);
        std::vector<double> h(n);
        jepasnn::cuda::check(cudaMemcpy(h.data(), d, n * sizeof(double), cudaMemcpyDeviceToHost),
                             "cudaMemcpy");
        cudaFree(d);
        for (std::uint64_t i = 0; i < n; ++i)
            RC_ASSERT(h[i] == jepasnn::uniform_at(seed, stream, i));
    });
}
