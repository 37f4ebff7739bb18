// CPU parity of the device SIGReg (directions, forward statistic, backward) against
// jepa/sigreg.hpp, and of the cuBLAS teacher layer against nn/linear.hpp, on fresh random inputs.
// In float the device must be as accurate as the CPU: both are compared with the CPU in double.
#include <jepasnn/cuda/blas.cuh>
#include <jepasnn/cuda/sigreg.cuh>
#include <jepasnn/jepa/sigreg.hpp>
#include <jepasnn/nn/linear.hpp>

#include <rapidcheck/catch.h>

#include <cstdint>
#include <vector>

#include "cuda_test_support.hpp"

namespace {

using namespace jepasnn;
using jepasnn::test::normal_values;
using jepasnn::test::relative_error;
using jepasnn::test::tolerance;

template <class T>
std::vector<T> flat(const RowMatrix<T>& m) {
    return {m.data(), m.data() + m.size()};
}

/// SIGReg value and gradient on the device for z (N × D) and directions (D × M).
template <class T>
std::pair<double, std::vector<T>> device_sigreg(const RowMatrix<T>& z, const RowMatrix<T>& a,
                                                const jepa::SigRegKnots& q, double scale) {
    const cuda::BlasHandle blas;
    const cuda::DeviceKnots knots(q);
    cuda::DeviceBuffer<T> dz_dev, z_dev, a_dev, scratch;
    z_dev.upload(z.data(), static_cast<std::size_t>(z.size()));
    a_dev.upload(a.data(), static_cast<std::size_t>(a.size()));
    dz_dev.resize(static_cast<std::size_t>(z.size()));
    dz_dev.zero();
    cuda::DeviceSigRegCache<T> cache;
    const double value = cuda::sigreg_forward<T>(blas, cache, z_dev.data(), z.rows(), z.cols(),
                                                 a_dev.data(), a.cols(), knots);
    cuda::sigreg_backward<T>(blas, dz_dev.data(), cache, a_dev.data(), z.cols(), knots, scale,
                             scratch);
    return {value, dz_dev.to_host()};
}

template <class T>
std::pair<double, std::vector<T>> host_sigreg(const RowMatrix<T>& z, const RowMatrix<T>& a,
                                              const jepa::SigRegKnots& q, double scale) {
    jepa::SigRegCache<T> cache;
    const double value = jepa::sigreg_forward<T>(cache, z, a, q);
    RowMatrix<T> dz = RowMatrix<T>::Zero(z.rows(), z.cols());
    jepa::sigreg_backward<T>(dz, cache, a, q, scale);
    return {value, flat(dz)};
}

struct SigRegCase {
    Index n, d, m, knots;
    std::uint64_t seed, step;
    double scale;
};

SigRegCase draw_case() {
    return {*rc::gen::inRange<Index>(2, 700),     *rc::gen::inRange<Index>(1, 40),
            *rc::gen::inRange<Index>(1, 80),      *rc::gen::inRange<Index>(2, 30),
            *rc::gen::arbitrary<std::uint64_t>(), *rc::gen::inRange<std::uint64_t>(0, 1000000),
            *rc::gen::inRange(1, 100) / 10.0};
}

template <class T>
RowMatrix<T> embeddings(const SigRegCase& c) {
    const std::vector<double> v =
        normal_values<double>(static_cast<std::size_t>(c.n * c.d), c.seed, 11, 0.1, 1.2);
    return Eigen::Map<const RowMatrix<double>>(v.data(), c.n, c.d).cast<T>();
}

}  // namespace

TEST_CASE("device SIGReg directions equal the CPU directions") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("normal_at through the device libm, normalised in double", [] {
        const SigRegCase c = draw_case();
        const RowMatrix<double> expected =
            jepa::sigreg_directions<double>(c.d, c.m, c.seed, c.step);
        cuda::DeviceBuffer<double> out(static_cast<std::size_t>(c.d * c.m));
        cuda::sigreg_directions<double>(out.data(), c.d, c.m, c.seed, c.step);
        RC_ASSERT(relative_error(out.to_host(), flat(expected)) <= 1e-13);
    });
}

TEST_CASE("device SIGReg forward and backward match the CPU in double") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("uniform and official knots", [] {
        const SigRegCase c = draw_case();
        const auto precision = *rc::gen::element(jepa::KnotPrecision::official_float32,
                                                 jepa::KnotPrecision::exact_double);
        const jepa::SigRegKnots q = jepa::SigRegKnots::make(c.knots, 3.0, precision);
        const RowMatrix<double> z = embeddings<double>(c);
        const RowMatrix<double> a = jepa::sigreg_directions<double>(c.d, c.m, c.seed, c.step);
        const auto [value, dz] = device_sigreg<double>(z, a, q, c.scale);
        const auto [expected, expected_dz] = host_sigreg<double>(z, a, q, c.scale);
        RC_ASSERT(std::abs(value - expected) <= 1e-10 * std::max(1.0, std::abs(expected)));
        RC_ASSERT(relative_error(dz, expected_dz, 1e-12) <= 1e-10);
    });
}

