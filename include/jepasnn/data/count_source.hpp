// A session's binned counts (bins × units), read a block of bins at a time whether they are held
// in memory or in a binned store (binned_store.hpp). Preprocessing, window sampling, evaluation
// and embedding run the same code over both, and a store-backed session holds only the blocks
// being read: memory does not grow with the length of the recording.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "binned_store.hpp"
#include "binning.hpp"

namespace jepasnn::data {

/// Counts given as any matrix (bins × units) of whole numbers, as int32 counts; a value that is
/// not a whole number in [0, 2^31) is an error naming its bin and unit.
template <class Derived>
Counts counts_from_matrix(const Eigen::MatrixBase<Derived>& m, std::string_view where) {
    auto t = Tensor<std::int32_t, 2>::from_shape(
        {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())});
    for (Index b = 0; b < m.rows(); ++b)
        for (Index u = 0; u < m.cols(); ++u) {
            const double x = static_cast<double>(m(b, u));
            require(std::isfinite(x) && x >= 0.0 && x == std::floor(x) &&
                        x <= std::numeric_limits<std::int32_t>::max(),
                    where, "count at bin ", b, ", unit ", u, " is ", x,
                    ", expected a whole number >= 0 (int32)");
            t(static_cast<std::size_t>(b), static_cast<std::size_t>(u)) =
                static_cast<std::int32_t>(x);
        }
    return t;
}

/// One session's counts, shared and immutable: copies are cheap and read the same data.
class CountSource {
  public:
    /// No bins and no units.
    CountSource() = default;

    /// Counts held in memory.
    explicit CountSource(Counts counts)
        : memory_(std::make_shared<const Counts>(std::move(counts))) {
        const auto [bins, units] = shape();
        require(bins >= 1 && units >= 1, "data::CountSource", "counts are ", bins, " bins x ",
                units, " units, expected at least one of each");
    }

    /// Counts read from the binned store at `path`, opened and validated now (BinnedStore).
    static CountSource open_store(const std::filesystem::path& path) {
        CountSource s;
        s.store_ = std::make_shared<const BinnedStore>(path);
        return s;
    }

    Index bins() const { return shape().first; }
    Index units() const { return shape().second; }
    /// The store behind the counts, or null when they are held in memory.
    const BinnedStore* store() const { return store_.get(); }

    /// Calls f(rows) with bins [first, first + n) as a row-major (n × units) Eigen matrix of the
    /// stored count type and returns what f returns (the same type for every count type). In
    /// memory the rows are a view; from a store they are read into a buffer that lives for the
    /// call, so memory holds one block, never the session.
    template <class F>
    decltype(auto) visit_rows(Index first, Index n, F&& f) const {
        require(first >= 0 && n >= 0 && first + n <= bins(), "data::CountSource", "bins ", first,
                "..", first + n, " run past the session's ", bins(), " bins");
        if (memory_)
            return std::visit([&](const auto& t) { return f(as_matrix(t).middleRows(first, n)); },
                              *memory_);
        const auto read = [&]<CountType C>() {
            std::vector<C> buffer(static_cast<std::size_t>(n * units()));
            store_->read_window<C>(static_cast<std::size_t>(first), static_cast<std::size_t>(n),
                                   std::span<C>(buffer));
            return f(Eigen::Map<const RowMatrix<C>>(buffer.data(), n, units()));
        };
        const std::string& dtype = store_->dtype();
        if (dtype == "uint8") return read.template operator()<std::uint8_t>();
        if (dtype == "uint16") return read.template operator()<std::uint16_t>();
        return read.template operator()<std::int32_t>();
    }

  private:
    std::pair<Index, Index> shape() const {
        if (store_)
            return {static_cast<Index>(store_->bins()), static_cast<Index>(store_->units())};
        if (!memory_) return {0, 0};
        return std::visit(
            [](const auto& t) {
                return std::pair<Index, Index>(static_cast<Index>(t.shape(0)),
                                               static_cast<Index>(t.shape(1)));
            },
            *memory_);
    }

    std::shared_ptr<const Counts> memory_;
    std::shared_ptr<const BinnedStore> store_;
};

}  // namespace jepasnn::data
