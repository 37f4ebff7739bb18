// Every random stream of the library in one table. A stochastic call site draws from
// stream_id(tag, index) with its own tag (the index is a step, a session, a unit or a site), so no
// two sites share numbers by accident. The values are part of the results: keep them.
#pragma once

#include <array>
#include <cstdint>

namespace jepasnn::streams {

// data: the simulator ("SIM" + n; index: session unless noted) and the NWB writer's identifiers.
inline constexpr std::uint32_t sim_dynamics = 0x53494d01u;  // index: 0 or 1 (cohort draws)
inline constexpr std::uint32_t sim_schedule = 0x53494d02u;
inline constexpr std::uint32_t sim_running = 0x53494d03u;
inline constexpr std::uint32_t sim_latent_noise = 0x53494d04u;
inline constexpr std::uint32_t sim_population = 0x53494d05u;  // index: session, 0x10000 + k
inline constexpr std::uint32_t sim_spikes = 0x53494d06u;      // index: session << 20 | unit
inline constexpr std::uint32_t sim_trials = 0x53494d07u;
inline constexpr std::uint32_t sim_state = 0x53494d08u;  // realistic state regime; index: session
inline constexpr std::uint32_t nwb_ids = 0x4e574249u;  // "NWBI"; index: the writer's
// nn: parameter initialisation when the model names no tag of its own; index: parameter block.
inline constexpr std::uint32_t nn_init = 0x00001a17u;
// cca: the shuffled-time null ("CCAN"); index: null sample.
inline constexpr std::uint32_t cca_null = 0x4343414eu;
// lif: initial weights ("LIF\n"); index: lif_sites.
inline constexpr std::uint32_t lif_init = 0x4C49460Au;
// jepa: index = training step, except init (parameter block) and toy_data (sequence part).
inline constexpr std::uint32_t jepa_sigreg_directions = 0x516e0001u;
inline constexpr std::uint32_t jepa_windows = 0x516e0002u;
inline constexpr std::uint32_t jepa_dropout = 0x516e0003u;
inline constexpr std::uint32_t jepa_init = 0x516e0004u;
inline constexpr std::uint32_t jepa_toy_data = 0x516e0005u;
// distill ("DSTL"); index: distill_sites.
inline constexpr std::uint32_t distill = 0x4453544Cu;

namespace lif_sites {
inline constexpr std::uint32_t connection = 0, recurrent_weights = 1, input_weights = 2,
                               readout_weights = 3;
}
namespace distill_sites {
inline constexpr std::uint32_t train_windows = 1, monitor_train = 2, monitor_heldout = 3, null = 4;
}

namespace detail {
inline constexpr std::array all_tags{sim_dynamics,
                                     sim_schedule,
                                     sim_running,
                                     sim_latent_noise,
                                     sim_population,
                                     sim_spikes,
                                     sim_trials,
                                     sim_state,
                                     nwb_ids,
                                     nn_init,
                                     cca_null,
                                     lif_init,
                                     jepa_sigreg_directions,
                                     jepa_windows,
                                     jepa_dropout,
                                     jepa_init,
                                     jepa_toy_data,
                                     distill};
constexpr bool all_distinct() {
    for (std::size_t i = 0; i < all_tags.size(); ++i)
        for (std::size_t j = i + 1; j < all_tags.size(); ++j)
            if (all_tags[i] == all_tags[j]) return false;
    return true;
}
static_assert(all_distinct(), "two random-stream tags are equal");
}  // namespace detail

}  // namespace jepasnn::streams
