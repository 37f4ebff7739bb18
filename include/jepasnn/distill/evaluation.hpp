// How good and how biological a distilled student is (DESIGN.md, "Success" and "Student
// metrics"): the student is run over the whole session (as parallel segments streamed in pieces,
// carrying the state), its readout and, separately, its raw filtered E activity are compared with
// the teacher latents by CCA fitted on the training blocks and scored on the held-out blocks, with
// a circular-shift null at the same n; and its firing is summarised (rates by population, fraction
// in band, ISI CV, Fano factor, E/I input balance, Dale violations, spectral radius). Nothing the
// size of the session is held: the training bins are summed into a joint factor as they stream
// by, and only the held-out bins are kept.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../cca/covariance_accumulator.hpp"
#include "../cca/cross_validation.hpp"
#include "../core/json.hpp"
#include "../core/streams.hpp"
#include "../lif/network.hpp"
#include "config.hpp"
#include "data.hpp"
#include "spike_statistics.hpp"

namespace jepasnn::distill {

/// What stays of the student's run over the whole session once its bins have streamed by.
struct SessionRun {
    Vector<double> rates_hz;     // (N)
    Vector<double> isi_cv;       // (N), NaN with < 2 ISIs
    Vector<double> fano_factor;  // (N), NaN when silent
    lif::CurrentStatistics currents;
};

/// Runs the student over every bin of `data` without training it: the session is cut into
/// `eval_segments` contiguous segments run as one batch (each from a zero state, so the first
/// ~τ of each segment is a transient), streamed `eval_chunk_bins` at a time with the state
/// carried, so memory stays bounded for any session length. Each piece of output goes to
/// sink(first, readout, filtered_exc): bins [first, first + n) of the readout (n, D) and of the
/// filtered E rates (n, N_E) in Hz, pieces of different segments interleaved.
template <class T, class P, class Sink>
SessionRun run_session(lif::Network<T, P>& net, const DistillData& data,
                       const DistillConfig& config, Sink&& sink) {
    const Index k = data.bins(), f = data.inputs(), n = net.neurons();
    const Index ne = net.config().excitatory, l = net.config().steps_per_bin;
    const Index segments = std::min(config.eval_segments, k);
    const Index seg_len = (k + segments - 1) / segments;
    const Index chunk = std::min(config.eval_chunk_bins, seg_len);
    SessionRun out;
    out.currents.reset(n);
    SpikeStatistics stats(segments, n, config.fano_window_bins * l, net.config().dt_ms * 1e-3);
    lif::NetworkState<T> state;
    lif::ForwardOptions<T> options;
    options.record_currents = true;
    for (Index c0 = 0; c0 < seg_len; c0 += chunk) {
        const Index len = std::min(chunk, seg_len - c0);
        Tensor<T, 3> input(
            std::array<std::size_t, 3>{std::size_t(segments), std::size_t(len), std::size_t(f)});
        input.fill(T(0));  // bins past the session's end (last segment only) stay empty
        for (Index s = 0; s < segments; ++s) {
            const Index begin = s * seg_len + c0, valid = std::clamp<Index>(k - begin, 0, len);
            if (valid > 0)
                Eigen::Map<RowMatrix<T>>(input.data() + s * len * f, valid, f) =
                    data.input(begin, valid).template cast<T>();
        }
        options.initial_state = c0 == 0 ? nullptr : &state;
        const Tensor<T, 3>& y = net.forward(input, lif::InputKind::binned_counts, options);
        const Tensor<T, 3>& filt = net.filtered();
        const auto& spikes = net.spikes();
        out.currents.add(net.current_statistics());
        for (Index s = 0; s < segments; ++s) {
            const Index begin = s * seg_len + c0, valid = std::clamp<Index>(k - begin, 0, len);
            if (valid <= 0) continue;
            const RowMatrix<double> readout =
                Eigen::Map<const RowMatrix<T>>(y.data() + s * len * y.shape(2), valid,
                                               static_cast<Index>(y.shape(2)))
                    .template cast<double>();
            const RowMatrix<double> filtered =
                Eigen::Map<const RowMatrix<T>>(filt.data() + s * len * n, valid, n)
                    .leftCols(ne)
                    .template cast<double>();
            sink(begin, readout, filtered);
            for (Index t = 0; t < valid * l; ++t)
                spikes.for_each_active(s, t, [&](Index i, auto) { stats.spike(s, c0 * l + t, i); });
        }
        state = net.final_state();
    }
    for (Index s = 0; s < segments; ++s)
        stats.finish(s, std::clamp<Index>(k - s * seg_len, 0, seg_len) * l);
    out.rates_hz = stats.rates_hz();
    out.isi_cv = stats.isi_cv();
    out.fano_factor = stats.fano_factor();
    return out;
}

/// Held-out CCA of one representation of the student against the teacher latents.
struct HeldoutScore {
    double cca_heldout = 0.0;           // mean held-out ρ
    Vector<double> correlations;        // (k) held-out ρ_i, the fitted model's order
    Vector<double> train_correlations;  // (k) in-sample ρ_i on the training blocks
    double null_mean = 0.0, null_p95 = 0.0, p_value = 1.0;
    std::vector<double> null_samples;
};

/// Gathers one representation of the student (p columns) with the targets as the session streams
/// by, bins in any order: the training bins go into the joint factor of a
/// cca::CovarianceAccumulator (in blocks of stream_block_rows; O((p + d)²) memory whatever the
/// session's length), the held-out bins are kept for scoring. finish() fits the CCA on the
/// training bins and scores it on the held-out bins with a circular-shift null of the held-out
/// variates (seeded).
class HeldoutScorer {
  public:
    HeldoutScorer(const DistillData& data, Index width)
        : data_(&data),
          train_(width, data.latent_dim()),
          heldout_(data::rows_in(data.split.validation), width),
          heldout_z_(heldout_.rows(), data.latent_dim()),
          pending_x_(stream_block_rows, width),
          pending_z_(stream_block_rows, data.latent_dim()) {}

