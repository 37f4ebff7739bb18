// Configuration of the VBN-like simulator (DESIGN.md "Simulator"): cohort size, session
// structure, latent dynamics, unit population and the recording artefacts that quality control
// must catch. Three profiles: quick (seconds, for tests and paper_quick), the default cohort
// (the paper's embedded data, ~1 min on 2 cores) and VBN scale (benchmarks).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>

#include "../../core/error.hpp"
#include "../../core/json.hpp"
#include "../../core/settings.hpp"

namespace jepasnn::data {

struct SimulatorConfig {
    // ---- cohort -----------------------------------------------------------------------------
    std::size_t sessions = 4;
    /// Mean units per session; session k has units · (0.85 + 0.3·u_k) units, u_k uniform.
    std::size_t units = 400;
    double minutes = 24.0;  // recording length of each session

    // ---- session structure (VBN blocks 0..5) ------------------------------------------------
    /// Share of the recording per block: 0 active images, 1 spontaneous, 2 gabors, 3
    /// spontaneous, 4 full-field flashes, 5 passive replay of block 0 (same length as block 0).
    std::array<double, 6> block_fractions = {0.38, 0.04, 0.08, 0.04, 0.08, 0.38};
    std::size_t images = 8;    // distinct natural images (VBN shows 8 per session)
    double flash_on_s = 0.25;  // image on
    double flash_off_s = 0.5;  // gray between flashes
    std::size_t change_min_flashes = 4;
    std::size_t change_max_flashes = 12;
    double omission_probability = 0.05;

    // ---- latent dynamics --------------------------------------------------------------------
    std::size_t latent_dim = 6;  // 4..8
    double bin_width = 0.01;     // the ground-truth grid (s)

    // ---- unit population --------------------------------------------------------------------
    double median_rate_hz = 3.0;  // log-normal baseline rates
    double rate_log_sd = 0.7;
    double max_rate_hz = 150.0;
    /// SD of a unit's log-rate modulation per unit-variance latent direction.
    double loading_scale = 1.3;
    /// Engagement changes gain (log-ratio SD) and baseline (log-rate SD) of each unit, scaled by
    /// the unit's hierarchy level in [0, 1] (DESIGN.md: more so higher in the hierarchy).
    double state_gain_sd = 1.0;
    double state_offset_sd = 1.0;
    double refractory_s = 0.002;  // absolute dead time after each spike

    // ---- artefacts that QC must remove ------------------------------------------------------
    double noise_fraction = 0.08;          // quality "noise", spikes unrelated to the latents
    double contaminated_fraction = 0.08;   // duplicated/merged spikes: ISI violations
    double dropout_fraction = 0.06;        // drift out of the probe: low presence ratio
    double low_amplitude_fraction = 0.06;  // amplitudes near threshold: amplitude cutoff
    bool write_amplitudes = true;          // write spike_amplitudes (VBN has it)

    /// 2 sessions × ~120 units × 4 min: seconds to simulate.
    static SimulatorConfig quick() {
        SimulatorConfig c;
        c.sessions = 2;
        c.units = 120;
        c.minutes = 4.0;
        return c;
    }
    /// One VBN-size session: ~2,000 units × 150 min (~1e8 spikes).
    static SimulatorConfig vbn_scale() {
        SimulatorConfig c;
        c.sessions = 1;
        c.units = 2000;
        c.minutes = 150.0;
        c.write_amplitudes = false;
        return c;
    }

    static void fields(auto& s, auto&& field) {
        field("sessions", s.sessions);
        field("units", s.units);
        field("minutes", s.minutes);
        field("block_fractions", s.block_fractions);
        field("images", s.images);
        field("flash_on_s", s.flash_on_s);
        field("flash_off_s", s.flash_off_s);
        field("change_min_flashes", s.change_min_flashes);
        field("change_max_flashes", s.change_max_flashes);
        field("omission_probability", s.omission_probability);
        field("latent_dim", s.latent_dim);
        field("bin_width", s.bin_width);
        field("median_rate_hz", s.median_rate_hz);
        field("rate_log_sd", s.rate_log_sd);
        field("max_rate_hz", s.max_rate_hz);
        field("loading_scale", s.loading_scale);
        field("state_gain_sd", s.state_gain_sd);
        field("state_offset_sd", s.state_offset_sd);
        field("refractory_s", s.refractory_s);
        field("noise_fraction", s.noise_fraction);
        field("contaminated_fraction", s.contaminated_fraction);
        field("dropout_fraction", s.dropout_fraction);
        field("low_amplitude_fraction", s.low_amplitude_fraction);
        field("write_amplitudes", s.write_amplitudes);
    }

    void validate(std::string_view w = "SimulatorConfig") const {
        require(sessions >= 1 && sessions <= 4096, w, "sessions is ", sessions,
                ", expected 1..4096");
        require(units >= 10 && units <= 200000, w, "units is ", units, ", expected 10..200000");
        require(std::isfinite(minutes) && minutes >= 1.0 && minutes <= 1440.0, w, "minutes is ",
                minutes, ", expected 1..1440");
        require(latent_dim >= 4 && latent_dim <= 8, w, "latent_dim is ", latent_dim,
                ", expected 4..8");
        require(images >= 2 && images <= 64, w, "images is ", images, ", expected 2..64");
        require(bin_width > 0.0 && bin_width <= 0.05, w, "bin_width is ", bin_width,
                " s, expected (0, 0.05]");
        require(change_min_flashes >= 2 && change_max_flashes >= change_min_flashes, w,
                "change interval ", change_min_flashes, "..", change_max_flashes,
                " flashes is invalid");
        require(omission_probability >= 0.0 && omission_probability < 0.5, w,
                "omission_probability is ", omission_probability, ", expected [0, 0.5)");
        double total = 0.0;
        for (double f : block_fractions) {
            require(f > 0.0, w, "every block fraction must be > 0");
            total += f;
        }
        require(std::fabs(total - 1.0) < 1e-9, w, "block fractions sum to ", total, ", expected 1");
        require(std::fabs(block_fractions[0] - block_fractions[5]) < 1e-12, w,
                "the passive replay (block 5) must be as long as the active block (0)");
        const double artefacts =
            noise_fraction + contaminated_fraction + dropout_fraction + low_amplitude_fraction;
        require(noise_fraction >= 0 && contaminated_fraction >= 0 && dropout_fraction >= 0 &&
                    low_amplitude_fraction >= 0 && artefacts < 0.8,
                w, "artefact fractions sum to ", artefacts, ", expected < 0.8");
        require(median_rate_hz > 0.0 && rate_log_sd >= 0.0 && max_rate_hz > median_rate_hz, w,
                "rates: median ", median_rate_hz, " Hz, log sd ", rate_log_sd, ", max ",
                max_rate_hz, " Hz are inconsistent");
        require(loading_scale >= 0.0 && state_gain_sd >= 0.0 && state_offset_sd >= 0.0, w,
                "loading and state scales must be >= 0");
        require(refractory_s >= 0.0 && refractory_s < 0.01, w, "refractory period is ",
                refractory_s, " s, expected [0, 0.01)");
        // The active block must hold at least a few change cycles.
        const double active_s = minutes * 60.0 * block_fractions[0];
        require(
            active_s >= 2.0 * static_cast<double>(change_max_flashes) * (flash_on_s + flash_off_s),
            w, "the active block (", active_s, " s) is too short for its image changes");
    }
};

}  // namespace jepasnn::data
