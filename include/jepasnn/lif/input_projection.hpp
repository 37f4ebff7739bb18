// The external input current of the E/I network, I_ext,t = W_in x_t, as a CurrentSource for the
// population, with its backward dW_in += Σ_t dL/dI_t x_tᵀ. Three paths, same result:
//   binned counts (B, K, F):   one GEMM over all B·K rows, each bin's current repeated over its
//                              L steps (x_t = counts / L);
//   dense spike trains:        one GEMM over all B·T rows (or per sequence when chunked);
//   sparse spike trains:       recorded spikes at 1 ms are ~1% non-zero, so each input spike adds
//                              one weight column (and one gradient column in the backward),
//                              O(nnz·N) instead of O(B·T·F·N).
#pragma once

#include "../core/eigen.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/threads.hpp"
#include "population.hpp"

namespace jepasnn::lif {

/// What the input tensor holds.
enum class InputKind {
    binned_counts,  // (B, K, F): spike counts per bin; each of the bin's steps gets count / steps
    spike_trains,   // (B, T, F): spikes (or any non-negative drive) at every 1 ms step
};

template <class T>
class InputProjection {
  public:
    /// Binds a forward's input (read again by the backward: it must stay alive and unchanged)
    /// and the input weights (N, F), column-major [post][pre]. Spike trains whose fraction of
    /// non-zeros is at most `sparse_density` take the event-driven path.
    void prepare(const Tensor<T, 3>& input, InputKind kind, Index steps_per_bin,
                 const Eigen::Map<const Matrix<T>>& w_in, double sparse_density) {
        input_ = input.data();
        kind_ = kind;
        batch_ = static_cast<Index>(input.shape(0));
        features_ = static_cast<Index>(input.shape(2));
        steps_per_bin_ = steps_per_bin;
        bins_ = kind == InputKind::binned_counts
                    ? static_cast<Index>(input.shape(1))
                    : static_cast<Index>(input.shape(1)) / steps_per_bin;
        steps_ = bins_ * steps_per_bin;
        w_in_ = w_in.data();
        neurons_ = w_in.rows();
        sparse_ = false;
        if (kind == InputKind::binned_counts) {
            // C = (X / L) W_inᵀ, (B·K, N)
            bin_currents_.noalias() =
                (input_rows(batch_ * bins_) * w_in.transpose()) / static_cast<T>(steps_per_bin);
        } else {
            build_events(sparse_density);
        }
    }

    bool sparse() const { return sparse_; }
    /// Non-zero input entries found by the last prepare() (spike trains only).
    std::size_t events() const { return row_events_.size(); }

    /// CurrentSource: external currents of steps [t0, t1) into out (B, t1 − t0, N).
    void fill(Index t0, Index t1, T* out) {
        const Index n = neurons_, len = t1 - t0;
        const Eigen::Map<const Matrix<T>> w_in(w_in_, n, features_);
        if (kind_ == InputKind::binned_counts) {
            for (Index b = 0; b < batch_; ++b)
                for (Index t = t0; t < t1; ++t)
                    Eigen::Map<RowVector<T>>(out + (b * len + t - t0) * n, n) =
                        bin_currents_.row(b * bins_ + t / steps_per_bin_);
        } else if (sparse_) {
            parallel_for_if_large(static_cast<std::int64_t>(events()) * n + batch_ * len * n, 0,
                                  batch_, [&](std::int64_t b) {
                                      for (Index t = t0; t < t1; ++t)
                                          fill_sparse_row(b, t, out + (b * len + t - t0) * n);
                                  });
        } else if (len == steps_) {  // the whole sequence: one GEMM over all B·T rows
            Eigen::Map<RowMatrix<T>>(out, batch_ * steps_, n).noalias() =
                input_rows(batch_ * steps_) * w_in.transpose();
        } else {
            for (Index b = 0; b < batch_; ++b)
                Eigen::Map<RowMatrix<T>>(out + b * len * n, len, n).noalias() =
                    sequence_rows(b, t0, len) * w_in.transpose();
        }
    }

