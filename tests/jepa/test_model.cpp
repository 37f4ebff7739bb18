// The LeJEPA model: whole-model central-difference gradient checks in double for every encoder
// kind and regulariser, causality (perturbing future bins leaves past latents untouched),
// streaming encode = one long forward, held-out sessions, and configuration round trips.
#include <jepasnn/jepa/model.hpp>

#include <rapidcheck/catch.h>

#include "central_differences.hpp"
#include "jepa_test_util.hpp"

namespace jepa = jepasnn::jepa;
using jepasnn::Index;
using Mat = jepasnn::RowMatrix<double>;

namespace {

jepa::Batch<double> tiny_batch(const std::vector<jepa::SessionRecording<double>>& data,
                               Index length, std::uint64_t seed) {
    const jepa::WindowSampler sampler(jepa::runs_of<double>(data, false), length);
    return jepa::make_batch<double>(data, sampler.sample(5, seed, 0), length);
}

/// Analytic parameter gradients of forward_backward against central differences of its loss,
/// with the bound of central_differences.hpp. S is the loss itself: (1 − λ)·L_pred + λ·R sums
/// nonnegative terms (mean squares, SIGReg statistics, VICReg hinges and squared covariances).
/// With hidden = 2 the read-in LayerNorm maps a row to ±d/√(d² + 4·eps): where a row's two
/// features nearly tie, the loss varies on a scale down to ~√eps/|x| (about 1e-3) in the read-in
/// weights. A plain central difference at h = 1e-6 then exceeded a fixed 1e-6 tolerance for some
/// seeds through its h²·f‴/6 term; the extrapolated difference stays within the bound there.
template <class Model>
jepasnn::test::CentralDifferenceCheck model_gradient_check(
    Model& model, const jepa::Batch<double>& batch,
    jepasnn::jepa::Gradients mode = jepasnn::jepa::Gradients::all) {
    const jepa::RegularizerContext ctx{7, 3};
    auto& p = model.parameters();
    p.zero_gradients();
    const double scale = model.forward_backward(batch, ctx, mode).total;
    // readin_only: only the read-ins (the first blocks of the layout) have gradients.
    const auto [offset, size] = model.readin_range(model.sessions() - 1);
    const std::size_t checked = mode == jepasnn::jepa::Gradients::all ? p.size() : offset + size;
    const std::vector<double> analytic(
        p.gradients().begin(), p.gradients().begin() + static_cast<std::ptrdiff_t>(checked));
    auto loss = [&] { return model.forward_backward(batch, ctx, mode).total; };
    return jepasnn::test::check_central_differences(loss, p.values().subspan(0, checked), analytic,
                                                    scale);
}

}  // namespace

TEST_CASE("whole-model gradients match central differences for every encoder and regulariser",
          "[tolerance]") {
    jepasnn::test::SingleThread one;
    rc::prop("random sizes windows and dropout", [] {
        auto c = jepasnn::test::tiny_model_config();
        c.hidden = *rc::gen::inRange(2, 6);
        c.latent = *rc::gen::inRange(2, 4);
        c.horizon = *rc::gen::inRange(1, 3);
        c.burn_in = *rc::gen::inRange(0, 3);
        c.dropout = *rc::gen::element(0.0, 0.25);
        c.init_seed = *rc::gen::arbitrary<std::uint64_t>();
        const Index length = c.burn_in + *rc::gen::inRange(2, 5);
        const auto data = jepasnn::test::toy_sessions<double>({7, 5}, 120, c.init_seed, 40);
        const auto batch = tiny_batch(data, length, c.init_seed);
        jepa::SigRegConfig sig;
        sig.directions = 12;
        const int kind = *rc::gen::inRange(0, 7);
        jepasnn::test::CentralDifferenceCheck check;
        switch (kind) {
            case 0: {
                jepa::LeJepa<double, jepa::ConvGruEncoder, jepa::SigRegRegularizer> m(
                    c, jepa::SigRegRegularizer<double>(sig));
                check = model_gradient_check(m, batch);
            } break;
            case 1: {
                jepa::LeJepa<double, jepa::ConvEncoder, jepa::SigRegRegularizer> m(
                    c, jepa::SigRegRegularizer<double>(sig));
                check = model_gradient_check(m, batch);
            } break;
            case 2: {
                jepa::LeJepa<double, jepa::GruEncoder, jepa::VicRegRegularizer> m(c);
                check = model_gradient_check(m, batch);
                // VICReg's hinge max(0, γ − s_j) has a kink at s_j = γ, where no finite difference
                // converges: discard the rare draws whose steps (|Δs_j| ≲ 2h·|∂s_j/∂θ| ~ 1e-4)
                // could reach it. z of the last evaluation is within 2h of the point.
                const jepa::VicRegConfig v;
                const Mat z = m.last_latents().bottomRows((length - c.burn_in) * batch.size);
                const Mat centred = z.rowwise() - z.colwise().mean();
                double margin = 1.0;
                for (Index j = 0; j < z.cols(); ++j) {
                    const double var = centred.col(j).squaredNorm() / double(z.rows() - 1);
                    margin = std::min(margin, std::abs(std::sqrt(var + v.eps) - v.gamma));
                }
                RC_PRE(margin > 1e-3);
            } break;
            case 3: {
                jepa::LeJepa<double, jepa::ConvGruEncoder, jepa::EmaTargetRegularizer> m(c);
                // Let the target drift away from the online weights first.
                for (double& v : m.parameters().values())
                    v *= 1.1;
                check = model_gradient_check(m, batch);
            } break;
            case 4: {
                jepa::LeJepa<double, jepa::ConvGruEncoder, jepa::NoRegularizer> m(c);
                check = model_gradient_check(m, batch);
            } break;
            case 5: {
                // Per-state SIGReg: bins labelled in alternating runs of 3, so time steps mix
                // the two states.
                auto labelled = data;
                for (auto& d : labelled) {
                    d.state.resize(static_cast<std::size_t>(d.bins()));
                    for (std::size_t k = 0; k < d.state.size(); ++k)
                        d.state[k] = static_cast<std::uint8_t>((k / 3) % 2);
                }
                jepa::SigRegConfig per_state = sig;
                per_state.per_state = true;
                jepa::LeJepa<double, jepa::GruEncoder, jepa::SigRegRegularizer> m(
                    c, jepa::SigRegRegularizer<double>(per_state));
                check = model_gradient_check(m, tiny_batch(labelled, length, c.init_seed));
            } break;
            default: {
                jepa::LeJepa<double, jepa::ConvGruEncoder, jepa::SigRegRegularizer> m(
                    c, jepa::SigRegRegularizer<double>(sig));
                check = model_gradient_check(m, batch, jepa::Gradients::readin_only);
                // readin_only leaves every other gradient at zero.
                auto& p = m.parameters();
                for (const auto& b : p.layout().blocks())
                    if (b.name.rfind("readin.session", 0) != 0)
                        RC_ASSERT(p.gradient(b).cwiseAbs().maxCoeff() == 0.0);
            }
        }
        jepasnn::test::rc_assert_central_differences("kind " + std::to_string(kind), check);
    });
}

