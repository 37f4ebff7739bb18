// Causal temporal convolution and GRU: central-difference gradient checks in double over random
// shapes (rapidcheck), causality, a naive reference for the convolution, and PyTorch goldens.
#include <jepasnn/nn/causal_conv.hpp>
#include <jepasnn/nn/gru.hpp>

#include <rapidcheck/catch.h>

#include <algorithm>
#include <limits>

#include "nn_test_util.hpp"

namespace nn = jepasnn::nn;
using jepasnn::Index;
using jepasnn::test::Mat;
using jepasnn::test::random_matrix;
using jepasnn::test::span_of;

using jepasnn::test::weighted_magnitude;
using jepasnn::test::weighted_sum;

TEST_CASE("causal convolution matches its definition and central differences", "[tolerance]") {
    rc::prop("random shapes kernels and dilations", [] {
        const Index steps = *rc::gen::inRange(1, 7), batch = *rc::gen::inRange(1, 4);
        const Index in = *rc::gen::inRange(1, 4), out = *rc::gen::inRange(1, 4);
        const Index kernel = *rc::gen::inRange(1, 5), dilation = *rc::gen::inRange(1, 4);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        nn::ParameterLayout layout;
        nn::CausalConv<double> conv(layout, "conv", in, out, kernel, dilation);
        nn::Parameters<double> p(layout);
        p.initialize(seed);
        Mat x = random_matrix(steps * batch, in, seed, 1);
        const Mat w = random_matrix(steps * batch, out, seed, 2);

        Mat y;
        conv.forward(y, x, batch, p);
        // Against the definition, to the summation bound n·ε·Σ|terms| of its n ≤ kernel·in + 1
        // terms, twice (both sides round).
        const double eps = std::numeric_limits<double>::epsilon();
        const double n = static_cast<double>(kernel * in + 1);
        const auto W = p.value(conv.weight());
        for (Index t = 0; t < steps; ++t)
            for (Index b = 0; b < batch; ++b) {
                Mat expect = p.value(conv.bias());
                Mat magnitude = p.value(conv.bias()).cwiseAbs();
                for (Index j = 0; j < kernel; ++j)
                    if (t - j * dilation >= 0) {
                        const Mat x_row = x.row((t - j * dilation) * batch + b);
                        expect += x_row * W.middleRows(j * in, in);
                        magnitude += x_row.cwiseAbs() * W.middleRows(j * in, in).cwiseAbs();
                    }
                RC_ASSERT(((y.row(t * batch + b) - expect).cwiseAbs().array() <=
                           2.0 * n * eps * magnitude.array())
                              .all());
            }

        auto loss = [&] {
            Mat yy;
            conv.forward(yy, x, batch, p);
            return weighted_sum(yy, w);
        };
        Mat dx = Mat::Zero(x.rows(), in);
        conv.backward(dx, w, batch, p);
        conv.gradient(p, w, x, batch);
        const std::vector<double> grads(p.gradients().begin(), p.gradients().end());
        const double scale = weighted_magnitude(y, w);
        jepasnn::test::rc_check_gradient("dx", loss, span_of(x), span_of(dx), scale);
        jepasnn::test::rc_check_gradient("dparams", loss, p.values(), grads, scale);
    });
}

TEST_CASE("causal convolution and GRU outputs never depend on later steps") {
    rc::prop("perturbing step t0 leaves every output before t0 unchanged", [] {
        const Index steps = *rc::gen::inRange(2, 9), batch = *rc::gen::inRange(1, 4);
        const Index t0 = *rc::gen::inRange<Index>(1, steps);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        nn::ParameterLayout layout;
        nn::CausalConv<double> conv(layout, "conv", 3, 4, 3, 2);
        nn::Gru<double> gru(layout, "gru", 4, 5);
        nn::Parameters<double> p(layout);
        p.initialize(seed);
        Mat x = random_matrix(steps * batch, 3, seed, 1);
        Mat c1, h1, c2, h2;
        conv.forward(c1, x, batch, p);
        gru.forward(h1, c1, batch, p);
        x.middleRows(t0 * batch, batch).array() += 10.0;
        conv.forward(c2, x, batch, p);
        gru.forward(h2, c2, batch, p);
        RC_ASSERT(c1.topRows(t0 * batch) == c2.topRows(t0 * batch));
        RC_ASSERT(h1.topRows(t0 * batch) == h2.topRows(t0 * batch));
        RC_ASSERT(h1.row(t0 * batch) != h2.row(t0 * batch));
    });
}

