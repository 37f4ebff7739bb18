// Linear, activations, LayerNorm, dropout and the per-session read-in: central-difference
// gradient checks in double over random shapes (rapidcheck), and values against PyTorch.
#include <jepasnn/nn/activations.hpp>
#include <jepasnn/nn/dropout.hpp>
#include <jepasnn/nn/layer_norm.hpp>
#include <jepasnn/nn/linear.hpp>
#include <jepasnn/nn/session_readin.hpp>

#include <rapidcheck/catch.h>

#include <limits>

#include "nn_test_util.hpp"

namespace nn = jepasnn::nn;
using jepasnn::Index;
using jepasnn::test::Mat;
using jepasnn::test::random_matrix;
using jepasnn::test::span_of;

using jepasnn::test::weighted_magnitude;
using jepasnn::test::weighted_sum;

TEST_CASE("linear backward and gradient match central differences", "[tolerance]") {
    rc::prop("random shapes", [] {
        const Index rows = *rc::gen::inRange(1, 7), in = *rc::gen::inRange(1, 6),
                    out = *rc::gen::inRange(1, 6);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        nn::ParameterLayout layout;
        nn::Linear<double> lin(layout, "lin", in, out);
        nn::Parameters<double> p(layout);
        p.initialize(seed);
        Mat x = random_matrix(rows, in, seed, 1);
        const Mat w = random_matrix(rows, out, seed, 2);
        auto loss = [&] {
            Mat y;
            lin.forward(y, x, p);
            return weighted_sum(y, w);
        };
        Mat y;
        lin.forward(y, x, p);
        const double scale = weighted_magnitude(y, w);
        Mat dx = Mat::Zero(rows, in);
        lin.backward(dx, w, p);
        lin.gradient(p, w, x);
        jepasnn::test::rc_check_gradient("dx", loss, span_of(x), span_of(dx), scale);
        const std::vector<double> grads(p.gradients().begin(), p.gradients().end());
        jepasnn::test::rc_check_gradient("dparams", loss, p.values(), grads, scale);
        // Gradients accumulate: a second call adds the same amount again.
        lin.gradient(p, w, x);
        for (std::size_t i = 0; i < grads.size(); ++i)
            RC_ASSERT(std::abs(p.gradients()[i] - 2.0 * grads[i]) <=
                      1e-12 * (1.0 + std::abs(grads[i])));
    });
}

template <class F>
void check_activation_derivative() {
    rc::prop(std::string(F::name), [] {
        const Index rows = *rc::gen::inRange(1, 6), cols = *rc::gen::inRange(1, 6);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        Mat x = random_matrix(rows, cols, seed, 1, 2.0);
        // Keep ReLU's inputs away from its kink, where a difference quotient is meaningless (the
        // widest step, 2h·max(1, |x|) ≈ 1.2e-5, stays well inside the 1e-3 margin).
        if constexpr (std::is_same_v<F, nn::Relu>)
            for (Index i = 0; i < x.size(); ++i)
                if (std::abs(x.data()[i]) < 1e-3) x.data()[i] = 0.5;
        const Mat w = random_matrix(rows, cols, seed, 2);
        nn::Activation<double, F> act;
        auto loss = [&] {
            Mat y;
            act.forward(y, x);
            return weighted_sum(y, w);
        };
        Mat y;
        act.forward(y, x);
        Mat dx = Mat::Constant(rows, cols, 0.25);  // backward adds into what is there
        act.backward(dx, w, x, y);
        dx.array() -= 0.25;
        // GELU's ½x·(1 + erf(x/√2)) and its tanh form add terms of size |x| that cancel where
        // the output is small, so the loss rounds relative to Σ|x ⊙ w|, not to Σ|y ⊙ w|.
        const double scale = weighted_magnitude(x, w) + weighted_magnitude(y, w);
        jepasnn::test::rc_check_gradient("dx", loss, span_of(x), span_of(dx), scale);
    });
}

TEST_CASE("activation derivatives match central differences", "[tolerance]") {
    check_activation_derivative<nn::Gelu>();
    check_activation_derivative<nn::GeluTanh>();
    check_activation_derivative<nn::Tanh>();
    check_activation_derivative<nn::Relu>();
    check_activation_derivative<nn::Sigmoid>();
}

