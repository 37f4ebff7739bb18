// Spike counts in time bins, exactly by DESIGN.md's rule: bin k covers [t0 + k·dt, t0 + (k+1)·dt);
// a spike at t belongs to bin floor((t − t0 + 1e-9)/dt), so one within 1 ns below an edge counts
// in the bin that starts there; only whole bins, n = floor((t1 − t0)/dt + 1e-9). The output is
// (time × units), units in the order given, in one of the exact count types: uint8 (a quarter of
// int32's bytes: VBN's 10 ms counts never exceed a few spikes), uint16 or int32. A count the type
// cannot hold is an error naming the unit and the bin, never a wrap; CountDType::narrowest tries
// uint8, then uint16, then int32 and keeps the first that holds every count.
//
// The kernel builds the output in chunks of consecutive bins. Within a chunk each unit's run of
// spikes is found by galloping from its cursor (comparing times with the chunk's exact first time:
// no division), the spikes' bins are computed in a loop the compiler vectorises, and the unit
// indices are counting-sorted by bin; each row is then assembled in a small cache-resident block
// and written out with non-temporal stores. Spike memory is read sequentially once, every output
// row is written once and in order (at VBN width the output is ~9x the spike bytes, so these
// stores are the floor), and no increment scatters across pages. Threads take contiguous ranges
// of chunks (static, so deterministic).
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

/// Bins per chunk: about 2^17 spikes per chunk keeps its scratch in L2.
inline std::size_t chunk_bins(SpikeTrains trains, const BinGrid& grid,
                              std::span<const std::size_t> units) {
    std::uint64_t spikes = 0;
    for (std::size_t u : units)
        spikes += trains.ends[u] - trains.begin_of(u);
    const double per_bin = static_cast<double>(spikes) / static_cast<double>(grid.n_bins) + 1e-9;
    return std::clamp<std::size_t>(static_cast<std::size_t>((1 << 17) / per_bin), 64, 1 << 16);
}

/// Rows are assembled a block of about this many bytes at a time, then streamed out.
inline constexpr std::size_t bin_block_bytes = 128 * 1024;

/// One thread's binning of consecutive chunks of bins. Per chunk: each unit's run of spikes in
/// it is binned by the rule (a vectorised loop), the spikes are grouped by row with a counting
/// sort, and the rows are assembled a block at a time in cache, in C, and streamed out. After the
/// first count C cannot hold, the counter stops.
template <CountType C>
class ChunkCounter {
  public:
    ChunkCounter(SpikeTrains trains, const BinGrid& grid, std::span<const std::size_t> units,
                 std::size_t chunk, std::size_t block_rows, C* counts)
        : trains_(trains),
          grid_(grid),
          units_(units),
          counts_(counts),
          block_rows_(block_rows),
          cursor_(units.size()),
          run_end_(units.size()),
          row_start_(chunk + 1),
          row_fill_(chunk),
          block_(block_rows * units.size()) {}

    /// The first count the type could not hold, if any.
    const std::optional<CountOverflow>& overflow() const { return overflow_; }

    /// Every unit's cursor to its first spike at or after the start of bin `first_bin`.
    void start_at(std::size_t first_bin) {
        const double start = first_time_of_bin(grid_, static_cast<std::int64_t>(first_bin));
        for (std::size_t j = 0; j < units_.size(); ++j)
            cursor_[j] = trains_.begin_of(units_[j]) + gallop_to(trains_.unit(units_[j]), 0, start);
    }

    /// Counts of bins [k0, k1) into rows k0… of the output (chunks in increasing order).
    void count_chunk(std::size_t k0, std::size_t k1) {
        const std::size_t spikes = find_runs(k1);
        require(spikes <= std::numeric_limits<std::uint32_t>::max(), "bin_spikes", "bins ", k0,
                "..", k1, " hold ", spikes, " spikes, more than a chunk's 32-bit index holds");
        if (local_.size() < spikes) {
            local_.resize(spikes);
            entries_.resize(spikes);
        }
        bin_runs(k0, k1 - k0);
        sort_by_row(k1 - k0);
        write_rows(k0, k1 - k0);
    }

  private:
    /// Each unit's run: its spikes before the first time of bin k1. Returns their total.
    std::size_t find_runs(std::size_t k1) {
        const double limit = first_time_of_bin(grid_, static_cast<std::int64_t>(k1));
        std::size_t total = 0;
        for (std::size_t j = 0; j < units_.size(); ++j) {
            const std::uint64_t first = trains_.begin_of(units_[j]);
            run_end_[j] = first + gallop_to(trains_.unit(units_[j]), cursor_[j] - first, limit);
            total += run_end_[j] - cursor_[j];
        }
        return total;
    }

    /// The rule itself, spike by spike: each spike's bin within the chunk, and spikes per row.
    void bin_runs(std::size_t k0, std::size_t rows) {
        const double k0_bins = static_cast<double>(k0);
        const double* const times = trains_.times.data();
        std::fill(row_start_.begin(), row_start_.begin() + static_cast<std::ptrdiff_t>(rows + 1),
                  0u);
        std::size_t at = 0;
        for (std::size_t j = 0; j < units_.size(); ++j) {
            const std::size_t n = run_end_[j] - cursor_[j];
            const double* t = times + cursor_[j];
            std::int32_t* lb = local_.data() + at;
            for (std::size_t s = 0; s < n; ++s)
                lb[s] = static_cast<std::int32_t>(
                    std::floor((t[s] - grid_.t_start + bin_edge_tolerance) / grid_.bin_width) -
                    k0_bins);
            for (std::size_t s = 0; s < n; ++s)
                ++row_start_[static_cast<std::size_t>(lb[s]) + 1];
            at += n;
        }
    }

