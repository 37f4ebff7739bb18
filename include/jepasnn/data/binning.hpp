// Spike counts in time bins, exactly by DESIGN.md's rule: bin k covers [t0 + k·dt, t0 + (k+1)·dt);
// a spike at t belongs to bin floor((t − t0 + 1e-9)/dt), so one within 1 ns below an edge counts
// in the bin that starts there; only whole bins, n = floor((t1 − t0)/dt + 1e-9). The output is
// (time × units), units in the order given, in one of the exact count types: uint8 (a quarter of
// int32's bytes: VBN's 10 ms counts never exceed a few spikes), uint16 or int32. A count the type
// cannot hold is an error naming the unit and the bin, never a wrap; CountDType::narrowest tries
// uint8, then uint16, then int32 and keeps the first that holds every count.
//
// The kernel builds the output a block of consecutive rows at a time, sized to stay in L2 (128
// rows at VBN width). Per block, each unit's cursor walks its spikes up to the block's exact end
// (the first time the rule puts in the next block: no division decides the stop) and adds each
// spike to its row of the unit's column; the block is then written out with non-temporal stores.
// Spike memory is read sequentially once, every output row is written once and in order (at VBN
// width the output is ~2x the spike bytes as uint8, ~9x as int32), and no increment leaves the
// cache. A count that passes the type's largest value is seen as it happens; that block is then
// counted again in 64 bits to name the first such count by (bin, column). Threads take contiguous
// ranges of blocks (static, so deterministic; the counts are exact whatever the split).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "../core/eigen.hpp"  // <immintrin.h>, read inside the GCC bug 105593 guard there
#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "time_range.hpp"
#include "units.hpp"

namespace jepasnn::data {

/// The 1 ns tolerance of the binning rule (DESIGN.md).
inline constexpr double bin_edge_tolerance = 1e-9;

/// Where bins start, how wide they are and how many there are.
struct BinGrid {
    double t_start = 0.0;
    double bin_width = 0.0;
    std::size_t n_bins = 0;

    /// The whole bins of width `bin_width` that fit in `range` from range.start:
    /// n = floor((stop − start)/dt + 1e-9). At least one bin must fit.
    static BinGrid covering(TimeRange range, double bin_width) {
        range.validate("BinGrid::covering");
        require(std::isfinite(bin_width) && bin_width > 0.0, "BinGrid::covering", "bin width is ",
                bin_width, " s, expected a finite value > 0");
        const double n = std::floor((range.stop - range.start) / bin_width + bin_edge_tolerance);
        require(n >= 1.0, "BinGrid::covering", "range [", range.start, ", ", range.stop,
                ") is shorter than one ", bin_width, " s bin");
        require(n < 2.0e9, "BinGrid::covering", "range needs ", n, " bins, expected < 2e9");
        return {range.start, bin_width, static_cast<std::size_t>(n)};
    }

    void validate(std::string_view where) const {
        require(std::isfinite(t_start), where, "grid start is ", t_start, ", expected finite");
        require(std::isfinite(bin_width) && bin_width > 0.0, where, "bin width is ", bin_width,
                " s, expected a finite value > 0");
    }

    double edge(std::size_t k) const { return t_start + static_cast<double>(k) * bin_width; }
    double t_stop() const { return edge(n_bins); }
    TimeRange range() const { return {t_start, t_stop()}; }

    /// The bin a time belongs to (negative or >= n_bins when outside the grid).
    std::int64_t bin_of(double t) const {
        return static_cast<std::int64_t>(
            std::floor((t - t_start + bin_edge_tolerance) / bin_width));
    }

