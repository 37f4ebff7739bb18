// The quadrature of SIGReg's Epps–Pulley statistic: knots t_k = linspace(0, t_max, K), the
// standard normal characteristic function φ_k = exp(−t_k²/2) and trapezoid weights
// w_k = Δt·φ_k·[1, 2, …, 2, 1] (the doubled interior covers the symmetric half, DESIGN.md).
//
// The official LeJEPA code (rbalestr-lab/lejepa, EppsPulley) builds t, φ and w as float32 tensors
// even when the model runs in float64, so its float64 statistic uses float32-rounded knots, and
// φ comes from PyTorch's CPU float32 exp. To agree with it to 1e-10 (tests/assets/reference/
// sigreg.json) the "official" table reproduces that construction step by step; the "exact"
// table uses double throughout. The two differ by about 1e-8 relative.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::jepa {

namespace detail {

/// float32 exp as PyTorch 1.13 evaluates it on x86 CPUs with AVX2 (Sleef_expf8_u10; Shibata &
/// Petrogalli, "SLEEF: a portable vectorized library of C standard mathematical functions",
/// IEEE TPDS 31(6), 2020): Cody–Waite reduction d = q·ln2 + s with ln2 split into two floats,
/// a degree-6 polynomial in s evaluated with fused multiply-adds, then scaling by 2^q in two
/// halves. It is within 1 ulp of exp but not always correctly rounded (t = 2.25 of the default
/// knots rounds differently from glibc), which is why the official table needs it.
inline float torch_cpu_expf(float d) {
    if (d < -104.0f) return 0.0f;
    if (d > 88.72283935546875f) return INFINITY;
    const float q = std::nearbyint(d * 1.442695040888963407359924681001892137f);
    float s = std::fma(q, -0.693145751953125f, d);
    s = std::fma(q, -1.428606765330187045e-06f, s);
    float u = 0.000198527617612853646278381f;
    u = std::fma(u, s, 0.00139304355252534151077271f);
    u = std::fma(u, s, 0.00833336077630519866943359f);
    u = std::fma(u, s, 0.0416664853692054748535156f);
    u = std::fma(u, s, 0.166666671633720397949219f);
    u = std::fma(u, s, 0.5f);
    u = 1.0f + std::fma(s * s, u, s);
    const int k = static_cast<int>(q);
    return u * std::ldexp(1.0f, k >> 1) * std::ldexp(1.0f, k - (k >> 1));
}

/// torch.linspace(0, t_max, K, dtype=float32) on CPU: step = t_max/(K − 1) in float; element i
/// is start + step·i below K/2 and end − step·(K − 1 − i) from there on, except that the
/// vectorised kernel (AVX2: 8 lanes, two vectors per iteration while 16 elements remain) forms
/// each 8-lane vector as base + j·step from its first element.
inline std::vector<float> torch_cpu_linspace_f32(float end, std::int64_t k) {
    std::vector<float> t(static_cast<std::size_t>(k));
    if (k == 1) {
        t[0] = 0.0f;
        return t;
    }
    const float start = 0.0f;
    const float step = (end - start) / static_cast<float>(k - 1);
    const std::int64_t halfway = k / 2;
    auto scalar_at = [&](std::int64_t i) {
        return i < halfway ? start + step * static_cast<float>(i)
                           : end - step * static_cast<float>(k - i - 1);
    };
    std::int64_t i = 0;
    for (; i + 16 <= k; i += 16)
        for (std::int64_t v = i; v < i + 16; v += 8) {
            const float base = scalar_at(v);
            for (int j = 0; j < 8; ++j)
                t[static_cast<std::size_t>(v + j)] = base + static_cast<float>(j) * step;
        }
    for (; i < k; ++i)
        t[static_cast<std::size_t>(i)] = scalar_at(i);
    return t;
}

}  // namespace detail

/// Which quadrature table to build.
enum class KnotPrecision {
    official_float32,  // as the official LeJEPA code (float32 buffers): parity with its outputs
    exact_double       // t, φ and w in double
};

constexpr std::array<std::pair<KnotPrecision, std::string_view>, 2> enum_names(KnotPrecision) {
    return {{{KnotPrecision::official_float32, "official_float32"},
             {KnotPrecision::exact_double, "exact_double"}}};
}

struct SigRegKnots {
    std::vector<double> t;       // (K) knots
    std::vector<double> phi;     // (K) exp(−t²/2)
    std::vector<double> weight;  // (K) trapezoid weight × φ
    /// t_k == k·t_1 exactly: then cos/sin(t_k y) follow from e^{i t_1 y} by repeated rotation,
    /// one sincos per sample instead of K.
    bool uniform = false;

    Index size() const { return static_cast<Index>(t.size()); }

    static SigRegKnots make(Index knots, double t_max, KnotPrecision precision) {
        require(knots >= 2, "SigRegKnots", "knot count is ", knots, ", expected >= 2");
        require(t_max > 0.0 && std::isfinite(t_max) && t_max <= 13.0, "SigRegKnots", "t_max is ",
                t_max, ", expected a finite value in (0, 13]");
        SigRegKnots q;
        const auto k = static_cast<std::size_t>(knots);
        q.t.resize(k);
        q.phi.resize(k);
        q.weight.resize(k);
        const double dt = t_max / static_cast<double>(knots - 1);
        if (precision == KnotPrecision::official_float32) {
            // EppsPulley.__init__: t = linspace(…, float32); weights = full(2·dt, float32) with
            // dt at both ends; phi = exp(−t²·0.5) in float32; weights = weights·phi in float32.
            const std::vector<float> t32 =
                detail::torch_cpu_linspace_f32(static_cast<float>(t_max), knots);
            for (std::size_t i = 0; i < k; ++i) {
                const float phi32 = detail::torch_cpu_expf(-((t32[i] * t32[i]) * 0.5f));
                const float base = static_cast<float>(i == 0 || i + 1 == k ? dt : 2.0 * dt);
                q.t[i] = t32[i];
                q.phi[i] = phi32;
                q.weight[i] = static_cast<double>(base * phi32);
            }
        } else {
            for (std::size_t i = 0; i < k; ++i) {
                q.t[i] = dt * static_cast<double>(i);
                q.phi[i] = std::exp(-0.5 * q.t[i] * q.t[i]);
                q.weight[i] = (i == 0 || i + 1 == k ? dt : 2.0 * dt) * q.phi[i];
            }
        }
        q.uniform = q.t[0] == 0.0;
        for (std::size_t i = 1; i < k && q.uniform; ++i)
            q.uniform = q.t[i] == static_cast<double>(i) * q.t[1];
        return q;
    }
};

}  // namespace jepasnn::jepa
