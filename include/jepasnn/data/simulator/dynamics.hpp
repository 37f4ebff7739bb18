// The latent dynamics shared by every session of a cohort, on the simulator's 10 ms grid:
//   z_{t+1} = A z_t + V_img e_img(t) + b_change c_t + b_omit o_t + V_gabor e_gabor(t)
//             + b_flash f_t + b_run r_t + σ ∘ ε_t,
// A block-diagonal with decaying rotations and decays (DESIGN.md: "a slow rotation and a decay"),
// image-specific drive while an image is on, a stronger drive at changes, a surprise drive in
// omitted slots, running speed as an input, and Gaussian process noise scaled so that each mode's
// stationary noise variance is the same. Drives and A come from the cohort seed alone; sessions
// differ only in their schedule, running and noise.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <span>
#include <vector>

#include "../../core/json.hpp"
#include "../../core/rng.hpp"
#include "../../core/streams.hpp"
#include "../../core/tensor.hpp"
#include "config.hpp"
#include "schedule.hpp"

namespace jepasnn::data::sim {

/// One mode of A: a damped rotation (period > 0, two dimensions) or a decay (one dimension).
struct LatentMode {
    enum class Role { oscillation, arousal, surprise };
    double time_constant_s;
    double period_s;  // 0: a plain decay
    Role role = Role::oscillation;
};

/// The modes for d = 4..8, in order: the flash-locked oscillation, a slow rotation, arousal
/// (driven by running), surprise (changes and omissions), then extra rotations.
inline std::vector<LatentMode> latent_modes(std::size_t dim) {
    using Role = LatentMode::Role;
    const std::vector<LatentMode> all = {
        {0.5, 1.0}, {1.5, 6.0}, {4.0, 0.0, Role::arousal}, {0.3, 0.0, Role::surprise},
        {0.8, 2.5}, {1.0, 0.0}};
    std::vector<LatentMode> modes;
    std::size_t used = 0;
    for (const LatentMode& m : all) {
        const std::size_t width = m.period_s > 0.0 ? 2 : 1;
        if (used + width > dim) continue;
        modes.push_back(m);
        used += width;
        if (used == dim) break;
    }
    return modes;
}

struct LatentDynamics {
    std::size_t dim = 6;
    double bin_width = 0.01;
    RowMatrix<double> transition;                                             // A (dim, dim)
    RowMatrix<double> image_drive;                                            // V_img (images, dim)
    RowMatrix<double> gabor_drive;                                            // V_gabor (3, dim)
    Vector<double> change_drive, omission_drive, flash_drive, running_drive;  // (dim,)
    Vector<double> noise_sd;                                                  // σ (dim,)
    std::optional<std::size_t> arousal_dim;   // the dimension running drives (d >= 5)
    std::optional<std::size_t> surprise_dim;  // the one changes and omissions kick (d >= 6)
    double running_scale_cm_s = 30.0;

    static LatentDynamics from_seed(const SimulatorConfig& c, std::uint64_t seed) {
        c.validate();
        LatentDynamics d;
        d.dim = c.latent_dim;
        d.bin_width = c.bin_width;
        const auto n = static_cast<Index>(d.dim);
        d.transition = RowMatrix<double>::Zero(n, n);
        d.noise_sd = Vector<double>::Zero(n);
        constexpr double stationary_noise_variance = 0.25;
        Index at = 0;
        for (const LatentMode& m : latent_modes(d.dim)) {
            const double decay = std::exp(-c.bin_width / m.time_constant_s);
            const double sd = std::sqrt(stationary_noise_variance * (1.0 - decay * decay));
            if (m.period_s > 0.0) {
                const double angle = 2.0 * std::numbers::pi * c.bin_width / m.period_s;
                d.transition(at, at) = decay * std::cos(angle);
                d.transition(at, at + 1) = -decay * std::sin(angle);
                d.transition(at + 1, at) = decay * std::sin(angle);
                d.transition(at + 1, at + 1) = decay * std::cos(angle);
                d.noise_sd(at) = d.noise_sd(at + 1) = sd;
                at += 2;
            } else {
                if (m.role == LatentMode::Role::arousal)
                    d.arousal_dim = static_cast<std::size_t>(at);
                if (m.role == LatentMode::Role::surprise)
                    d.surprise_dim = static_cast<std::size_t>(at);
                d.transition(at, at) = decay;
                d.noise_sd(at) = sd;
                at += 1;
            }
        }
        RandomStream rng(seed, stream_id(streams::sim_dynamics));
        // Stimulus drives are scaled per dimension by sqrt((1 − ρ_i²)/(1 − ρ_ref²)), ρ_ref the
        // decay of a 0.5 s mode: slow modes would otherwise pile up drive and dwarf the fast ones.
        const double rho_ref = std::exp(-c.bin_width / 0.5);
        Vector<double> drive_gain(n);
        for (Index i = 0; i < n; ++i) {
            const double rho = d.transition.row(i).norm();  // a mode's decay per step
            drive_gain(i) = std::sqrt((1.0 - rho * rho) / (1.0 - rho_ref * rho_ref));
        }
        auto random_vector = [&](double scale) {
            Vector<double> v(n);
            for (Index i = 0; i < n; ++i)
                v(i) = scale * drive_gain(i) * rng.normal();
            return v;
        };
        // Per-step drives: a flash of 25 steps moves the fast modes by O(1).
        d.image_drive.resize(static_cast<Index>(c.images), n);
        for (Index i = 0; i < d.image_drive.rows(); ++i)
            d.image_drive.row(i) = random_vector(0.08).transpose();
        d.gabor_drive.resize(3, n);
        for (Index i = 0; i < 3; ++i)
            d.gabor_drive.row(i) = random_vector(0.03).transpose();
        d.change_drive = random_vector(0.05);
        d.omission_drive = random_vector(0.03);
        d.flash_drive = random_vector(0.05);
        // Changes and omissions also kick the surprise mode hard; running drives arousal.
        if (d.surprise_dim) {
            d.change_drive(static_cast<Index>(*d.surprise_dim)) += 0.12;
            d.omission_drive(static_cast<Index>(*d.surprise_dim)) += 0.08;
        }
        d.running_drive = Vector<double>::Zero(n);
        if (d.arousal_dim) d.running_drive(static_cast<Index>(*d.arousal_dim)) = 0.0015;
        return d;
    }