TEST_CASE("GRU backpropagation through time matches central differences", "[tolerance]") {
    rc::prop("random shapes with an initial state", [] {
        const Index steps = *rc::gen::inRange(1, 6), batch = *rc::gen::inRange(1, 4);
        const Index in = *rc::gen::inRange(1, 5), hidden = *rc::gen::inRange(1, 5);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        nn::ParameterLayout layout;
        nn::Gru<double> gru(layout, "gru", in, hidden);
        nn::Parameters<double> p(layout);
        jepasnn::test::randomize(p, seed, 0.7);
        Mat x = random_matrix(steps * batch, in, seed, 1);
        Mat h0 = random_matrix(batch, hidden, seed, 3);
        const Mat w = random_matrix(steps * batch, hidden, seed, 2);
        auto loss = [&] {
            Mat y;
            gru.forward(y, x, batch, p, h0);
            return weighted_sum(y, w);
        };
        Mat y;
        gru.forward(y, x, batch, p, h0);
        Mat dx = Mat::Zero(x.rows(), in);
        gru.backward(dx, w, y, batch, p);
        gru.gradient(p, x, y, batch);
        const Mat dh0 = gru.initial_state_gradient();
        const std::vector<double> grads(p.gradients().begin(), p.gradients().end());
        // Each output (1 − z)·n + z·h_prev mixes terms of size up to max(1, |h0|) (n = tanh(·),
        // the state a convex combination of them and h0) that may cancel: S = Σ|w|·max(1, |h0|).
        const double scale = w.cwiseAbs().sum() * std::max(1.0, h0.cwiseAbs().maxCoeff());
        jepasnn::test::rc_check_gradient("dx", loss, span_of(x), span_of(dx), scale);
        jepasnn::test::rc_check_gradient("dh0", loss, span_of(h0), span_of(dh0), scale);
        jepasnn::test::rc_check_gradient("dparams", loss, p.values(), grads, scale);
    });
}

TEST_CASE("causal convolution matches a left-padded PyTorch Conv1d") {
    const auto g =
        jepasnn::read_json(jepasnn::test::test_asset("nn/torch_reference.json"))["causal_conv"];
    const Index batch = g["batch"], in = g["in"], out = g["out"], kernel = g["kernel"],
                dilation = g["dilation"];
    nn::ParameterLayout layout;
    nn::CausalConv<double> conv(layout, "conv", in, out, kernel, dilation);
    nn::Parameters<double> p(layout);
    p.value(conv.weight()) = jepasnn::test::json_matrix(g["weight"]);
    p.value(conv.bias()) = jepasnn::test::json_row(g["bias"]);
    const Mat x = jepasnn::test::time_major(g["x"]);
    Mat y;
    conv.forward(y, x, batch, p);
    CHECK(jepasnn::test::max_abs_diff(y, jepasnn::test::time_major(g["y"])) < 1e-14);
    const Mat up = jepasnn::test::time_major(g["upstream"]);
    Mat dx = Mat::Zero(x.rows(), in);
    conv.backward(dx, up, batch, p);
    conv.gradient(p, up, x, batch);
    CHECK(jepasnn::test::max_abs_diff(dx, jepasnn::test::time_major(g["dx"])) < 1e-13);
    CHECK(jepasnn::test::max_abs_diff(p.gradient(conv.weight()),
                                      jepasnn::test::json_matrix(g["dweight"])) < 1e-13);
    CHECK(jepasnn::test::max_abs_diff(p.gradient(conv.bias()),
                                      jepasnn::test::json_row(g["dbias"])) < 1e-13);
}

TEST_CASE("GRU matches PyTorch nn.GRU values and gradients") {
    const auto g = jepasnn::read_json(jepasnn::test::test_asset("nn/torch_reference.json"))["gru"];
    const Index batch = g["batch"], in = g["in"], hidden = g["hidden"];
    nn::ParameterLayout layout;
    nn::Gru<double> gru(layout, "gru", in, hidden);
    nn::Parameters<double> p(layout);
    p.value(layout.find("gru.w_x")) = jepasnn::test::json_matrix(g["w_x"]);
    p.value(layout.find("gru.b_x")) = jepasnn::test::json_row(g["b_x"]);
    p.value(layout.find("gru.w_h")) = jepasnn::test::json_matrix(g["w_h"]);
    p.value(layout.find("gru.b_h")) = jepasnn::test::json_row(g["b_h"]);
    const Mat x = jepasnn::test::time_major(g["x"]);
    const Mat h0 = jepasnn::test::json_matrix(g["h0"]);
    Mat y;
    gru.forward(y, x, batch, p, h0);
    CHECK(jepasnn::test::max_abs_diff(y, jepasnn::test::time_major(g["y"])) < 1e-14);
    const Mat up = jepasnn::test::time_major(g["upstream"]);
    Mat dx = Mat::Zero(x.rows(), in);
    gru.backward(dx, up, y, batch, p);
    gru.gradient(p, x, y, batch);
    CHECK(jepasnn::test::max_abs_diff(dx, jepasnn::test::time_major(g["dx"])) < 1e-13);
    CHECK(jepasnn::test::max_abs_diff(gru.initial_state_gradient(),
                                      jepasnn::test::json_matrix(g["dh0"])) < 1e-13);
    for (const char* name : {"w_x", "w_h"})
        CHECK(jepasnn::test::max_abs_diff(p.gradient(layout.find(std::string("gru.") + name)),
                                          jepasnn::test::json_matrix(g[std::string("d") + name])) <
              1e-13);
    for (const char* name : {"b_x", "b_h"})
        CHECK(jepasnn::test::max_abs_diff(p.gradient(layout.find(std::string("gru.") + name)),
                                          jepasnn::test::json_row(g[std::string("d") + name])) <
              1e-13);
}
