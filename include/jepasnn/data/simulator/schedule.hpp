// The stimulus schedule of one simulated session, VBN's block structure: 0 active image task,
// 1 spontaneous, 2 gabors, 3 spontaneous, 4 full-field flashes, 5 passive replay of block 0's
// image sequence, frame for frame. Images flash 250 ms on / 500 ms gray; the image changes every
// change_min..change_max flashes; ~5% of flashes are omitted. Every time lies on the simulator's
// bin grid, so ground-truth latents and binned counts align exactly.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../../core/error.hpp"
#include "../../core/rng.hpp"
#include "../../core/streams.hpp"
#include "config.hpp"

namespace jepasnn::data::sim {

/// One row of a presentation table, in bins of the simulator's grid.
struct Presentation {
    std::size_t start_bin = 0, stop_bin = 0;
    std::int64_t block = 0;
    std::int32_t image = -1;  // image index; −1 when omitted or not an image
    bool is_change = false;
    bool omitted = false;
    std::int64_t flashes_since_change = 0;
    std::int32_t orientation = -1;  // gabors: 0, 1, 2 for 0°, 45°, 90°
    double position_x = 0.0, position_y = 0.0;
    double color = 0.0;  // full-field flashes: ±1
};

/// A go trial of the active task: one per image change.
struct Trial {
    std::size_t start_bin = 0, stop_bin = 0, change_bin = 0;
    std::int32_t initial_image = 0, change_image = 0;
    bool hit = false;
    double response_latency = std::nan("");
};

struct Schedule {
    double bin_width = 0.01;
    std::size_t n_bins = 0;                                  // the whole recording
    std::array<std::size_t, 6> block_start{}, block_stop{};  // bins [start, stop) of each block
    std::vector<Presentation> images;                        // blocks 0 and 5
    std::vector<Presentation> gabors;                        // block 2
    std::vector<Presentation> flashes;                       // block 4
    std::vector<Trial> trials;                               // block 0
    // Per bin (n_bins,): what drives the latents and which code the units use.
    std::vector<std::int32_t> image_on;    // image shown, −1 for none
    std::vector<std::int8_t> change_on;    // inside a change flash
    std::vector<std::int8_t> omission_on;  // inside an omitted flash's slot
    std::vector<std::int32_t> gabor_on;    // gabor orientation, −1 for none
    std::vector<std::int8_t> flash_color;  // −1, 0, +1
    std::vector<std::int32_t> block;       // stimulus block, −1 in the gaps
    std::vector<std::int8_t> active;       // 1 in block 0