    /// Bins [first, first + x.rows()) of the representation (x) and of the targets (z).
    void add(Index first, const RowMatrix<double>& x, const RowMatrix<double>& z) {
        require(x.cols() == heldout_.cols() && z.cols() == pending_z_.cols() &&
                    z.rows() == x.rows() && first >= 0 && first + x.rows() <= data_->bins(),
                "distill::HeldoutScorer", "bins ", first, "..", first + x.rows(), " of ", x.cols(),
                " columns with targets ", z.rows(), "x", z.cols(), ", expected ", heldout_.cols(),
                " and ", pending_z_.cols(), " columns within ", data_->bins(), " bins");
        const Index end = first + x.rows();
        data::for_overlaps(data_->split.train, first, end, [&](Index b, Index e, Index) {
            while (b < e) {
                const Index take = std::min(e - b, stream_block_rows - pending_);
                pending_x_.middleRows(pending_, take) = x.middleRows(b - first, take);
                pending_z_.middleRows(pending_, take) = z.middleRows(b - first, take);
                pending_ += take;
                b += take;
                if (pending_ == stream_block_rows) flush();
            }
        });
        data::for_overlaps(data_->split.validation, first, end, [&](Index b, Index e, Index at) {
            heldout_.middleRows(at, e - b) = x.middleRows(b - first, e - b);
            heldout_z_.middleRows(at, e - b) = z.middleRows(b - first, e - b);
        });
    }

    HeldoutScore finish(const DistillConfig& config, std::uint32_t site) {
        flush();
        cca::NullOptions null;
        null.kind = cca::NullKind::circular_shift;
        null.samples = config.null_samples;
        null.seed = config.seed ^ stream_id(streams::distill, site);
        const cca::HeldoutReport r = cca::heldout_cca_with_null(
            cca::heldout_cca(cca::canonical_correlations(train_.factor(), {config.eval_cca_ridge}),
                             heldout_, heldout_z_),
            null);
        HeldoutScore s;
        s.cca_heldout = r.cca_heldout;
        s.correlations = r.heldout.correlations;
        s.train_correlations = r.heldout.model.correlations;
        s.null_mean = r.null.mean;
        s.null_p95 = r.null_p95;
        s.p_value = r.null.p_value;
        s.null_samples = r.null.samples;
        return s;
    }

  private:
    void flush() {
        train_.add(pending_x_.topRows(pending_), pending_z_.topRows(pending_));
        pending_ = 0;
    }