TEST_CASE("device SIGReg in float is as accurate as the CPU in float") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("errors against the double CPU reference", [] {
        const SigRegCase c = draw_case();
        const jepa::SigRegKnots q =
            jepa::SigRegKnots::make(c.knots, 3.0, jepa::KnotPrecision::official_float32);
        const RowMatrix<double> z = embeddings<double>(c);
        const RowMatrix<double> a = jepa::sigreg_directions<double>(c.d, c.m, c.seed, c.step);
        const auto [reference, reference_dz] = host_sigreg<double>(z, a, q, c.scale);
        const RowMatrix<float> zf = z.cast<float>(), af = a.cast<float>();
        const auto [cpu, cpu_dz] = host_sigreg<float>(zf, af, q, c.scale);
        const auto [gpu, gpu_dz] = device_sigreg<float>(zf, af, q, c.scale);
        const double value_floor = 1e-5 * std::max(1.0, std::abs(reference));
        RC_ASSERT(std::abs(gpu - reference) <=
                  std::max(2.0 * std::abs(cpu - reference), value_floor));
        const std::vector<double> ref_dz(reference_dz.begin(), reference_dz.end());
        const std::vector<double> cpu_d(cpu_dz.begin(), cpu_dz.end()),
            gpu_d(gpu_dz.begin(), gpu_dz.end());
        RC_ASSERT(relative_error(gpu_d, ref_dz, 1e-6) <=
                  std::max(2.0 * relative_error(cpu_d, ref_dz, 1e-6), 1e-5));
    });
}

TEST_CASE("cuBLAS linear layer matches nn linear forward backward and gradient") {
    JEPASNN_REQUIRE_GPU();
    rc::prop("row-major float matrices", [] {
        const Index rows = *rc::gen::inRange<Index>(1, 300), in = *rc::gen::inRange<Index>(1, 90),
                    out = *rc::gen::inRange<Index>(1, 90);
        const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
        auto matrix = [&](Index r, Index c, std::uint64_t stream) {
            const std::vector<float> v =
                normal_values<float>(static_cast<std::size_t>(r * c), seed, stream, 0.0, 1.0);
            return RowMatrix<float>(Eigen::Map<const RowMatrix<float>>(v.data(), r, c));
        };
        const RowMatrix<float> x = matrix(rows, in, 1), w = matrix(in, out, 2),
                               b = matrix(1, out, 3), dy = matrix(rows, out, 4);
        RowMatrix<float> y, dx = matrix(rows, in, 5), dw = matrix(in, out, 6),
                            db = matrix(1, out, 7);
        cuda::DeviceBuffer<float> x_d, w_d, b_d, dy_d, y_d(static_cast<std::size_t>(rows * out)),
            dx_d, dw_d, db_d;
        x_d.upload(x.data(), static_cast<std::size_t>(x.size()));
        w_d.upload(w.data(), static_cast<std::size_t>(w.size()));
        b_d.upload(b.data(), static_cast<std::size_t>(b.size()));
        dy_d.upload(dy.data(), static_cast<std::size_t>(dy.size()));
        dx_d.upload(dx.data(), static_cast<std::size_t>(dx.size()));
        dw_d.upload(dw.data(), static_cast<std::size_t>(dw.size()));
        db_d.upload(db.data(), static_cast<std::size_t>(db.size()));
        const cuda::BlasHandle blas;
        cuda::linear_forward<float>(blas, y_d.data(), x_d.data(), w_d.data(), b_d.data(), rows, in,
                                    out);
        cuda::linear_backward<float>(blas, dx_d.data(), dy_d.data(), w_d.data(), rows, in, out);
        cuda::linear_gradient<float>(blas, dw_d.data(), db_d.data(), dy_d.data(), x_d.data(), rows,
                                     in, out);
        nn::linear_forward<float>(y, x, w, b);
        nn::linear_backward<float>(dx, dy, w);
        nn::linear_gradient<float>(dw, db, dy, x);
        // Dot products of length in, out or rows: tolerance grows with √length.
        const double tol = 1e-6 * std::sqrt(static_cast<double>(std::max({rows, in, out})));
        RC_ASSERT(relative_error(y_d.to_host(), flat(y)) <= tol);
        RC_ASSERT(relative_error(dx_d.to_host(), flat(dx)) <= tol);
        RC_ASSERT(relative_error(dw_d.to_host(), flat(dw)) <= tol);
        RC_ASSERT(relative_error(db_d.to_host(), flat(db)) <= tol);
    });
}