    /// Bin start times (the time base of binned data).
    std::vector<double> starts() const {
        std::vector<double> s(n_bins);
        for (std::size_t k = 0; k < n_bins; ++k)
            s[k] = edge(k);
        return s;
    }
    std::vector<double> centers() const {
        std::vector<double> c(n_bins);
        for (std::size_t k = 0; k < n_bins; ++k)
            c[k] = edge(k) + 0.5 * bin_width;
        return c;
    }
};

/// The integer types binned counts come in.
template <class C>
concept CountType = std::same_as<C, std::uint8_t> || std::same_as<C, std::uint16_t> ||
    std::same_as<C, std::int32_t>;

template <CountType C>
constexpr std::string_view count_type_name() {
    if constexpr (std::same_as<C, std::uint8_t>)
        return "uint8";
    else if constexpr (std::same_as<C, std::uint16_t>)
        return "uint16";
    else
        return "int32";
}

/// Counts in whichever type was asked for or found narrowest.
using Counts =
    std::variant<Tensor<std::uint8_t, 2>, Tensor<std::uint16_t, 2>, Tensor<std::int32_t, 2>>;

/// The count type to bin into; `narrowest` is the narrowest that holds every count exactly.
enum class CountDType { narrowest, uint8, uint16, int32 };

inline CountDType parse_count_dtype(std::string_view text, std::string_view where) {
    if (text == "narrowest") return CountDType::narrowest;
    if (text == "uint8") return CountDType::uint8;
    if (text == "uint16") return CountDType::uint16;
    if (text == "int32") return CountDType::int32;
    fail(where, "unknown count type '", text, "', expected narrowest, uint8, uint16 or int32");
}

/// The first count (by bin, then output column) that the output type cannot hold.
struct CountOverflow {
    std::size_t bin = 0;
    std::size_t column = 0;
    friend auto operator<=>(const CountOverflow&, const CountOverflow&) = default;
};

namespace detail {

/// The one-line error for a count that does not fit: which unit, which bin, which type.
template <CountType C>
[[noreturn]] void report_overflow(const CountOverflow& o, std::span<const std::size_t> units,
                                  const BinGrid& grid, std::span<const std::int64_t> ids,
                                  std::string_view where) {
    fail(where, row_label(units[o.column], ids), " (output column ", o.column, ") has more than ",
         static_cast<std::int64_t>(std::numeric_limits<C>::max()), " spikes in bin ", o.bin,
         " (from ", grid.edge(o.bin), " s), more than ", count_type_name<C>(),
         " holds; bin into a wider count type");
}

/// Runs `try_as.template operator()<C>() -> optional<CountOverflow>` for the type asked for;
/// `narrowest` tries uint8, then uint16, then int32 and stops at the first that holds every
/// count. `report.template operator()<C>(overflow)` ends a request whose type cannot hold a count.
template <class TryAs, class Report>
void first_exact_type(CountDType dtype, TryAs&& try_as, Report&& report) {
    auto exact = [&]<CountType C>(bool must_fit) {
        if (const std::optional<CountOverflow> overflow = try_as.template operator()<C>()) {
            if (must_fit) report.template operator()<C>(*overflow);
            return false;
        }
        return true;
    };
    switch (dtype) {
        case CountDType::uint8:
            exact.template operator()<std::uint8_t>(true);
            return;
        case CountDType::uint16:
            exact.template operator()<std::uint16_t>(true);
            return;
        case CountDType::int32:
            exact.template operator()<std::int32_t>(true);
            return;
        case CountDType::narrowest:
            break;
    }
    if (exact.template operator()<std::uint8_t>(false)) return;
    if (exact.template operator()<std::uint16_t>(false)) return;
    exact.template operator()<std::int32_t>(true);
}

/// Bins into the type asked for (see first_exact_type) with
/// `try_bin(Tensor<C, 2>&) -> optional<CountOverflow>`.
template <class TryBin, class Report>
Counts counts_as(CountDType dtype, TryBin&& try_bin, Report&& report) {
    Counts counts;
    first_exact_type(
        dtype,
        [&]<CountType C>() {
            Tensor<C, 2> out;
            const std::optional<CountOverflow> overflow = try_bin(out);
            if (!overflow) counts = std::move(out);
            return overflow;
        },
        std::forward<Report>(report));
    return counts;
}

/// Doubles in increasing order ↔ increasing integers (IEEE bit patterns with the sign folded).
inline std::int64_t ordered_key(double x) {
    const auto i = std::bit_cast<std::int64_t>(x);
    return i >= 0 ? i : std::numeric_limits<std::int64_t>::min() - i;
}
inline double from_ordered_key(std::int64_t k) {
    return std::bit_cast<double>(k >= 0 ? k : std::numeric_limits<std::int64_t>::min() - k);
}

/// The smallest double t with grid.bin_of(t) >= k. The rule is monotone in t, so a bisection over
/// the ordered doubles finds exactly the boundary the rule draws (a few dozen steps).
inline double first_time_of_bin(const BinGrid& grid, std::int64_t k) {
    const double guess = grid.t_start + static_cast<double>(k) * grid.bin_width;
    double below = guess - grid.bin_width, above = guess + grid.bin_width;
    for (double width = 2.0 * grid.bin_width; grid.bin_of(below) >= k; width *= 2.0)
        below = guess - width;
    for (double width = 2.0 * grid.bin_width; grid.bin_of(above) < k; width *= 2.0)
        above = guess + width;
    std::int64_t lo = ordered_key(below), hi = ordered_key(above);
    // The keys of −x and x are >= 2^63 apart for |x| >= 2, so their difference is taken unsigned.
    auto gap = [&] { return static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo); };
    while (gap() > 1) {  // invariant: bin_of(lo) < k <= bin_of(hi)
        const auto mid = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + gap() / 2);
        if (grid.bin_of(from_ordered_key(mid)) < k)
            lo = mid;
        else
            hi = mid;
    }
    return from_ordered_key(hi);
}

