// Random-stream tags of the jepa module: every stochastic call site draws from
// stream_id(tag, index) with its own tag, so no two sites share numbers by accident.
#pragma once

#include <cstdint>

namespace jepasnn::jepa::streams {

inline constexpr std::uint32_t sigreg_directions = 0x516e0001u;  // index: training step
inline constexpr std::uint32_t windows = 0x516e0002u;            // index: training step
inline constexpr std::uint32_t dropout = 0x516e0003u;            // index: training step
inline constexpr std::uint32_t init = 0x516e0004u;               // index: parameter block
inline constexpr std::uint32_t toy_data = 0x516e0005u;           // index: sequence part

}  // namespace jepasnn::jepa::streams