    const DistillData* data_;
    cca::CovarianceAccumulator train_;
    RowMatrix<double> heldout_;                // (held-out bins, p)
    RowMatrix<double> heldout_z_;              // (held-out bins, latent dims): their targets
    RowMatrix<double> pending_x_, pending_z_;  // training bins not yet in the factor
    Index pending_ = 0;
};

/// The held-out score of a representation given for every bin (K × p).
inline HeldoutScore heldout_score(const RowMatrix<double>& x, const DistillData& data,
                                  const DistillConfig& config, std::uint32_t site) {
    HeldoutScorer scorer(data, x.cols());
    scorer.add(0, x, data.targets.read(0, data.bins()));
    return scorer.finish(config, site);
}

/// Population summaries of a trained student.
struct StudentMetrics {
    double mean_rate_hz_exc = 0.0, mean_rate_hz_inh = 0.0;
    double frac_neurons_in_band = 0.0;  // each neuron against its population's band
    double frac_exc_in_band = 0.0, frac_inh_in_band = 0.0;
    double isi_cv_mean = 0.0;  // over neurons with >= 2 ISIs
    double fano_factor_mean = 0.0;
    double inhibitory_excitatory_ratio = 0.0;  // |mean I current| / mean E current
    double ei_current_correlation = 0.0;       // mean over neurons of corr(I_E, I_I)
    std::size_t dale_violations = 0;
    double spectral_radius = 0.0;
    bool silent_exc = false, silent_inh = false;        // population mean < 1 Hz
    bool saturated_exc = false, saturated_inh = false;  // population mean > 100 Hz
};

/// Thresholds of the silent and saturated flags (Hz).
inline constexpr double silent_rate_hz = 1.0, saturated_rate_hz = 100.0;

template <class T, class P>
StudentMetrics student_metrics(const lif::Network<T, P>& net, const SessionRun& run,
                               const DistillConfig& config) {
    const Index ne = net.config().excitatory, ni = net.config().inhibitory;
    const Vector<double> re = run.rates_hz.head(ne), ri = run.rates_hz.tail(ni);
    StudentMetrics m;
    m.mean_rate_hz_exc = re.mean();
    m.mean_rate_hz_inh = ni > 0 ? ri.mean() : 0.0;
    const constraints::HomeostaticBand& band = config.band();
    m.frac_exc_in_band = fraction_in_band(re, band.excitatory.low_hz, band.excitatory.high_hz);
    m.frac_inh_in_band = fraction_in_band(ri, band.inhibitory.low_hz, band.inhibitory.high_hz);
    m.frac_neurons_in_band =
        (m.frac_exc_in_band * double(ne) + m.frac_inh_in_band * double(ni)) / double(ne + ni);
    m.isi_cv_mean = finite_mean(run.isi_cv);
    m.fano_factor_mean = finite_mean(run.fano_factor);
    m.inhibitory_excitatory_ratio = run.currents.inhibitory_excitatory_ratio();
    m.ei_current_correlation = finite_mean(run.currents.correlation());
    m.dale_violations = net.dale_violations();
    m.spectral_radius = net.spectral_radius();
    m.silent_exc = m.mean_rate_hz_exc < silent_rate_hz;
    m.silent_inh = ni > 0 && m.mean_rate_hz_inh < silent_rate_hz;
    m.saturated_exc = m.mean_rate_hz_exc > saturated_rate_hz;
    m.saturated_inh = m.mean_rate_hz_inh > saturated_rate_hz;
    return m;
}

inline Json to_json(const StudentMetrics& m) {
    const auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
    return {{"mean_rate_hz_exc", m.mean_rate_hz_exc},
            {"mean_rate_hz_inh", m.mean_rate_hz_inh},
            {"frac_neurons_in_band", m.frac_neurons_in_band},
            {"frac_exc_in_band", m.frac_exc_in_band},
            {"frac_inh_in_band", m.frac_inh_in_band},
            {"isi_cv_mean", num(m.isi_cv_mean)},
            {"fano_factor_mean", num(m.fano_factor_mean)},
            {"inhibitory_excitatory_ratio", num(m.inhibitory_excitatory_ratio)},
            {"ei_current_correlation", num(m.ei_current_correlation)},
            {"dale_violations", m.dale_violations},
            {"spectral_radius", m.spectral_radius},
            {"silent_exc", m.silent_exc},
            {"silent_inh", m.silent_inh},
            {"saturated_exc", m.saturated_exc},
            {"saturated_inh", m.saturated_inh}};
}

/// Everything the success criteria and the paper figures need.
struct StudentEvaluation {
    SessionRun run;
    HeldoutScore readout;   // student readout vs teacher latents
    HeldoutScore filtered;  // raw filtered E activity vs teacher latents
    StudentMetrics metrics;
};

template <class T, class P>
StudentEvaluation evaluate_student(lif::Network<T, P>& net, const DistillData& data,
                                   const DistillConfig& config) {
    StudentEvaluation e;
    HeldoutScorer readout(data, net.config().readout_dim), filtered(data, net.config().excitatory);
    e.run = run_session(net, data, config,
                        [&](Index first, const RowMatrix<double>& y, const RowMatrix<double>& f) {
                            const RowMatrix<double> z = data.targets.read(first, y.rows());
                            readout.add(first, y, z);
                            filtered.add(first, f, z);
                        });
    e.readout = readout.finish(config, 10);
    e.filtered = filtered.finish(config, 11);
    e.metrics = student_metrics(net, e.run, config);
    return e;
}

/// The metrics document: success metric (readout and filtered E), null, student metrics.
inline Json to_json(const StudentEvaluation& e) {
    Json j = to_json(e.metrics);
    j["cca_heldout"] = e.readout.cca_heldout;
    j["cca_null_mean"] = e.readout.null_mean;
    j["cca_null_95"] = e.readout.null_p95;
    j["cca_p_value"] = e.readout.p_value;
    j["canonical_correlations_heldout"] = jepasnn::to_json(e.readout.correlations);
    j["canonical_correlations_train"] = jepasnn::to_json(e.readout.train_correlations);
    j["cca_heldout_filtered_exc"] = e.filtered.cca_heldout;
    j["cca_null_95_filtered_exc"] = e.filtered.null_p95;
    j["cca_p_value_filtered_exc"] = e.filtered.p_value;
    return j;
}

}  // namespace jepasnn::distill
