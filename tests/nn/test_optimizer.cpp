// AdamW against torch.optim.AdamW, the warm-up + cosine schedule, global-norm clipping against
// torch.nn.utils.clip_grad_norm_, and the parameter buffer (layout, views, seeded init).
#include <jepasnn/nn/adamw.hpp>
#include <jepasnn/nn/linear.hpp>
#include <jepasnn/nn/parameters.hpp>

#include <rapidcheck/catch.h>

#include "nn_test_util.hpp"

namespace nn = jepasnn::nn;

TEST_CASE("AdamW follows torch.optim.AdamW step by step with a weight-decay mask") {
    const auto g =
        jepasnn::read_json(jepasnn::test::test_asset("nn/torch_reference.json"))["adamw"];
    nn::AdamWConfig config;
    config.beta1 = g["beta1"];
    config.beta2 = g["beta2"];
    config.eps = g["eps"];
    config.weight_decay = g["weight_decay"];
    std::vector<double> params = g["p0"].get<std::vector<double>>();
    nn::AdamW<double> opt(params.size(), config, g["decay_mask"].get<std::vector<std::uint8_t>>());
    for (std::size_t s = 0; s < g["lrs"].size(); ++s) {
        const auto grads = g["grads"][s].get<std::vector<double>>();
        opt.step(params, grads, g["lrs"][s].get<double>());
        const auto expect = g["params"][s].get<std::vector<double>>();
        for (std::size_t i = 0; i < params.size(); ++i) {
            INFO("step " << s << ", parameter " << i);
            CHECK(params[i] == Approx(expect[i]).margin(1e-15).epsilon(1e-14));
        }
    }
    CHECK(opt.steps_taken() == g["lrs"].size());
}

TEST_CASE("AdamW state restores into an identical continuation") {
    rc::prop("k steps then restore equals uninterrupted steps", [] {
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        const std::size_t n = *rc::gen::inRange<std::size_t>(1, 30);
        const int k = *rc::gen::inRange(1, 5);
        std::vector<float> a(n), grads(n);
        for (std::size_t i = 0; i < n; ++i)
            a[i] = static_cast<float>(jepasnn::normal_at(seed, 1, i));
        std::vector<float> b = a;
        nn::AdamW<float> oa(n, {}), ob(n, {});
        auto grad_at = [&](int s) {
            for (std::size_t i = 0; i < n; ++i)
                grads[i] = static_cast<float>(jepasnn::normal_at(seed, 2 + s, i));
        };
        for (int s = 0; s < k; ++s) {
            grad_at(s);
            oa.step(a, grads, 1e-2);
            ob.step(b, grads, 1e-2);
        }
        nn::AdamW<float> oc(n, {});
        oc.restore(ob.steps_taken(), ob.first_moment(), ob.second_moment());
        for (int s = k; s < k + 3; ++s) {
            grad_at(s);
            oa.step(a, grads, 1e-2);
            oc.step(b, grads, 1e-2);
        }
        RC_ASSERT(a == b);
    });
}

TEST_CASE("AdamW rejects mismatched buffers and bad hyper-parameters") {
    nn::AdamW<double> opt(3, {});
    std::vector<double> p(3), g(2);
    CHECK_THROWS_WITH(opt.step(p, g, 1e-3),
                      Catch::Contains("gradients has 2 elements, expected 3"));
    nn::AdamWConfig bad;
    bad.beta2 = 1.0;
    CHECK_THROWS_WITH(nn::AdamW<double>(3, bad), Catch::Contains("beta2 is 1"));
    CHECK_THROWS_WITH(nn::AdamW<double>(3, {}, {1, 0}), Catch::Contains("weight-decay mask"));
}

TEST_CASE("warm-up then cosine schedule hits its anchor points") {
    nn::WarmupCosineSchedule s{1e-3, 10, 110, 1e-5};
    CHECK(s.at(0) == Approx(1e-4));
    CHECK(s.at(9) == Approx(1e-3));
    CHECK(s.at(10) == Approx(1e-3));
    CHECK(s.at(60) == Approx(1e-5 + (1e-3 - 1e-5) * 0.5));
    CHECK(s.at(110) == Approx(1e-5));
    CHECK(s.at(5000) == Approx(1e-5));
    for (std::uint64_t k = 10; k < 110; ++k)
        CHECK(s.at(k + 1) <= s.at(k));
    nn::WarmupCosineSchedule no_warmup{2e-3, 0, 4, 0.0};
    CHECK(no_warmup.at(0) == Approx(2e-3));
    CHECK(no_warmup.at(2) == Approx(1e-3));
    CHECK_THROWS_WITH((nn::WarmupCosineSchedule{1e-3, 20, 10, 0.0}.validate("s")),
                      Catch::Contains("exceeds"));
}

TEST_CASE("global norm clipping matches torch.nn.utils.clip_grad_norm_") {
    const auto g = jepasnn::read_json(jepasnn::test::test_asset("nn/torch_reference.json"))["clip"];
    std::vector<double> grads = g["grads"].get<std::vector<double>>();
    const double norm = nn::clip_global_norm<double>(grads, g["max_norm"].get<double>());
    CHECK(norm == Approx(g["norm"].get<double>()).epsilon(1e-14));
    const auto expect = g["clipped"].get<std::vector<double>>();
    for (std::size_t i = 0; i < grads.size(); ++i)
        CHECK(grads[i] == Approx(expect[i]).epsilon(1e-14));
    std::vector<double> small{0.1, -0.2};
    CHECK(nn::clip_global_norm<double>(small, 10.0) == Approx(std::sqrt(0.05)));
    CHECK(small == std::vector<double>{0.1, -0.2});
    std::vector<double> bad{1.0, std::nan("")};
    CHECK(std::isnan(nn::clip_global_norm<double>(bad, 1.0)));
}

TEST_CASE("parameters live in one buffer with typed views and a seeded init") {
    nn::ParameterLayout layout;
    nn::Linear<double> a(layout, "a", 3, 2), b(layout, "b", 2, 4);
    CHECK(layout.size() == 3 * 2 + 2 + 2 * 4 + 4);
    CHECK(layout.find("b.weight").offset == 8);
    const auto mask = layout.decay_mask();
    CHECK(std::count(mask.begin(), mask.end(), 1) == 6 + 8);
    CHECK(mask[6] == 0);  // a.bias
    nn::Parameters<double> p(layout), q(layout);
    p.initialize(5);
    q.initialize(5);
    CHECK(std::equal(p.values().begin(), p.values().end(), q.values().begin()));
    q.initialize(6);
    CHECK_FALSE(std::equal(p.values().begin(), p.values().end(), q.values().begin()));
    // Views alias the buffer, and PyTorch's bound U(±1/√fan_in) holds.
    p.value(b.weight())(1, 3) = 42.0;
    CHECK(p.values()[8 + 1 * 4 + 3] == 42.0);
    CHECK(p.value(a.weight()).cwiseAbs().maxCoeff() <= 1.0 / std::sqrt(3.0));
    p.gradient(a.bias())(0, 1) = 1.5;
    p.zero_gradients();
    CHECK(p.gradient(a.bias())(0, 1) == 0.0);
    CHECK_THROWS_WITH(layout.add("a.weight", 1, 1, true, nn::Init::zeros),
                      Catch::Contains("twice"));
    CHECK_THROWS_WITH(layout.find("nope"), Catch::Contains("no block named 'nope'"));
}