/// The first spike of `t`, at or after position `from`, whose time is >= `limit` (galloping).
inline std::size_t gallop_to(std::span<const double> t, std::size_t from, double limit) {
    std::size_t below = from, step = 1, probe = from;
    while (probe < t.size() && t[probe] < limit) {
        below = probe + 1;
        probe = from + step;
        step *= 2;
    }
    const auto last = t.begin() + static_cast<std::ptrdiff_t>(std::min(probe, t.size()));
    return static_cast<std::size_t>(
        std::lower_bound(t.begin() + static_cast<std::ptrdiff_t>(below), last, limit) - t.begin());
}

/// The first spike of `t` whose bin is >= `bin`.
inline std::size_t first_spike_in_or_after(std::span<const double> t, const BinGrid& grid,
                                           std::int64_t bin) {
    return gallop_to(t, 0, first_time_of_bin(grid, bin));
}

inline void check_selection(std::span<const std::size_t> units, std::size_t n_units,
                            std::string_view where) {
    for (std::size_t i = 0; i < units.size(); ++i)
        if (units[i] >= n_units)
            fail(where, "selected unit ", units[i], " (entry ", i, ") out of range for ", n_units,
                 " units");
}

/// Copies `bytes` bytes with non-temporal stores where the CPU has them: the output is written
/// once and not read back soon, so it should neither be read first nor evict the working set.
inline void stream_store(void* destination, const void* source, std::size_t bytes) {
    auto* dst = static_cast<unsigned char*>(destination);
    const auto* src = static_cast<const unsigned char*>(source);
#if defined(__AVX__)
    for (; bytes > 0 && (reinterpret_cast<std::uintptr_t>(dst) & 31) != 0; --bytes)
        *dst++ = *src++;
    for (; bytes >= 32; bytes -= 32, dst += 32, src += 32)
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst),
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)));
#elif defined(__SSE2__)
    for (; bytes > 0 && (reinterpret_cast<std::uintptr_t>(dst) & 15) != 0; --bytes)
        *dst++ = *src++;
    for (; bytes >= 16; bytes -= 16, dst += 16, src += 16)
        _mm_stream_si128(reinterpret_cast<__m128i*>(dst),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(src)));