    double time(std::size_t bin) const { return static_cast<double>(bin) * bin_width; }
    double duration() const { return time(n_bins); }
};

namespace detail {
inline std::size_t bins_of(double seconds, double bin_width, const char* what) {
    const double b = seconds / bin_width;
    const double rounded = std::round(b);
    require(std::fabs(b - rounded) < 1e-6 && rounded >= 1.0, "simulator", what, " (", seconds,
            " s) is not a whole number of ", bin_width, " s bins");
    return static_cast<std::size_t>(rounded);
}

/// Flash timing in bins: on for `on`, one flash every `period`.
struct FlashTiming {
    std::size_t on = 0, period = 0;
};

/// Block boundaries: `gap` bins of gray before each block and at the end; the active block (0)
/// and its replay (5) hold whole flash periods and have the same length.
inline void place_blocks(Schedule& s, const SimulatorConfig& c, FlashTiming f, std::size_t gap) {
    const std::size_t usable = s.n_bins - 7 * gap;
    std::size_t at = gap;
    for (std::size_t b = 0; b < 6; ++b) {
        std::size_t len =
            static_cast<std::size_t>(c.block_fractions[b] * static_cast<double>(usable));
        if (b == 0 || b == 5) len -= len % f.period;
        if (b == 5) len = s.block_stop[0] - s.block_start[0];  // the replay: same length
        s.block_start[b] = at;
        s.block_stop[b] = at + len;
        at += len + gap;
    }
    require(s.block_stop[5] + gap <= s.n_bins, "simulator", "blocks do not fit the session");
}

/// Block 0: the active image sequence, with changes every change_min…change_max flashes and
/// omissions (never on a change or on the flash just before one, as in VBN).
inline void draw_active_images(Schedule& s, const SimulatorConfig& c, FlashTiming f,
                               RandomStream& rng) {
    const std::size_t n_flashes = (s.block_stop[0] - s.block_start[0]) / f.period;
    auto next_interval = [&] {
        return c.change_min_flashes +
               rng.uniform_index(c.change_max_flashes - c.change_min_flashes + 1);
    };
    std::int32_t current = static_cast<std::int32_t>(rng.uniform_index(c.images));
    std::size_t until_change = next_interval();
    std::int64_t since_change = 0;
    for (std::size_t k = 0; k < n_flashes; ++k) {
        Presentation p;
        p.start_bin = s.block_start[0] + k * f.period;
        p.stop_bin = p.start_bin + f.on;
        p.block = 0;
        if (k > 0 && until_change == 0) {
            std::int32_t next = current;
            while (next == current)
                next = static_cast<std::int32_t>(rng.uniform_index(c.images));
            current = next;
            p.is_change = true;
            since_change = 0;
            until_change = next_interval();
        }
        p.omitted =
            !p.is_change && until_change > 1 && k > 0 && rng.bernoulli(c.omission_probability);
        p.image = p.omitted ? -1 : current;
        p.flashes_since_change = since_change++;
        --until_change;
        s.images.push_back(p);
    }
}

/// Block 5 replays the `n_active` presentations of block 0 exactly, shifted in time.
inline void replay_active_images(Schedule& s, std::size_t n_active, FlashTiming f) {
    for (std::size_t i = 0; i < n_active; ++i) {
        Presentation p = s.images[i];
        p.start_bin = p.start_bin - s.block_start[0] + s.block_start[5];
        p.stop_bin = p.start_bin + f.on;
        p.block = 5;
        s.images.push_back(p);
    }
}

/// Trials: one go trial per change of the first `n_active` presentations, from the previous
/// change to 3 flashes after this one; 70 % hits with a latency of 0.25–0.75 s.
inline void draw_trials(Schedule& s, std::size_t n_active, FlashTiming f, RandomStream& rng) {
    std::size_t previous_change = s.block_start[0];
    std::int32_t last_image = -1;  // the image shown before the current flash
    for (std::size_t i = 0; i < n_active; ++i) {
        const Presentation& p = s.images[i];
        if (p.is_change) {
            Trial t;
            t.start_bin = previous_change;
            t.change_bin = p.start_bin;
            t.stop_bin = std::min(s.block_stop[0], p.start_bin + 3 * f.period);
            t.initial_image = last_image;
            t.change_image = p.image;
            t.hit = rng.bernoulli(0.7);
            const double latency = rng.uniform(0.25, 0.75);
            if (t.hit) t.response_latency = latency;
            s.trials.push_back(t);
            previous_change = p.start_bin;
        }
        if (!p.omitted) last_image = p.image;
    }
}

/// Block 2: gabors, on for `on` then off as long, random orientation and position.
inline void draw_gabors(Schedule& s, FlashTiming f, RandomStream& rng) {
    for (std::size_t b = s.block_start[2]; b + 2 * f.on <= s.block_stop[2]; b += 2 * f.on) {
        Presentation p;
        p.start_bin = b;
        p.stop_bin = b + f.on;
        p.block = 2;
        p.orientation = static_cast<std::int32_t>(rng.uniform_index(3));
        p.position_x = -30.0 + 10.0 * static_cast<double>(rng.uniform_index(7));
        p.position_y = -30.0 + 10.0 * static_cast<double>(rng.uniform_index(7));
        s.gabors.push_back(p);
    }
}

/// Block 4: full-field flashes, on for `on` every 8·on, random polarity.
inline void draw_full_field_flashes(Schedule& s, FlashTiming f, RandomStream& rng) {
    const std::size_t flash_period = 8 * f.on;
    for (std::size_t b = s.block_start[4]; b + f.on <= s.block_stop[4]; b += flash_period) {
        Presentation p;
        p.start_bin = b;
        p.stop_bin = b + f.on;
        p.block = 4;
        p.color = rng.bernoulli(0.5) ? 1.0 : -1.0;
        s.flashes.push_back(p);
    }
}

/// A block ends with its last presentation (DESIGN.md: stop = last stop_time); the gray after
/// it belongs to the gap, as NwbFile's derived blocks will say.
inline void end_blocks_at_last_presentation(Schedule& s) {
    auto end_at_last = [&](std::size_t b, const std::vector<Presentation>& rows) {
        std::size_t last = s.block_start[b];
        for (const Presentation& p : rows)
            if (static_cast<std::size_t>(p.block) == b) last = std::max(last, p.stop_bin);
        s.block_stop[b] = last;
    };
    end_at_last(0, s.images);
    end_at_last(5, s.images);
    end_at_last(2, s.gabors);
    end_at_last(4, s.flashes);
}

/// The per-bin inputs of the schedule's presentations and blocks.
inline void fill_bin_inputs(Schedule& s) {
    s.image_on.assign(s.n_bins, -1);
    s.change_on.assign(s.n_bins, 0);
    s.omission_on.assign(s.n_bins, 0);
    s.gabor_on.assign(s.n_bins, -1);
    s.flash_color.assign(s.n_bins, 0);
    s.block.assign(s.n_bins, -1);
    s.active.assign(s.n_bins, 0);
    for (std::size_t b = 0; b < 6; ++b)
        for (std::size_t k = s.block_start[b]; k < s.block_stop[b]; ++k) {
            s.block[k] = static_cast<std::int32_t>(b);
            s.active[k] = b == 0;
        }
    for (const Presentation& p : s.images)
        for (std::size_t k = p.start_bin; k < p.stop_bin; ++k) {
            s.image_on[k] = p.image;
            s.change_on[k] = p.is_change;
            s.omission_on[k] = p.omitted;
        }
    for (const Presentation& p : s.gabors)
        for (std::size_t k = p.start_bin; k < p.stop_bin; ++k)
            s.gabor_on[k] = p.orientation;
    for (const Presentation& p : s.flashes)
        for (std::size_t k = p.start_bin; k < p.stop_bin; ++k)
            s.flash_color[k] = static_cast<std::int8_t>(p.color);
}
}  // namespace detail

/// The stimulus schedule of one session: the six blocks (block 0 the active image task, block 5
/// its passive replay), their presentations, the go trials and the per-bin inputs, drawn from the
/// session's own streams.
inline Schedule make_schedule(const SimulatorConfig& c, std::uint64_t seed, std::size_t session) {
    c.validate();
    Schedule s;
    s.bin_width = c.bin_width;
    s.n_bins = static_cast<std::size_t>(std::llround(c.minutes * 60.0 / c.bin_width));
    detail::FlashTiming f;
    f.on = detail::bins_of(c.flash_on_s, c.bin_width, "flash_on_s");
    f.period = f.on + detail::bins_of(c.flash_off_s, c.bin_width, "flash_off_s");
    const std::size_t gap = detail::bins_of(1.0, c.bin_width, "the 1 s gap between blocks");
    require(s.n_bins > 8 * gap, "simulator", "session too short");
    const auto index = static_cast<std::uint32_t>(session);
    RandomStream rng(seed, stream_id(streams::sim_schedule, index));
    RandomStream trial_rng(seed, stream_id(streams::sim_trials, index));

    detail::place_blocks(s, c, f, gap);
    detail::draw_active_images(s, c, f, rng);
    const std::size_t n_active = s.images.size();
    detail::replay_active_images(s, n_active, f);
    detail::draw_trials(s, n_active, f, trial_rng);
    detail::draw_gabors(s, f, rng);
    detail::draw_full_field_flashes(s, f, rng);
    detail::end_blocks_at_last_presentation(s);
    detail::fill_bin_inputs(s);
    return s;
}

}  // namespace jepasnn::data::sim