    /// z for every bin of a schedule (n_bins, dim). Running speed per bin in cm/s. Noise for
    /// bin t, dimension i is normal_at(seed, stream(session), t·dim + i): reproducible anywhere.
    RowMatrix<double> simulate(const Schedule& s, std::span<const double> running_cm_s,
                               std::uint64_t seed, std::size_t session) const {
        require_size("LatentDynamics::simulate", "running speed", running_cm_s.size(), s.n_bins,
                     "bins");
        const auto n = static_cast<Index>(dim);
        RowMatrix<double> z(static_cast<Index>(s.n_bins), n);  // (n_bins, dim)
        const std::uint64_t stream =
            stream_id(streams::sim_latent_noise, static_cast<std::uint32_t>(session));
        Vector<double> current = Vector<double>::Zero(n);  // z_t
        Vector<double> next(n);
        for (std::size_t t = 0; t < s.n_bins; ++t) {
            z.row(static_cast<Index>(t)) = current.transpose();
            next.noalias() = transition * current;
            if (s.image_on[t] >= 0) next += image_drive.row(s.image_on[t]).transpose();
            if (s.change_on[t]) next += change_drive;
            if (s.omission_on[t]) next += omission_drive;
            if (s.gabor_on[t] >= 0) next += gabor_drive.row(s.gabor_on[t]).transpose();
            if (s.flash_color[t] != 0) next += static_cast<double>(s.flash_color[t]) * flash_drive;
            next += (running_cm_s[t] / running_scale_cm_s) * running_drive;
            for (Index i = 0; i < n; ++i)
                next(i) +=
                    noise_sd(i) * normal_at(seed, stream, t * dim + static_cast<std::size_t>(i));
            current.swap(next);
        }
        return z;
    }

    Json to_json() const {
        Json j;
        j["dim"] = dim;
        j["bin_width"] = bin_width;
        j["transition"] = jepasnn::to_json(transition);
        j["image_drive"] = jepasnn::to_json(image_drive);
        j["gabor_drive"] = jepasnn::to_json(gabor_drive);
        j["change_drive"] = jepasnn::to_json(change_drive);
        j["omission_drive"] = jepasnn::to_json(omission_drive);
        j["flash_drive"] = jepasnn::to_json(flash_drive);
        j["running_drive"] = jepasnn::to_json(running_drive);
        j["running_scale_cm_s"] = running_scale_cm_s;
        j["noise_sd"] = jepasnn::to_json(noise_sd);
        return j;
    }
};

/// The running trace's sampling rate (Hz): sample i is at i / running_rate_hz s.
inline constexpr double running_rate_hz = 60.0;

/// Running speed at 60 Hz over the session: bouts of running (mean 30 cm/s) and rest switch as
/// a two-state Markov chain (mean bout 30 s, mean rest 20 s); speed relaxes to the state's mean
/// as an Ornstein–Uhlenbeck process (τ = 1 s, stationary SD 5 cm/s).
struct RunningTrace {
    std::vector<double> timestamps;  // (n,) s
    std::vector<double> speed;       // (n,) cm/s
    std::vector<double> per_bin;     // (n_bins,) interpolated at bin centres
};

inline RunningTrace simulate_running(const Schedule& s, std::uint64_t seed, std::size_t session) {
    constexpr double rate_hz = running_rate_hz, tau = 1.0, sd = 5.0, run_mean = 30.0;
    constexpr double mean_run_s = 30.0, mean_rest_s = 20.0;
    RandomStream rng(seed, stream_id(streams::sim_running, static_cast<std::uint32_t>(session)));
    RunningTrace r;
    const auto n = static_cast<std::size_t>(std::floor(s.duration() * rate_hz));
    const double dt = 1.0 / rate_hz;
    const double keep = std::exp(-dt / tau);
    const double step_sd = sd * std::sqrt(1.0 - keep * keep);
    bool running = rng.bernoulli(0.5);
    double v = running ? run_mean : 0.0;
    r.timestamps.resize(n);
    r.speed.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double p_switch = dt / (running ? mean_run_s : mean_rest_s);
        if (rng.bernoulli(p_switch)) running = !running;
        const double target = running ? run_mean : 0.0;
        v = target + keep * (v - target) + step_sd * rng.normal();
        r.timestamps[i] = static_cast<double>(i) / rate_hz;
        r.speed[i] = v;
    }
    r.per_bin.resize(s.n_bins);
    std::size_t j = 0;
    for (std::size_t k = 0; k < s.n_bins; ++k) {
        const double t = s.time(k) + 0.5 * s.bin_width;
        while (j + 2 < n && r.timestamps[j + 1] <= t)
            ++j;
        const double w = std::clamp((t - r.timestamps[j]) * rate_hz, 0.0, 1.0);
        r.per_bin[k] = j + 1 < n ? r.speed[j] + w * (r.speed[j + 1] - r.speed[j]) : r.speed[j];
    }
    return r;
}

}  // namespace jepasnn::data::sim