#endif
    if (bytes > 0) std::memcpy(dst, src, bytes);
}

/// Orders this thread's non-temporal stores before whatever follows.
inline void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

/// Rows per block for `n_units` counts of `count_bytes` each. The block stays in L2 while every
/// unit's spikes in it are added: fewer rows spend more on the per-unit visits (each ends in a
/// mispredicted branch), a block past L2 more on misses. At VBN width (2,000 units) 128 rows was
/// measured best for uint8 (256 KiB) and int32 (1 MiB) alike; narrow tables take up to 256 KiB.
inline std::size_t bin_block_rows(std::size_t n_units, std::size_t count_bytes) {
    const std::size_t row_bytes = std::max<std::size_t>(1, n_units * count_bytes);
    const std::size_t rows = std::clamp<std::size_t>((256 << 10) / row_bytes, 128, 4096);
    return std::min(rows, std::max<std::size_t>(16, (1 << 20) / row_bytes));
}

/// One thread's binning of consecutive blocks of rows. Per block: the block is zeroed in cache,
/// each unit's spikes before the block's end are added to its column by the rule, and the block
/// is streamed out. After the first count C cannot hold, the counter stops.
template <CountType C>
class BlockCounter {
  public:
    BlockCounter(SpikeTrains trains, const BinGrid& grid, std::span<const std::size_t> units,
                 std::size_t block_rows, C* counts)
        : trains_(trains),
          grid_(grid),
          units_(units),
          counts_(counts),
          cursor_(units.size()),
          end_(units.size()),
          last_(units.size()),
          block_(block_rows * units.size()) {
        for (std::size_t j = 0; j < units.size(); ++j) {
            const std::span<const double> t = trains.unit(units[j]);
            end_[j] = t.data() + t.size();
            last_[j] = t.empty() ? -std::numeric_limits<double>::infinity() : t.back();
        }
    }

    /// The first count the type could not hold, if any.
    const std::optional<CountOverflow>& overflow() const { return overflow_; }

    /// Every unit's cursor to its first spike at or after the start of bin `first_bin`.
    void start_at(std::size_t first_bin) {
        const double start = first_time_of_bin(grid_, static_cast<std::int64_t>(first_bin));
        for (std::size_t j = 0; j < units_.size(); ++j) {
            const std::span<const double> t = trains_.unit(units_[j]);
            cursor_[j] = t.data() + gallop_to(t, 0, start);
        }
    }

    /// Counts of bins [k0, k1) into rows k0… of the output (blocks in increasing order).
    void count_block(std::size_t k0, std::size_t k1) {
        const std::size_t n = (k1 - k0) * units_.size();
        std::fill(block_.begin(), block_.begin() + static_cast<std::ptrdiff_t>(n), C{0});
        if (add_spikes(k0, k1)) {
            overflow_ = first_overflow(k0, k1);
            return;
        }
        stream_store(counts_ + k0 * units_.size(), block_.data(), n * sizeof(C));
    }

  private:
    /// Each unit's spikes before the first time of bin k1, by the rule, into rows k0… of the
    /// block (a spike's row is its bin − k0: the cursor is at or after bin k0's first time).
    /// Returns whether a count passed C's largest value (it wrapped; first_overflow finds it).
    bool add_spikes(std::size_t k0, std::size_t k1) {
        using Unsigned = std::make_unsigned_t<C>;
        constexpr C largest = std::numeric_limits<C>::max();
        const double limit = first_time_of_bin(grid_, static_cast<std::int64_t>(k1));
        const auto first = static_cast<std::int64_t>(k0);
        const std::size_t n_units = units_.size();
        bool passed = false;
        auto add = [&](C* column, double t) {
            C& count = column[static_cast<std::size_t>(grid_.bin_of(t) - first) * n_units];
            passed |= count == largest;
            count = static_cast<C>(static_cast<Unsigned>(count) + 1u);
        };
        for (std::size_t j = 0; j < n_units; ++j) {
            const double* t = cursor_[j];
            C* column = block_.data() + j;
            if (last_[j] >= limit) {  // the run ends inside the train: one test per spike
                for (; *t < limit; ++t)
                    add(column, *t);
            } else {
                for (; t < end_[j] && *t < limit; ++t)
                    add(column, *t);
            }
            cursor_[j] = t;
        }
        return passed;
    }