    /// Counting sort: each spike's output column, grouped by row; the cursors move past the runs.
    void sort_by_row(std::size_t rows) {
        for (std::size_t r = 0; r < rows; ++r) {
            row_start_[r + 1] += row_start_[r];
            row_fill_[r] = row_start_[r];
        }
        std::size_t at = 0;
        for (std::size_t j = 0; j < units_.size(); ++j) {
            const std::size_t n = run_end_[j] - cursor_[j];
            for (std::size_t s = 0; s < n; ++s)
                entries_[row_fill_[static_cast<std::size_t>(local_[at + s])]++] =
                    static_cast<std::uint32_t>(j);
            at += n;
            cursor_[j] = run_end_[j];
        }
    }

    /// Rows a block at a time: zero in cache, add each row's spikes (a count at C's largest
    /// value stops the counter there), stream out. The block is in C itself, so a narrow type
    /// also narrows the cache work: no widening, checking or narrowing pass over the counts.
    void write_rows(std::size_t k0, std::size_t rows) {
        constexpr C largest = std::numeric_limits<C>::max();
        const std::size_t n_units = units_.size();
        for (std::size_t r0 = 0; r0 < rows; r0 += block_rows_) {
            const std::size_t r1 = std::min(rows, r0 + block_rows_);
            const std::size_t n = (r1 - r0) * n_units;
            std::fill(block_.begin(), block_.begin() + static_cast<std::ptrdiff_t>(n), C{0});
            for (std::size_t r = r0; r < r1; ++r) {
                C* row = block_.data() + (r - r0) * n_units;  // (n_units,)
                // A row's entries come in increasing column order (sort_by_row), so the first
                // count found full is the first by (bin, column).
                for (std::uint32_t e = row_start_[r]; e < row_start_[r + 1]; ++e) {
                    C& count = row[entries_[e]];
                    if (count == largest) [[unlikely]] {
                        overflow_ = CountOverflow{k0 + r, entries_[e]};
                        return;
                    }
                    ++count;
                }
            }
            stream_store(counts_ + (k0 + r0) * n_units, block_.data(), n * sizeof(C));
        }
    }

    SpikeTrains trains_;
    const BinGrid& grid_;
    std::span<const std::size_t> units_;
    C* counts_;  // (n_bins, n_units)
    std::size_t block_rows_;
    std::vector<std::uint64_t> cursor_, run_end_;      // per unit: next spike, end of its run
    std::vector<std::int32_t> local_;                  // (chunk spikes,) bin within the chunk
    std::vector<std::uint32_t> entries_;               // (chunk spikes,) output column, by row
    std::vector<std::uint32_t> row_start_, row_fill_;  // (chunk rows,)
    std::vector<C> block_;                             // (block rows, units)
    std::optional<CountOverflow> overflow_;
};

}  // namespace detail

/// Counts of the selected units' spikes on `grid` into `out` (n_bins × units.size()), reusing
/// out's storage when it already has that shape (repeated binning allocates nothing). Returns the
/// first count (by bin, then column) that C cannot hold, and then out's contents are unspecified.
template <CountType C>
std::optional<CountOverflow> try_bin_spikes_into(Tensor<C, 2>& out, SpikeTrains trains,
                                                 const BinGrid& grid,
                                                 std::span<const std::size_t> units) {
    constexpr std::string_view where = "bin_spikes";
    grid.validate(where);
    detail::check_selection(units, trains.size(), where);
    const std::size_t n_units = units.size();
    const std::size_t n_bins = grid.n_bins;
    if (out.shape(0) != n_bins || out.shape(1) != n_units)
        out = Tensor<C, 2>::from_shape({n_bins, n_units});
    if (n_units == 0 || n_bins == 0) return std::nullopt;

    const std::size_t chunk = detail::chunk_bins(trains, grid, units);
    const std::size_t n_chunks = (n_bins + chunk - 1) / chunk;
    const std::size_t block_rows =
        std::max<std::size_t>(1, detail::bin_block_bytes / (n_units * sizeof(C)));
    const auto n_groups =
        static_cast<std::int64_t>(std::min<std::size_t>(n_chunks, std::max(1, thread_count())));
    // Groups cover increasing bins, so the first group's overflow is the first overall.
    std::vector<std::optional<CountOverflow>> overflow(static_cast<std::size_t>(n_groups));
    parallel_for(0, n_groups, [&](std::int64_t g) {
        const auto group = static_cast<std::size_t>(g), groups = static_cast<std::size_t>(n_groups);
        const std::size_t chunk_begin = n_chunks * group / groups;
        const std::size_t chunk_end = n_chunks * (group + 1) / groups;
        detail::ChunkCounter<C> counter(trains, grid, units, chunk, block_rows, out.data());
        counter.start_at(chunk_begin * chunk);
        for (std::size_t c = chunk_begin; c < chunk_end && !counter.overflow(); ++c)
            counter.count_chunk(c * chunk, std::min(n_bins, (c + 1) * chunk));
        detail::stream_fence();
        overflow[group] = counter.overflow();
    });
    for (const auto& o : overflow)
        if (o) return o;
    return std::nullopt;
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
