// The library's one error type and the argument checks used at every public boundary. Messages
// name the function (or file), what was expected and what was found, e.g.
//   "lif::Network::forward: input has 37 units, network expects 64".
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jepasnn {

/// Thrown for every invalid input, malformed file or failed I/O. Never a crash, never exit().
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream os;
    (os << ... << parts);
    return os.str();
}
}  // namespace detail

/// Throws Error("<where>: <parts...>").
template <class... Parts>
[[noreturn]] void fail(std::string_view where, const Parts&... parts) {
    throw Error(detail::concat(where, ": ", parts...));
}

/// "'a', 'b' or 'c'": the choices of an error message, in order, without repeats.
inline std::string quoted_choices(const std::vector<std::string_view>& names) {
    std::vector<std::string_view> unique;
    for (std::string_view n : names)
        if (std::find(unique.begin(), unique.end(), n) == unique.end()) unique.push_back(n);
    std::string out;
    for (std::size_t i = 0; i < unique.size(); ++i)
        out.append(i == 0                   ? "'"
                   : i + 1 == unique.size() ? " or '"
                                            : ", '")
            .append(unique[i])
            .append("'");
    return out;
}

/// Throws Error("<where>: <parts...>") unless `condition` holds; the message is built only on
/// failure.
template <class... Parts>
void require(bool condition, std::string_view where, const Parts&... parts) {
    if (!condition) [[unlikely]]
        fail(where, parts...);
}

/// "<where>: <what> has <found> <unit>, expected <expected>".
inline void require_size(std::string_view where, std::string_view what, std::size_t found,
                         std::size_t expected, std::string_view unit = "elements") {
    if (found != expected) [[unlikely]]
        fail(where, what, " has ", found, ' ', unit, ", expected ", expected);
}

/// Index of the first x[i] outside [lo, hi] (NaN included), or n. Blocks of 64 are tested
/// without branches, so that the scan vectorises (validation runs on every training batch).
template <class T>
std::size_t first_outside(const T* x, std::size_t n, T lo, T hi) {
    static_assert(std::is_floating_point_v<T>, "first_outside: floating-point element type");
    constexpr std::size_t block = 64;
    std::size_t i = 0;
    for (; i + block <= n; i += block) {
        int bad = 0;
        for (std::size_t k = 0; k < block; ++k)
            bad |= !(x[i + k] >= lo) | !(x[i + k] <= hi);
        if (bad) break;
    }
    for (; i < n; ++i)
        if (!(x[i] >= lo && x[i] <= hi)) return i;
    return n;
}

/// Checks a row-major (rows × cols) block for NaN/Inf and names the first bad entry.
/// cols == 0 treats the data as a flat vector.
template <class T>
void require_finite(std::string_view where, std::string_view what, const T* data, std::size_t n,
                    std::size_t cols = 0) {
    static_assert(std::is_arithmetic_v<T>, "require_finite: arithmetic element type required");
    if constexpr (std::is_floating_point_v<T>) {
        constexpr T max = std::numeric_limits<T>::max();
        const std::size_t i = first_outside(data, n, -max, max);
        if (i == n) [[likely]]
            return;
        if (cols == 0) fail(where, what, " has a non-finite value (", data[i], ") at ", i);
        fail(where, what, " has a non-finite value (", data[i], ") at row ", i / cols, ", column ",
             i % cols);
    }
}

}  // namespace jepasnn
