// The library version: the single source of truth (CMakeLists.txt reads it from here).
#pragma once

#define JEPASNN_VERSION_MAJOR 0
#define JEPASNN_VERSION_MINOR 1
#define JEPASNN_VERSION_PATCH 0
#define JEPASNN_VERSION_STRING "0.1.0"

namespace jepasnn {
inline constexpr const char* version_string = JEPASNN_VERSION_STRING;
}  // namespace jepasnn
