// The library's one error type and the argument checks used at every public boundary. Messages
// name the function (or file), what was expected and what was found, e.g.
//   "lif::Network::forward: input has 37 units, network expects 64".
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
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

/// Checks a row-major (rows × cols) block for NaN/Inf and names the first bad entry.
/// cols == 0 treats the data as a flat vector.
template <class T>
void require_finite(std::string_view where, std::string_view what, const T* data, std::size_t n,
                    std::size_t cols = 0) {
    static_assert(std::is_arithmetic_v<T>, "require_finite: arithmetic element type required");
    if constexpr (std::is_floating_point_v<T>) {
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::isfinite(data[i])) [[unlikely]] {
                if (cols == 0) fail(where, what, " has a non-finite value (", data[i], ") at ", i);
                fail(where, what, " has a non-finite value (", data[i], ") at row ", i / cols,
                     ", column ", i % cols);
            }
        }
    }
}

}  // namespace jepasnn