TEST_CASE("latents never depend on future bins for any encoder") {
    auto check = [](auto model) {
        const auto data = jepasnn::test::toy_sessions<double>({7, 5}, 150, 4);
        Mat x = data[1].input();
        const Mat z1 = model.encode(1, x, 64);
        for (Index t0 : {1, 40, 149}) {
            Mat y = x;
            y.bottomRows(x.rows() - t0).array() += 3.0;
            const Mat z2 = model.encode(1, y, 64);
            CHECK(z1.topRows(t0) == z2.topRows(t0));
            CHECK(z1.row(t0) != z2.row(t0));
        }
    };
    const auto c = jepasnn::test::tiny_model_config();
    check(jepa::LeJepa<double, jepa::ConvGruEncoder>(c));
    check(jepa::LeJepa<double, jepa::ConvEncoder>(c));
    check(jepa::LeJepa<double, jepa::GruEncoder>(c));
}

TEST_CASE("streaming encode equals one long forward and the training forward") {
    const auto c = jepasnn::test::tiny_model_config();
    jepa::LeJepa<double> model(c);
    const auto data = jepasnn::test::toy_sessions<double>({7, 5}, 300, 5);
    const Mat x = data[0].input();
    const Mat whole = model.encode(0, x, 100000);
    for (Index chunk : {1, 7, 64}) {
        const Mat parts = model.encode(0, x, chunk);
        CHECK((parts - whole).cwiseAbs().maxCoeff() < 1e-12);
        // Reading the input from the counts a chunk at a time gives the same latents, bitwise.
        const auto input = [&](Index first, Index rows) { return data[0].input(first, rows); };
        CHECK(model.encode(0, x.rows(), input, chunk) == parts);
    }
    // The batched training forward of one window from bin 0 sees the same causal history.
    const auto batch = jepa::make_batch<double>(data, {{0, 0}}, 20);
    model.evaluate(batch, {1, 0});
    CHECK((model.last_latents() - whole.topRows(20)).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("adding a held-out session keeps every trained parameter") {
    auto c = jepasnn::test::tiny_model_config();
    jepa::LeJepa<float> model(c);
    const std::vector<float> before(model.parameters().values().begin(),
                                    model.parameters().values().end());
    const auto old_layout = model.parameters().layout();
    const std::size_t s = model.add_session(9, 123);
    CHECK(s == 2);
    CHECK(model.sessions() == 3);
    for (const auto& b : old_layout.blocks()) {
        const auto now = model.parameters().value(model.parameters().layout().find(b.name));
        for (Index i = 0; i < now.size(); ++i)
            CHECK(now.data()[i] == before[b.offset + static_cast<std::size_t>(i)]);
    }
    const auto [offset, size] = model.readin_range(s);
    CHECK(offset == model.parameters().layout().find("readin.session2.weight").offset);
    CHECK(size == 9 * 6 + 6);
    CHECK_THROWS_WITH(model.readin_range(3), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(model.add_session(0, 1), Catch::Contains("0 units"));
}

TEST_CASE("model configuration round-trips through JSON and rejects bad values") {
    auto c = jepasnn::test::tiny_model_config();
    c.dropout = 0.1;
    const auto j = jepasnn::settings_json(c);
    const auto back = jepa::model_config_from_json(j);
    CHECK(jepasnn::settings_json(back) == j);
    CHECK(jepa::model_config_from_json(jepasnn::Json{{"session_units", {3}}}).hidden == 128);
    auto bad = j;
    bad["latent_dim"] = 3;
    CHECK_THROWS_WITH(jepa::model_config_from_json(bad),
                      Catch::Contains("unknown field 'latent_dim'"));
    bad = j;
    bad["lambda"] = 1.5;
    CHECK_THROWS_WITH(jepa::model_config_from_json(bad), Catch::Contains("lambda is 1.5"));
    bad = j;
    bad["hidden"] = "big";
    CHECK_THROWS_WITH(jepa::model_config_from_json(bad),
                      Catch::Contains("'hidden' has the wrong type"));
    CHECK_THROWS_WITH(jepa::model_config_from_json(jepasnn::Json::object()),
                      Catch::Contains("session_units is empty"));
    // The regulariser settings round-trip too.
    jepa::SigRegConfig sig;
    sig.directions = 99;
    sig.precision = jepa::KnotPrecision::exact_double;
    const auto r = jepa::SigRegRegularizer<float>(sig).config_json();
    CHECK(jepa::SigRegRegularizer<float>::from_json(r).config_json() == r);
    CHECK_THROWS_WITH(jepa::SigRegRegularizer<float>::from_json({{"knot_precision", "half"}}),
                      Catch::Contains("'half'"));
    CHECK(jepa::LeJepa<float>(c).describe()["encoder"] == "gru");
    // The EMA and "none" settings are read as strictly.
    CHECK(jepa::EmaTargetRegularizer<float>::from_json({{"decay", 0.9}}).target_decay() == 0.9);
    CHECK_THROWS_WITH(jepa::EmaTargetRegularizer<float>::from_json({{"decay", 1.0}}),
                      Catch::Contains("ema config: decay is 1, expected [0, 1)"));
    CHECK_THROWS_WITH(jepa::NoRegularizer<float>::from_json({{"decay", 0.9}}),
                      Catch::Contains("none config: unknown field 'decay'"));
}

TEST_CASE("a fitted scaler round-trips through JSON and a corrupted one is rejected") {
    Mat counts(6, 3);
    counts << 0, 1, 4, 2, 1, 0, 5, 1, 3, 1, 1, 9, 0, 1, 2, 7, 1, 1;
    const std::vector<jepasnn::data::RowRange> train{{0, 6}};
    const auto scaler = jepa::UnitScaler::fit(counts, train, jepa::CountTransform::log1p);
    const jepasnn::Json j = jepasnn::settings_json(scaler);
    const auto back = jepasnn::read_settings<jepa::UnitScaler>(j, "f.json");
    CHECK(jepasnn::settings_json(back) == j);
    CHECK(back.apply<double>(counts) == scaler.apply<double>(counts));  // bit for bit
    CHECK(scaler.scale(1) == 1.0);  // a unit constant on the training rows keeps its scale
    jepasnn::Json bad = j;
    bad["scale"][2] = 0.0;
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::UnitScaler>(bad, "f.json"),
                      Catch::Contains("f.json: unit 2 has mean") && Catch::Contains("scale > 0"));
    bad = j;
    bad["mean"].erase(0);
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::UnitScaler>(bad, "f.json"),
                      Catch::Contains("mean has 2 units and scale 3"));
    bad = j;
    bad["transform"] = "cube";
    CHECK_THROWS_WITH(jepasnn::read_settings<jepa::UnitScaler>(bad, "f.json"),
                      Catch::Contains("'cube' is not one of 'sqrt', 'log1p' or 'none'"));
}

TEST_CASE("the model rejects batches that do not fit it") {
    const auto c = jepasnn::test::tiny_model_config();
    jepa::LeJepa<double> model(c);
    const auto data = jepasnn::test::toy_sessions<double>({7, 5}, 100, 6);
    const auto short_batch = jepa::make_batch<double>(data, {{0, 0}}, 3);
    CHECK_THROWS_WITH(model.forward_backward(short_batch, {1, 0}),
                      Catch::Contains("at least burn_in + 2 = 4"));
    const auto wrong_units = jepasnn::test::toy_sessions<double>({5, 7}, 100, 6);
    const auto batch = jepa::make_batch<double>(wrong_units, {{0, 0}}, 8);
    CHECK_THROWS_WITH(model.forward_backward(batch, {1, 0}), Catch::Contains("expected *x7"));
    CHECK_THROWS_WITH(model.encode(0, Mat::Zero(10, 5)), Catch::Contains("expected *x7"));
}
