// Firing statistics of a spiking population, accumulated spike by spike so that a long run can be
// streamed in pieces: rates, the coefficient of variation of inter-spike intervals (CV = 1 for a
// Poisson process, ≪ 1 for clock-like, ≫ 1 for bursting firing; Softky & Koch, J. Neurosci. 1993)
// and the Fano factor of spike counts in fixed windows (1 for Poisson; Dayan & Abbott §1.4).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::distill {

/// Per-neuron spike statistics over several independent sequences (e.g. segments of a session).
/// Spikes of one sequence arrive in non-decreasing step order; finish() closes a sequence.
class SpikeStatistics {
  public:
    /// `window_steps`: the Fano counting window; `dt_s`: one step in seconds.
    SpikeStatistics(Index sequences, Index neurons, Index window_steps, double dt_s)
        : neurons_(neurons), window_(window_steps), dt_s_(dt_s) {
        require(sequences >= 1 && neurons >= 1 && window_steps >= 1 && dt_s > 0.0,
                "distill::SpikeStatistics", "needs >= 1 sequence, neuron and window step and ",
                "dt > 0, found ", sequences, ", ", neurons, ", ", window_steps, ", ", dt_s);
        const auto cells = static_cast<std::size_t>(sequences * neurons);
        last_spike_.assign(cells, -1);
        window_id_.assign(cells, -1);
        window_count_.assign(cells, 0.0);
        for (Vector<double>* v : {&spikes_, &isi_sum_, &isi_sq_, &isi_n_, &win_sum_, &win_sq_})
            v->setZero(neurons);
    }

    /// Neuron `n` of sequence `s` fired at step `t` (steps counted from the sequence start).
    void spike(Index s, Index t, Index n) {
        const auto c = static_cast<std::size_t>(s * neurons_ + n);
        spikes_(n) += 1.0;
        if (last_spike_[c] >= 0) {
            const double isi = static_cast<double>(t - last_spike_[c]);
            isi_sum_(n) += isi;
            isi_sq_(n) += isi * isi;
            isi_n_(n) += 1.0;
        }
        last_spike_[c] = t;
        const Index w = t / window_;
        if (w != window_id_[c]) {
            flush(c, n);
            window_id_[c] = w;
        }
        window_count_[c] += 1.0;
    }

    /// Sequence `s` ran for `steps` steps: its complete counting windows enter the Fano factor
    /// (an incomplete last window is dropped, its spikes still count for rates and ISIs).
    void finish(Index s, Index steps) {
        const Index complete = steps / window_;
        windows_ += static_cast<double>(complete);
        steps_ += static_cast<double>(steps);
        for (Index n = 0; n < neurons_; ++n) {
            const auto c = static_cast<std::size_t>(s * neurons_ + n);
            if (window_id_[c] >= complete) window_count_[c] = 0.0;  // incomplete window
            flush(c, n);
            last_spike_[c] = -1;
            window_id_[c] = -1;
        }
    }

    /// (N) spikes / (total steps · dt), Hz.
    Vector<double> rates_hz() const { return spikes_ / (steps_ * dt_s_); }
    /// (N) std/mean of the ISIs (population std, ddof 0); NaN with fewer than 2 ISIs.
    Vector<double> isi_cv() const {
        Vector<double> cv(neurons_);
        for (Index n = 0; n < neurons_; ++n) {
            if (isi_n_(n) < 2.0) {
                cv(n) = std::numeric_limits<double>::quiet_NaN();
                continue;
            }
            const double mean = isi_sum_(n) / isi_n_(n);
            const double var = std::max(0.0, isi_sq_(n) / isi_n_(n) - mean * mean);
            cv(n) = std::sqrt(var) / mean;
        }
        return cv;
    }
    /// (N) variance/mean of the counts in complete windows (ddof 0); NaN for a silent neuron.
    Vector<double> fano_factor() const {
        Vector<double> f(neurons_);
        for (Index n = 0; n < neurons_; ++n) {
            const double mean = windows_ > 0.0 ? win_sum_(n) / windows_ : 0.0;
            f(n) = mean > 0.0 ? std::max(0.0, win_sq_(n) / windows_ - mean * mean) / mean
                              : std::numeric_limits<double>::quiet_NaN();
        }
        return f;
    }

  private:
    void flush(std::size_t c, Index n) {
        win_sum_(n) += window_count_[c];
        win_sq_(n) += window_count_[c] * window_count_[c];
        window_count_[c] = 0.0;
    }

    Index neurons_, window_;
    double dt_s_;
    double windows_ = 0.0, steps_ = 0.0;         // complete windows and steps over all sequences
    std::vector<Index> last_spike_, window_id_;  // (S·N)
    std::vector<double> window_count_;           // (S·N) spikes in the current window
    Vector<double> spikes_, isi_sum_, isi_sq_, isi_n_, win_sum_, win_sq_;  // (N) each
};

/// Statistics of a (steps × neurons) raster of one sequence: the reference entry point.
template <class Derived>
SpikeStatistics raster_statistics(const Eigen::MatrixBase<Derived>& raster, Index window_steps,
                                  double dt_s) {
    SpikeStatistics s(1, raster.cols(), window_steps, dt_s);
    for (Index t = 0; t < raster.rows(); ++t)
        for (Index n = 0; n < raster.cols(); ++n)
            if (raster(t, n) != 0) s.spike(0, t, n);
    s.finish(0, raster.rows());
    return s;
}

/// Fraction of rates inside [low, high] (inclusive).
inline double fraction_in_band(const Vector<double>& rates, double low, double high) {
    if (rates.size() == 0) return 0.0;
    return static_cast<double>(((rates.array() >= low) && (rates.array() <= high)).count()) /
           static_cast<double>(rates.size());
}

/// Mean of the finite entries (NaN if none).
inline double finite_mean(const Vector<double>& v) {
    double sum = 0.0;
    Index n = 0;
    for (Index i = 0; i < v.size(); ++i)
        if (std::isfinite(v(i))) {
            sum += v(i);
            ++n;
        }
    return n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace jepasnn::distill
