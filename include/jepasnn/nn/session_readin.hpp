// Per-session read-in: sessions record different units, so each session s has its own affine map
// W_s (U_s × D), b_s (D) into one shared D-dimensional space. A batch may mix sessions: its
// sequences are grouped by session into contiguous slices of the batch, each slice's input is one
// (T·count × U_s) matrix, and each slice is one GEMM whose rows are scattered into the shared
// (T·B × D) output.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "common.hpp"
#include "linear.hpp"
#include "parameters.hpp"

namespace jepasnn::nn {

/// Sequences [first, first + count) of a batch come from session `session`.
struct SessionSlice {
    std::size_t session = 0;
    Index first = 0;
    Index count = 0;
};

namespace detail {
/// dst (T·count, C) = rows of src (T·B, C) belonging to batch columns [first, first + count).
template <class T>
void gather_slice(RowMatrix<T>& dst, ConstMatRef<T> src, Index first, Index count, Index batch) {
    const Index steps = src.rows() / batch;
    dst.resize(steps * count, src.cols());
    for (Index t = 0; t < steps; ++t)
        dst.middleRows(t * count, count) = src.middleRows(t * batch + first, count);
}
}  // namespace detail

template <class T>
class SessionReadIn {
  public:
    SessionReadIn() = default;
    /// One (W_s, b_s) per entry of `units` (U_s units in session s), initialised U(±1/√U_s).
    SessionReadIn(ParameterLayout& layout, const std::string& name, const std::vector<Index>& units,
                  Index out) {
        require(!units.empty(), "nn::SessionReadIn", "'", name, "' has no sessions");
        require(out > 0, "nn::SessionReadIn", "'", name, "' has output width ", out,
                ", expected > 0");
        for (std::size_t s = 0; s < units.size(); ++s) {
            require(units[s] > 0, "nn::SessionReadIn", "session ", s, " has ", units[s],
                    " units, expected > 0");
            const double bound = 1.0 / std::sqrt(static_cast<double>(units[s]));
            const std::string prefix = name + ".session" + std::to_string(s);
            weights_.push_back(
                layout.add(prefix + ".weight", units[s], out, true, Init::uniform, bound));
            biases_.push_back(layout.add(prefix + ".bias", 1, out, false, Init::uniform, bound));
        }
    }

    std::size_t sessions() const { return weights_.size(); }
    Index units(std::size_t s) const { return weights_.at(s).rows; }
    Index out_features() const { return weights_.empty() ? 0 : weights_[0].cols; }
    const ParameterBlock& weight(std::size_t s) const { return weights_.at(s); }
    const ParameterBlock& bias(std::size_t s) const { return biases_.at(s); }

    /// out (T·B, D) from inputs[g] (T·count_g, U_{s_g}) for the slices g that tile the batch.
    void forward(RowMatrix<T>& out, std::span<const RowMatrix<T>> inputs,
                 std::span<const SessionSlice> slices, Index batch, const Parameters<T>& p) const {
        check(inputs, slices, batch, "forward");
        const Index steps = inputs[0].rows() / slices[0].count;
        out.resize(steps * batch, out_features());
        RowMatrix<T> y;  // (T·count, D) one slice's projection
        for (std::size_t g = 0; g < slices.size(); ++g) {
            const SessionSlice& s = slices[g];
            linear_forward<T>(y, inputs[g], p.value(weights_[s.session]),
                              p.value(biases_[s.session]));
            for (Index t = 0; t < steps; ++t)
                out.middleRows(t * batch + s.first, s.count) = y.middleRows(t * s.count, s.count);
        }
    }

    /// dinputs[g] (T·count_g, U_{s_g}) += dY_g · W_sᵀ (sized by the caller like inputs).
    void backward(std::span<RowMatrix<T>> dinputs, ConstMatRef<T> dout,
                  std::span<const SessionSlice> slices, Index batch, const Parameters<T>& p) const {
        RowMatrix<T> dy;  // (T·count, D)
        for (std::size_t g = 0; g < slices.size(); ++g) {
            detail::gather_slice<T>(dy, dout, slices[g].first, slices[g].count, batch);
            linear_backward<T>(dinputs[g], dy, p.value(weights_[slices[g].session]));
        }
    }

    /// dW_s += X_gᵀ · dY_g;  db_s += Σ_rows dY_g, for every slice g.
    void gradient(Parameters<T>& p, ConstMatRef<T> dout, std::span<const RowMatrix<T>> inputs,
                  std::span<const SessionSlice> slices, Index batch) const {
        RowMatrix<T> dy;  // (T·count, D)
        for (std::size_t g = 0; g < slices.size(); ++g) {
            const std::size_t s = slices[g].session;
            detail::gather_slice<T>(dy, dout, slices[g].first, slices[g].count, batch);
            linear_gradient<T>(p.gradient(weights_[s]), p.gradient(biases_[s]), dy, inputs[g]);
        }
    }

  private:
    void check(std::span<const RowMatrix<T>> inputs, std::span<const SessionSlice> slices,
               Index batch, const char* verb) const {
        const std::string where = std::string("nn::SessionReadIn::") + verb;
        require(!slices.empty() && inputs.size() == slices.size(), where, "has ", inputs.size(),
                " inputs for ", slices.size(), " slices, expected one per slice (at least one)");
        Index next = 0, steps = -1;
        for (std::size_t g = 0; g < slices.size(); ++g) {
            const SessionSlice& s = slices[g];
            require(s.session < sessions(), where, "slice ", g, " names session ", s.session,
                    ", the read-in has ", sessions());
            require(s.first == next && s.count > 0, where, "slice ", g, " covers [", s.first, ", ",
                    s.first + s.count, "), expected slices tiling the batch from ", next);
            next += s.count;
            require(inputs[g].rows() % s.count == 0, where, "input ", g, " has ", inputs[g].rows(),
                    " rows, not a multiple of its ", s.count, " sequences");
            const Index t = inputs[g].rows() / s.count;
            require(steps < 0 || t == steps, where, "input ", g, " has ", t, " steps, expected ",
                    steps, " like the others");
            steps = t;
            require_shape(where, "input of session " + std::to_string(s.session), inputs[g], -1,
                          units(s.session));
        }
        require(next == batch, where, "slices cover ", next, " sequences, batch has ", batch);
    }

    std::vector<ParameterBlock> weights_, biases_;
};

}  // namespace jepasnn::nn