TEST_CASE("activation values and derivatives match PyTorch") {
    const auto doc = jepasnn::read_json(jepasnn::test::test_asset("nn/torch_reference.json"));
    const auto& a = doc["activations"];
    const auto x = jepasnn::vector_from_json<double>(a["x"], "x");
    auto check = [&](auto f, const char* name) {
        using F = decltype(f);
        const auto y = jepasnn::vector_from_json<double>(a[name]["y"], "y");
        const auto dy = jepasnn::vector_from_json<double>(a[name]["dy"], "dy");
        for (Index i = 0; i < x.size(); ++i) {
            INFO(name << " at x = " << x(i));
            CHECK(F::value(x(i)) == Approx(y(i)).margin(1e-15).epsilon(1e-14));
            CHECK(F::derivative(x(i), F::value(x(i))) ==
                  Approx(dy(i)).margin(1e-15).epsilon(1e-13));
            // float follows double to float precision
            CHECK(F::value(static_cast<float>(x(i))) ==
                  Approx(static_cast<float>(y(i))).margin(1e-6).epsilon(1e-5));
        }
    };
    check(nn::Gelu{}, "gelu");
    check(nn::GeluTanh{}, "gelu_tanh");
    check(nn::Sigmoid{}, "sigmoid");
    check(nn::Tanh{}, "tanh");
    check(nn::Relu{}, "relu");
}

TEST_CASE("layer norm backward and gradient match central differences", "[tolerance]") {
    rc::prop("random shapes and affine parameters", [] {
        const Index rows = *rc::gen::inRange(1, 6), cols = *rc::gen::inRange(1, 7);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        nn::ParameterLayout layout;
        nn::LayerNorm<double> ln(layout, "ln", cols);
        nn::Parameters<double> p(layout);
        jepasnn::test::randomize(p, seed, 1.0);
        Mat x = random_matrix(rows, cols, seed, 1, 1.5);
        const Mat w = random_matrix(rows, cols, seed, 2);
        auto loss = [&] {
            Mat y;
            ln.forward(y, x, p);
            return weighted_sum(y, w);
        };
        Mat y;
        ln.forward(y, x, p);
        // Rows whose features nearly tie make the output a steep function of x (a smoothed sign
        // for two features, on a scale ~√eps): the extrapolated difference of
        // central_differences.hpp covers that. The rounding of x − μ is relative to |x| + |μ|
        // and rstd amplifies it, so S sums |w|·(|gain|·(|x| + |μ|)·rstd + |shift| + |y|).
        double scale = weighted_magnitude(y, w);
        {
            const auto gain = p.value(ln.gain());
            const auto shift = p.value(ln.shift());
            for (Index r = 0; r < rows; ++r) {
                const double mu = x.row(r).mean();
                const double var = (x.row(r).array() - mu).square().mean();
                const double rstd = 1.0 / std::sqrt(var + 1e-5);  // the layer's default eps
                for (Index j = 0; j < cols; ++j)
                    scale += std::abs(w(r, j)) *
                             (std::abs(gain(0, j)) * (std::abs(x(r, j)) + std::abs(mu)) * rstd +
                              std::abs(shift(0, j)));
            }
        }
        Mat dx = Mat::Zero(rows, cols);
        ln.backward(dx, w, x, p);
        ln.gradient(p, w, x);
        const std::vector<double> grads(p.gradients().begin(), p.gradients().end());
        jepasnn::test::rc_check_gradient("dx", loss, span_of(x), span_of(dx), scale);
        jepasnn::test::rc_check_gradient("dparams", loss, p.values(), grads, scale);
    });
}

