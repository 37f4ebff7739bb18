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

    void validate() const {
        constexpr std::string_view w = "SimulatorConfig";
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

    Json to_json() const {
        Json j;
        j["sessions"] = sessions;
        j["units"] = units;
        j["minutes"] = minutes;
        j["block_fractions"] = block_fractions;
        j["images"] = images;
        j["flash_on_s"] = flash_on_s;
        j["flash_off_s"] = flash_off_s;
        j["change_min_flashes"] = change_min_flashes;
        j["change_max_flashes"] = change_max_flashes;
        j["omission_probability"] = omission_probability;
        j["latent_dim"] = latent_dim;
        j["bin_width"] = bin_width;
        j["median_rate_hz"] = median_rate_hz;
        j["rate_log_sd"] = rate_log_sd;
        j["max_rate_hz"] = max_rate_hz;
        j["loading_scale"] = loading_scale;
        j["state_gain_sd"] = state_gain_sd;
        j["state_offset_sd"] = state_offset_sd;
        j["refractory_s"] = refractory_s;
        j["noise_fraction"] = noise_fraction;
        j["contaminated_fraction"] = contaminated_fraction;
        j["dropout_fraction"] = dropout_fraction;
        j["low_amplitude_fraction"] = low_amplitude_fraction;
        j["write_amplitudes"] = write_amplitudes;
        return j;
    }

    /// Missing keys keep their defaults; present keys of the wrong type are errors.
    static SimulatorConfig from_json(const Json& j, std::string_view where) {
        SimulatorConfig c;
        auto get = [&](const char* key, auto& field) {
            using T = std::decay_t<decltype(field)>;
            field = json_get_or<T>(j, key, field, where);
        };
        get("sessions", c.sessions);
        get("units", c.units);
        get("minutes", c.minutes);
        get("block_fractions", c.block_fractions);
        get("images", c.images);
        get("flash_on_s", c.flash_on_s);
        get("flash_off_s", c.flash_off_s);
        get("change_min_flashes", c.change_min_flashes);
        get("change_max_flashes", c.change_max_flashes);
        get("omission_probability", c.omission_probability);
        get("latent_dim", c.latent_dim);
        get("bin_width", c.bin_width);
        get("median_rate_hz", c.median_rate_hz);
        get("rate_log_sd", c.rate_log_sd);
        get("max_rate_hz", c.max_rate_hz);
        get("loading_scale", c.loading_scale);
        get("state_gain_sd", c.state_gain_sd);
        get("state_offset_sd", c.state_offset_sd);
        get("refractory_s", c.refractory_s);
        get("noise_fraction", c.noise_fraction);
        get("contaminated_fraction", c.contaminated_fraction);
        get("dropout_fraction", c.dropout_fraction);
        get("low_amplitude_fraction", c.low_amplitude_fraction);
        get("write_amplitudes", c.write_amplitudes);
        c.validate();
        return c;
    }
};

}  // namespace jepasnn::data
