// snntorch 0.9.4 parity (DESIGN.md, "Student"): every case of a reference document recomputed by
// the library in double precision. Spikes must match exactly; membranes and BPTT gradients (the
// recurrent weight gradient and learnable beta/threshold gradients included) to 1e-10.
#include <jepasnn/lif/parity.hpp>

#include <functional>

#include "test_support.hpp"

namespace {

using jepasnn::Json;

/// max |a − b| / (1 + |b|) over two equally shaped nested arrays (or two numbers).
double max_difference(const Json& a, const Json& b, bool relative) {
    if (a.is_number()) {
        const double x = a.get<double>(), y = b.get<double>();
        return std::abs(x - y) / (relative ? 1.0 + std::abs(y) : 1.0);
    }
    REQUIRE(a.is_array());
    REQUIRE(b.is_array());
    REQUIRE(a.size() == b.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, max_difference(a[i], b[i], relative));
    return worst;
}

struct Tolerance {
    double value = 1e-10;
    bool relative = false;
};

void check_document(const Json& reference, const Json& ours,
                    const std::function<Tolerance(const Json&)>& tolerance) {
    REQUIRE(ours.at("cases").size() == reference.at("cases").size());
    for (std::size_t i = 0; i < reference.at("cases").size(); ++i) {
        const Json& ref = reference["cases"][i];
        const Json& got = ours["cases"][i];
        const Tolerance tol = tolerance(ref);
        INFO("case " << i << ": " << ref.at("kind") << " reset " << ref.at("reset") << " delay "
                     << ref.value("reset_delay", true) << " surrogate " << ref.at("surrogate"));
        CHECK(got.at("spk") == ref.at("spk"));
        for (const char* key : {"mem", "grad_input", "grad_w_rec", "grad_beta", "grad_threshold"})
            if (ref.contains(key)) {
                INFO(key);
                REQUIRE(got.contains(key));
                CHECK(max_difference(got.at(key), ref.at(key), tol.relative) < tol.value);
            }
    }
}

}  // namespace

TEST_CASE("parity document matches the shared snntorch reference") {
    const Json reference =
        jepasnn::read_json(jepasnn::test::test_asset("reference/snntorch_lif.json"));
    check_document(reference, jepasnn::lif::parity_document(reference),
                   [](const Json&) { return Tolerance{}; });
}

TEST_CASE("parity document matches extra snntorch cases for every policy") {
    // Made by tests/assets/lif/make_snntorch_extra.py: sigmoid and straight-through surrogates,
    // reset none, Synaptic, RLeaky zero, learnable per-neuron beta (clamped) and threshold.
    const Json reference = jepasnn::read_json(jepasnn::test::test_asset("lif/snntorch_extra.json"));
    REQUIRE(reference.at("cases").size() == 7);
    check_document(reference, jepasnn::lif::parity_document(reference), [](const Json& c) {
        // snntorch's RLeaky evaluates the recurrent map twice for a zero reset (base − R·base),
        // so the float32 spike gradient reaches each spike as two separately rounded parts; ours
        // is one product. Agreement is then at float32 rounding level, far below any semantic
        // difference (which is O(1)).
        if (c.at("kind") == "recurrent" && c.at("reset") == "zero") return Tolerance{1e-5, true};
        return Tolerance{};
    });
}