TEST_CASE("layer norm matches PyTorch values and gradients") {
    const auto g =
        jepasnn::read_json(jepasnn::test::test_asset("nn/torch_reference.json"))["layer_norm"];
    const Mat x = jepasnn::test::json_matrix(g["x"]);
    nn::ParameterLayout layout;
    nn::LayerNorm<double> ln(layout, "ln", x.cols());
    nn::Parameters<double> p(layout);
    p.value(ln.gain()) = jepasnn::test::json_row(g["gain"]);
    p.value(ln.shift()) = jepasnn::test::json_row(g["shift"]);
    Mat y;
    ln.forward(y, x, p);
    CHECK(jepasnn::test::max_abs_diff(y, jepasnn::test::json_matrix(g["y"])) < 1e-14);
    const Mat up = jepasnn::test::json_matrix(g["upstream"]);
    Mat dx = Mat::Zero(x.rows(), x.cols());
    ln.backward(dx, up, x, p);
    ln.gradient(p, up, x);
    CHECK(jepasnn::test::max_abs_diff(dx, jepasnn::test::json_matrix(g["dx"])) < 1e-13);
    CHECK(jepasnn::test::max_abs_diff(p.gradient(ln.gain()), jepasnn::test::json_row(g["dgain"])) <
          1e-13);
    CHECK(jepasnn::test::max_abs_diff(p.gradient(ln.shift()),
                                      jepasnn::test::json_row(g["dshift"])) < 1e-13);
}

TEST_CASE("dropout is a seeded counter-based mask with an exact backward", "[tolerance]") {
    rc::prop("same (seed and step) gives the same mask and the backward is that mask", [] {
        const Index rows = *rc::gen::inRange(1, 40), cols = *rc::gen::inRange(1, 9);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const auto step = *rc::gen::inRange<std::uint64_t>(0, 1000);
        const double prob = *rc::gen::element(0.1, 0.3, 0.5);
        nn::Dropout<double> a(prob, 7), b(prob, 7);
        Mat x = random_matrix(rows, cols, seed, 1);
        Mat ya, yb;
        a.forward(ya, x, seed, step, true);
        b.forward(yb, x, seed, step, true);
        RC_ASSERT(ya == yb);
        // Kept values are x·fl(1/(1 − p)): two roundings against the one of x/(1 − p) here.
        const double eps = std::numeric_limits<double>::epsilon();
        for (Index i = 0; i < x.size(); ++i) {
            const double v = ya.data()[i], expect = x.data()[i] / (1.0 - prob);
            RC_ASSERT((v == 0.0 || std::abs(v - expect) <= 2.0 * eps * std::abs(expect)));
        }
        const Mat w = random_matrix(rows, cols, seed, 2);
        auto loss = [&] {
            Mat y;
            a.forward(y, x, seed, step, true);
            return weighted_sum(y, w);
        };
        Mat dx = Mat::Zero(rows, cols);
        a.backward(dx, w);
        jepasnn::test::rc_check_gradient("dx", loss, span_of(x), span_of(dx),
                                         weighted_magnitude(ya, w));
    });
    // Evaluation mode and p = 0 are the identity.
    const Mat x = random_matrix(5, 4, 3, 1);
    nn::Dropout<double> d(0.5, 1), none(0.0, 1);
    Mat y;
    d.forward(y, x, 3, 0, false);
    CHECK(y == x);
    none.forward(y, x, 3, 0, true);
    CHECK(y == x);
    // The kept fraction is 1 − p and different steps draw different masks.
    const Mat big = Mat::Ones(2000, 50);
    Mat y0, y1;
    d.forward(y0, big, 11, 0, true);
    d.forward(y1, big, 11, 1, true);
    const double kept = static_cast<double>((y0.array() != 0.0).count()) / big.size();
    CHECK(kept == Approx(0.5).margin(0.01));  // ±7 standard errors
    CHECK(y0 != y1);
    CHECK_THROWS_WITH(nn::Dropout<double>(1.0, 1), Catch::Contains("expected [0, 1)"));
}