    /// The first count (by bin, then column) of bins [k0, k1) that C cannot hold, counted again
    /// in 64 bits from the block's first time (only after add_spikes saw one pass).
    CountOverflow first_overflow(std::size_t k0, std::size_t k1) const {
        const std::size_t n_units = units_.size();
        std::vector<std::uint64_t> wide((k1 - k0) * n_units, 0);
        const double start = first_time_of_bin(grid_, static_cast<std::int64_t>(k0));
        const double limit = first_time_of_bin(grid_, static_cast<std::int64_t>(k1));
        for (std::size_t j = 0; j < n_units; ++j) {
            const std::span<const double> t = trains_.unit(units_[j]);
            for (std::size_t s = gallop_to(t, 0, start); s < t.size() && t[s] < limit; ++s) {
                const auto row = static_cast<std::size_t>(grid_.bin_of(t[s])) - k0;
                ++wide[row * n_units + j];
            }
        }
        const auto over = std::find_if(wide.begin(), wide.end(), [](std::uint64_t c) {
            return c > static_cast<std::uint64_t>(std::numeric_limits<C>::max());
        });
        const auto at = static_cast<std::size_t>(over - wide.begin());
        return {k0 + at / n_units, at % n_units};
    }

    SpikeTrains trains_;
    const BinGrid& grid_;
    std::span<const std::size_t> units_;
    C* counts_;                                // (n_bins, n_units)
    std::vector<const double*> cursor_, end_;  // per unit: its next spike, the end of its train
    std::vector<double> last_;                 // per unit: its last spike time (−inf when none)
    std::vector<C> block_;                     // (block rows, units)
    std::optional<CountOverflow> overflow_;
};

/// try_bin_spikes_into with `block_rows` rows per block (any >= 1 gives the same counts).
template <CountType C>
std::optional<CountOverflow> try_bin_blocks(Tensor<C, 2>& out, SpikeTrains trains,
                                            const BinGrid& grid, std::span<const std::size_t> units,
                                            std::size_t block_rows) {
    constexpr std::string_view where = "bin_spikes";
    grid.validate(where);
    check_selection(units, trains.size(), where);
    require(block_rows >= 1, where, "rows per block must be >= 1");
    const std::size_t n_units = units.size();
    const std::size_t n_bins = grid.n_bins;
    if (out.shape(0) != n_bins || out.shape(1) != n_units)
        out = Tensor<C, 2>::from_shape({n_bins, n_units});
    if (n_units == 0 || n_bins == 0) return std::nullopt;

    const std::size_t n_blocks = (n_bins + block_rows - 1) / block_rows;
    const auto n_groups =
        static_cast<std::int64_t>(std::min<std::size_t>(n_blocks, std::max(1, thread_count())));
    // Groups cover increasing bins, so the first group's overflow is the first overall.
    std::vector<std::optional<CountOverflow>> overflow(static_cast<std::size_t>(n_groups));
    parallel_for(0, n_groups, [&](std::int64_t g) {
        const auto group = static_cast<std::size_t>(g), groups = static_cast<std::size_t>(n_groups);
        const std::size_t block_begin = n_blocks * group / groups;
        const std::size_t block_end = n_blocks * (group + 1) / groups;
        BlockCounter<C> counter(trains, grid, units, block_rows, out.data());
        counter.start_at(block_begin * block_rows);
        for (std::size_t b = block_begin; b < block_end && !counter.overflow(); ++b)
            counter.count_block(b * block_rows, std::min(n_bins, (b + 1) * block_rows));
        stream_fence();
        overflow[group] = counter.overflow();
    });
    for (const auto& o : overflow)
        if (o) return o;
    return std::nullopt;
}

}  // namespace detail

