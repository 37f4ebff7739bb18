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

#include <cstdint>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
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
            // dW_in[:, j] += x · dL/dI_t[b] for every input event (b, t, j) with t in [t0, t1).
            parallel_for_if_large(
                static_cast<std::int64_t>(events()) * n, 0, features_, [&](std::int64_t j) {
                    T* column = d_w_in_ + j * n;
                    for (Index e = column_begin_[static_cast<std::size_t>(j)];
                         e < column_begin_[static_cast<std::size_t>(j + 1)]; ++e) {
                        const ColumnEvent& ev = column_events_[static_cast<std::size_t>(e)];
                        const Index b = ev.row / steps_, t = ev.row % steps_;
                        if (t < t0 || t >= t1) continue;
                        const T* g = d + (b * len + t - t0) * n;
                        for (Index i = 0; i < n; ++i)
                            column[i] += ev.value * g[i];
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
               row_events_.size() * sizeof(RowEvent) + column_events_.size() * sizeof(ColumnEvent) +
               (row_begin_.size() + column_begin_.size()) * sizeof(Index);
    }

  private:
    struct RowEvent {
        Index input;
        T value;
    };
    struct ColumnEvent {
        Index row;  // b · T + t
        T value;
    };

    Eigen::Map<const RowMatrix<T>> input_rows(Index rows) const {
        return {input_, rows, features_};
    }
    Eigen::Map<const RowMatrix<T>> sequence_rows(Index b, Index t0, Index len) const {
        return {input_ + (b * steps_ + t0) * features_, len, features_};
    }

    /// Event lists by row (forward) and by input (backward) when the input is sparse enough.
    void build_events(double sparse_density) {
        const Index rows = batch_ * steps_;
        const std::size_t total = static_cast<std::size_t>(rows * features_);
        std::size_t nonzero = 0;
        for (std::size_t i = 0; i < total; ++i)
            nonzero += input_[i] != T(0);
        sparse_ = static_cast<double>(nonzero) <= sparse_density * static_cast<double>(total);
        row_events_.clear();
        column_events_.clear();
        if (!sparse_) return;
        row_begin_.assign(static_cast<std::size_t>(rows + 1), 0);
        column_begin_.assign(static_cast<std::size_t>(features_ + 1), 0);
        row_events_.reserve(nonzero);
        for (Index r = 0; r < rows; ++r) {
            const T* x = input_ + r * features_;
            for (Index j = 0; j < features_; ++j)
                if (x[j] != T(0)) {
                    row_events_.push_back({j, x[j]});
                    ++column_begin_[static_cast<std::size_t>(j + 1)];
                }
            row_begin_[static_cast<std::size_t>(r + 1)] = static_cast<Index>(row_events_.size());
        }
        for (Index j = 0; j < features_; ++j)
            column_begin_[static_cast<std::size_t>(j + 1)] +=
                column_begin_[static_cast<std::size_t>(j)];
        column_events_.resize(nonzero);
        std::vector<Index> cursor(column_begin_.begin(), column_begin_.end() - 1);
        for (Index r = 0; r < rows; ++r)
            for (Index e = row_begin_[static_cast<std::size_t>(r)];
                 e < row_begin_[static_cast<std::size_t>(r + 1)]; ++e) {
                const RowEvent& ev = row_events_[static_cast<std::size_t>(e)];
                column_events_[static_cast<std::size_t>(
                    cursor[static_cast<std::size_t>(ev.input)]++)] = {r, ev.value};
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
    RowMatrix<T> bin_currents_;                    // (B·K, N) binned only
    RowMatrix<T> bin_gradients_;                   // (B·K, N) binned only
    std::vector<Index> row_begin_, column_begin_;  // (B·T + 1), (F + 1)
    std::vector<RowEvent> row_events_;             // (nnz) by row
    std::vector<ColumnEvent> column_events_;       // (nnz) by input
};

}  // namespace jepasnn::lif