TEST_CASE("session read-in backward and gradient match central differences", "[tolerance]") {
    rc::prop("mixed sessions with different unit counts", [] {
        const std::size_t sessions = *rc::gen::inRange<std::size_t>(1, 4);
        std::vector<Index> units;
        for (std::size_t s = 0; s < sessions; ++s)
            units.push_back(*rc::gen::inRange(1, 6));
        const Index out = *rc::gen::inRange(1, 5), steps = *rc::gen::inRange(1, 4);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        // Slices: each session gets 1–2 sequences, in a shuffled session order.
        std::vector<std::size_t> order(sessions);
        std::iota(order.begin(), order.end(), std::size_t{0});
        jepasnn::RandomStream(seed, 5).shuffle(order.begin(), order.end());
        std::vector<nn::SessionSlice> slices;
        std::vector<Mat> inputs;
        Index batch = 0;
        for (std::size_t g = 0; g < sessions; ++g) {
            const Index count = 1 + static_cast<Index>((seed >> g) & 1u);
            slices.push_back({order[g], batch, count});
            inputs.push_back(random_matrix(steps * count, units[order[g]], seed, 10 + g));
            batch += count;
        }
        nn::ParameterLayout layout;
        nn::SessionReadIn<double> readin(layout, "readin", units, out);
        nn::Parameters<double> p(layout);
        p.initialize(seed);
        const Mat w = random_matrix(steps * batch, out, seed, 2);
        auto loss = [&] {
            Mat y;
            readin.forward(y, inputs, slices, batch, p);
            return weighted_sum(y, w);
        };
        // Against the definition: row (t, b) of slice g is x W_s + b_s, to the summation bound
        // n·ε·Σ|terms| of its n = units + 1 terms.
        const double eps = std::numeric_limits<double>::epsilon();
        Mat y;
        readin.forward(y, inputs, slices, batch, p);
        for (std::size_t g = 0; g < slices.size(); ++g)
            for (Index t = 0; t < steps; ++t)
                for (Index i = 0; i < slices[g].count; ++i) {
                    const auto& s = slices[g];
                    const Mat x_row = inputs[g].row(t * s.count + i);
                    const auto weight = p.value(readin.weight(s.session));
                    const auto bias = p.value(readin.bias(s.session));
                    const Mat expect = x_row * weight + bias;
                    const Mat magnitude = x_row.cwiseAbs() * weight.cwiseAbs() + bias.cwiseAbs();
                    const double n = static_cast<double>(x_row.size() + 1);
                    RC_ASSERT(((y.row(t * batch + s.first + i) - expect).cwiseAbs().array() <=
                               2.0 * n * eps * magnitude.array())
                                  .all());
                }
        std::vector<Mat> dinputs;
        for (const auto& x : inputs)
            dinputs.push_back(Mat::Zero(x.rows(), x.cols()));
        readin.backward(dinputs, w, slices, batch, p);
        readin.gradient(p, w, inputs, slices, batch);
        const std::vector<double> grads(p.gradients().begin(), p.gradients().end());
        const double scale = weighted_magnitude(y, w);
        for (std::size_t g = 0; g < inputs.size(); ++g)
            jepasnn::test::rc_check_gradient("dinput", loss, span_of(inputs[g]),
                                             span_of(dinputs[g]), scale);
        jepasnn::test::rc_check_gradient("dparams", loss, p.values(), grads, scale);
    });
}

TEST_CASE("session read-in rejects slices that do not tile the batch") {
    nn::ParameterLayout layout;
    nn::SessionReadIn<double> readin(layout, "readin", {3, 4}, 2);
    nn::Parameters<double> p(layout);
    std::vector<Mat> inputs{Mat::Zero(4, 3), Mat::Zero(4, 4)};
    Mat y;
    std::vector<nn::SessionSlice> gap{{0, 0, 2}, {1, 3, 2}};
    CHECK_THROWS_WITH(readin.forward(y, inputs, gap, 4, p), Catch::Contains("tiling the batch"));
    std::vector<nn::SessionSlice> bad_session{{0, 0, 2}, {5, 2, 2}};
    CHECK_THROWS_WITH(readin.forward(y, inputs, bad_session, 4, p), Catch::Contains("session 5"));
    std::vector<nn::SessionSlice> swapped{{1, 0, 2}, {0, 2, 2}};
    CHECK_THROWS_WITH(readin.forward(y, inputs, swapped, 4, p),
                      Catch::Contains("is 4x3, expected *x4"));
    CHECK_THROWS_WITH(nn::SessionReadIn<double>(layout, "other", {3, 0}, 2),
                      Catch::Contains("session 1 has 0 units"));
}