/// Counts of the selected units' spikes on `grid` into `out` (n_bins × units.size()), reusing
/// out's storage when it already has that shape (repeated binning allocates nothing). Returns the
/// first count (by bin, then column) that C cannot hold, and then out's contents are unspecified.
template <CountType C>
std::optional<CountOverflow> try_bin_spikes_into(Tensor<C, 2>& out, SpikeTrains trains,
                                                 const BinGrid& grid,
                                                 std::span<const std::size_t> units) {
    return detail::try_bin_blocks(out, trains, grid, units,
                                  detail::bin_block_rows(units.size(), sizeof(C)));
}

/// try_bin_spikes_into, ending with a one-line error naming the unit (by `ids` when given) and
/// the bin when a count does not fit C.
template <CountType C>
void bin_spikes_into(Tensor<C, 2>& out, SpikeTrains trains, const BinGrid& grid,
                     std::span<const std::size_t> units, std::span<const std::int64_t> ids = {}) {
    if (const auto overflow = try_bin_spikes_into(out, trains, grid, units))
        detail::report_overflow<C>(*overflow, units, grid, ids, "bin_spikes");
}

/// (n_bins × units.size()) counts of the selected units, in the order given.
template <CountType C = std::int32_t>
Tensor<C, 2> bin_spikes(SpikeTrains trains, const BinGrid& grid, std::span<const std::size_t> units,
                        std::span<const std::int64_t> ids = {}) {
    Tensor<C, 2> out;
    bin_spikes_into(out, trains, grid, units, ids);
    return out;
}

/// All units of the table, in file order.
inline std::vector<std::size_t> all_units(std::size_t n) {
    std::vector<std::size_t> u(n);
    for (std::size_t i = 0; i < n; ++i)
        u[i] = i;
    return u;
}

template <CountType C = std::int32_t>
Tensor<C, 2> bin_spikes(const UnitTable& table, const BinGrid& grid,
                        std::span<const std::size_t> units) {
    return bin_spikes<C>(table.trains(), grid, units, table.ids());
}
template <CountType C = std::int32_t>
Tensor<C, 2> bin_spikes(const UnitTable& table, const BinGrid& grid) {
    const std::vector<std::size_t> every = all_units(table.size());
    return bin_spikes<C>(table.trains(), grid, every, table.ids());
}

/// The selected units' counts in the type asked for (narrowest: the narrowest exact one).
inline Counts bin_spikes_as(CountDType dtype, const UnitTable& table, const BinGrid& grid,
                            std::span<const std::size_t> units) {
    return detail::counts_as(
        dtype, [&](auto& out) { return try_bin_spikes_into(out, table.trains(), grid, units); },
        [&]<CountType C>(const CountOverflow& o) {
            detail::report_overflow<C>(o, units, grid, table.ids(), "bin_spikes");
        });
}

/// Counts of one spike train on `grid` (a column of bin_spikes, as a vector).
inline std::vector<std::int32_t> bin_train(std::span<const double> t, const BinGrid& grid) {
    grid.validate("bin_train");
    std::vector<std::int32_t> counts(grid.n_bins, 0);
    for (std::size_t s = detail::first_spike_in_or_after(t, grid, 0); s < t.size(); ++s) {
        const std::int64_t b = grid.bin_of(t[s]);
        if (b >= static_cast<std::int64_t>(grid.n_bins)) break;
        ++counts[static_cast<std::size_t>(b)];
    }
    return counts;
}

}  // namespace jepasnn::data