    /// Starts a backward whose dW_in is added (+=) into d_w_in (N, F), column-major.
    void begin_backward(T* d_w_in) {
        d_w_in_ = d_w_in;
        if (kind_ == InputKind::binned_counts) bin_gradients_.setZero(batch_ * bins_, neurons_);
    }

    /// CurrentSource: d (B, t1 − t0, N) = dL/dI_ext of steps [t0, t1).
    void backward(Index t0, Index t1, const T* d) {
        const Index n = neurons_, len = t1 - t0;
        Eigen::Map<Matrix<T>> d_w_in(d_w_in_, n, features_);
        if (kind_ == InputKind::binned_counts) {  // per-bin sums of dL/dI, finished below
            for (Index b = 0; b < batch_; ++b)
                for (Index t = t0; t < t1; ++t)
                    bin_gradients_.row(b * bins_ + t / steps_per_bin_) +=
                        Eigen::Map<const RowVector<T>>(d + (b * len + t - t0) * n, n);
        } else if (sparse_) {
            // dW_in[:, j] += x · dL/dI_t[b] for every input event (b, t, j) with t in [t0, t1):
            // rows in order, each read once while dW_in stays in cache, the inputs split into one
            // range per thread. Every column sums in (b, t) order whatever the ranges.
            const Index ranges = std::min<Index>(features_, thread_count());
            parallel_for_if_large(
                static_cast<std::int64_t>(events()) * n, 0, ranges, [&](std::int64_t part) {
                    const Index j0 = features_ * part / ranges;
                    const Index j1 = features_ * (part + 1) / ranges;
                    for (Index b = 0; b < batch_; ++b)
                        for (Index t = t0; t < t1; ++t) {
                            const T* g = d + (b * len + t - t0) * n;
                            const Index r = b * steps_ + t;
                            for (Index e = row_begin_[static_cast<std::size_t>(r)];
                                 e < row_begin_[static_cast<std::size_t>(r + 1)]; ++e) {
                                const RowEvent& ev = row_events_[static_cast<std::size_t>(e)];
                                if (ev.input < j0 || ev.input >= j1) continue;
                                T* column = d_w_in_ + ev.input * n;
                                for (Index i = 0; i < n; ++i)
                                    column[i] += ev.value * g[i];
                            }
                        }
                });
        } else if (len == steps_) {
            const Eigen::Map<const RowMatrix<T>> g(d, batch_ * steps_, n);
            d_w_in.noalias() += g.transpose() * input_rows(batch_ * steps_);
        } else {
            for (Index b = 0; b < batch_; ++b) {
                const Eigen::Map<const RowMatrix<T>> g(d + b * len * n, len, n);
                d_w_in.noalias() += g.transpose() * sequence_rows(b, t0, len);
            }
        }
    }

    /// Ends a backward: binned input turns its per-bin gradient sums into dW_in += G_binᵀ X / L.
    void end_backward() {
        if (kind_ != InputKind::binned_counts) return;
        Eigen::Map<Matrix<T>> d_w_in(d_w_in_, neurons_, features_);
        d_w_in.noalias() += (bin_gradients_.transpose() * input_rows(batch_ * bins_)) /
                            static_cast<T>(steps_per_bin_);
    }

    std::size_t bytes() const {
        return (bin_currents_.size() + bin_gradients_.size()) * sizeof(T) +
               row_events_.size() * sizeof(RowEvent) + row_begin_.size() * sizeof(Index);
    }

  private:
    struct RowEvent {
        Index input;
        T value;
    };

    Eigen::Map<const RowMatrix<T>> input_rows(Index rows) const {
        return {input_, rows, features_};
    }
    Eigen::Map<const RowMatrix<T>> sequence_rows(Index b, Index t0, Index len) const {
        return {input_ + (b * steps_ + t0) * features_, len, features_};
    }

    /// The event list by row when the input is sparse enough: the rows are split into one range
    /// per thread, each scanned once (non-zeros found by first_outside's vectorised scan) into its
    /// own list, giving up once its events alone pass the density; the lists are then joined in
    /// row order, so the result does not depend on the threads.
    void build_events(double sparse_density) {
        const Index rows = batch_ * steps_;
        const double limit = sparse_density * static_cast<double>(rows * features_);
        const Index parts = worth_parallel(rows * features_, rows)
                                ? std::min<Index>(rows, thread_count())
                                : Index{1};
        std::vector<std::vector<RowEvent>>& found = part_events_;  // keeps its capacity
        found.resize(static_cast<std::size_t>(parts));
        for (std::vector<RowEvent>& events : found)
            events.clear();
        std::vector<char> dense(static_cast<std::size_t>(parts), 0);
        row_begin_.assign(static_cast<std::size_t>(rows + 1), 0);
        parallel_for_if_large(rows * features_, 0, parts, [&](std::int64_t p) {
            std::vector<RowEvent>& events = found[static_cast<std::size_t>(p)];
            for (Index r = rows * p / parts; r < rows * (p + 1) / parts; ++r) {
                const T* x = input_ + r * features_;
                for (Index j = 0; j < features_; ++j) {
                    j += static_cast<Index>(
                        first_outside(x + j, static_cast<std::size_t>(features_ - j), T(0), T(0)));
                    if (j == features_) break;
                    events.push_back({j, x[j]});
                }
                if (static_cast<double>(events.size()) > limit) {
                    dense[static_cast<std::size_t>(p)] = 1;
                    return;
                }
                row_begin_[static_cast<std::size_t>(r + 1)] = static_cast<Index>(events.size());
            }
        });
        row_events_.clear();
        std::size_t total = 0;
        for (std::size_t p = 0; p < found.size(); ++p)
            total += found[p].size();
        sparse_ = std::find(dense.begin(), dense.end(), 1) == dense.end() &&
                  static_cast<double>(total) <= limit;
        if (!sparse_) return;
        row_events_.reserve(total);
        for (Index p = 0; p < parts; ++p) {  // per-part counts → offsets into the joined list
            const auto offset = static_cast<Index>(row_events_.size());
            for (Index r = rows * p / parts; r < rows * (p + 1) / parts; ++r)
                row_begin_[static_cast<std::size_t>(r + 1)] += offset;
            const std::vector<RowEvent>& events = found[static_cast<std::size_t>(p)];
            row_events_.insert(row_events_.end(), events.begin(), events.end());
        }
    }

    /// out (N) = Σ over the input events of row (b, t) of x_j W_in[:, j].
    void fill_sparse_row(Index b, Index t, T* out) const {
        const Index n = neurons_, r = b * steps_ + t;
        std::fill(out, out + n, T(0));
        for (Index e = row_begin_[static_cast<std::size_t>(r)];
             e < row_begin_[static_cast<std::size_t>(r + 1)]; ++e) {
            const RowEvent& ev = row_events_[static_cast<std::size_t>(e)];
            const T* column = w_in_ + ev.input * n;
            for (Index i = 0; i < n; ++i)
                out[i] += ev.value * column[i];
        }
    }

    const T* input_ = nullptr;  // (B, T or K, F) row-major, owned by the caller
    const T* w_in_ = nullptr;   // (N, F) column-major
    T* d_w_in_ = nullptr;       // (N, F) column-major
    InputKind kind_ = InputKind::spike_trains;
    Index batch_ = 0, steps_ = 0, bins_ = 0, steps_per_bin_ = 1, features_ = 0, neurons_ = 0;
    bool sparse_ = false;
    RowMatrix<T> bin_currents_;         // (B·K, N) binned only
    RowMatrix<T> bin_gradients_;        // (B·K, N) binned only
    std::vector<Index> row_begin_;                    // (B·T + 1)
    std::vector<RowEvent> row_events_;                // (nnz) by row
    std::vector<std::vector<RowEvent>> part_events_;  // build_events' per-thread lists
};

}  // namespace jepasnn::lif
