// What a student is distilled from: a session's binned spike counts (inputs) and the teacher's
// latents on the same 10 ms grid (targets), split into training and held-out time blocks (never
// random bins: neighbouring bins are strongly correlated), with per-unit input gains fitted on the
// training bins only, seeded window sampling inside the training runs, and batch assembly.
#pragma once

#include "../core/eigen.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "../core/streams.hpp"
#include "../core/tensor.hpp"
#include "../data/binning.hpp"
#include "../data/count_source.hpp"
#include "../data/nwb_reader.hpp"
#include "../data/time_split.hpp"
#include "../data/unit_qc.hpp"
#include "../data/window_starts.hpp"
#include "../teacher/data.hpp"
#include "config.hpp"
#include "targets.hpp"

namespace jepasnn::distill {

/// A session ready for distillation.
struct DistillData {
    data::CountSource counts;  // (K, F) binned spike counts of the selected units
    Targets targets;           // (K, d) teacher latents, same rows
    double bin_s = 0.01;
    data::TimeSplit split;              // train = training runs, validation = held-out runs
    Vector<double> input_gain;          // (F) per-unit gain: inputs = counts · gain
    double target_variance_kept = 1.0;  // with target_components: the PCs' share of variance

    Index bins() const { return counts.bins(); }
    Index inputs() const { return counts.units(); }
    Index latent_dim() const { return targets.cols(); }
    /// The student's input for bins [first, first + n): counts · gain (n × F), read from the
    /// counts when asked for.
    RowMatrix<double> input(Index first, Index n) const {
        return counts.visit_rows(first, n, [&](const auto& rows) -> RowMatrix<double> {
            return rows.template cast<double>() * input_gain.asDiagonal();
        });
    }
};

namespace detail {

/// Calls f(first, rows) for the targets' rows in each run, a block of stream_block_rows at most.
template <class F>
void for_target_blocks(const Targets& targets, const std::vector<data::RowRange>& runs, F&& f) {
    for (const data::RowRange& r : runs)
        for (Index b = r.begin; b < r.end; b += stream_block_rows)
            f(b, targets.read(b, std::min(stream_block_rows, r.end - b)));
}

/// Projects the targets on the top `components` principal axes of their training rows
/// (eigenvectors of their covariance, summed in blocks: two passes, mean then centred Gram).
inline double project_on_principal_axes(Targets& targets, const std::vector<data::RowRange>& train,
                                        Index components, std::string_view where) {
    RowVector<double> centre = RowVector<double>::Zero(targets.cols());
    for_target_blocks(targets, train,
                      [&](Index, const RowMatrix<double>& z) { centre += z.colwise().sum(); });
    centre /= static_cast<double>(data::rows_in(train));
    Matrix<double> cov = Matrix<double>::Zero(targets.cols(), targets.cols());  // (d, d)
    for_target_blocks(targets, train, [&](Index, const RowMatrix<double>& z) {
        const RowMatrix<double> centred = z.rowwise() - centre;
        cov.noalias() += centred.transpose() * centred;
    });
    const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(cov);
    Matrix<double> axes = eig.eigenvectors().rightCols(components).rowwise().reverse();  // (d, k)
    const double kept = eig.eigenvalues().tail(components).sum() / eig.eigenvalues().sum();
    require(std::isfinite(kept), where, "targets have no variance");
    targets.project(std::move(centre), std::move(axes));
    return kept;
}

}  // namespace detail

/// Checks the pair, splits it into time blocks and fits the input gains on the training bins:
/// gain_j = input_rate_hz · bin_s / mean_train(counts_j) (0 for a unit silent in training), the
/// means summed in one pass over the training blocks (exact: the counts are whole numbers). The
/// targets are checked for NaN/Inf in one pass of blocks; neither counts nor targets need to fit
/// in memory.
inline DistillData make_distill_data(data::CountSource counts, Targets targets,
                                     const DistillConfig& config, double bin_s = 0.01) {
    constexpr const char* where = "distill::make_distill_data";
    config.validate(where);
    require(counts.bins() == targets.rows(), where, "counts have ", counts.bins(),
            " bins and the targets ", targets.rows(), ", expected the same grid");
    require(counts.units() >= 1 && targets.cols() >= 1, where, "counts are ", counts.bins(), "x",
            counts.units(), " and targets ", targets.rows(), "x", targets.cols(),
            ", expected at least one unit and one latent dimension");
    require(bin_s > 0.0 && std::isfinite(bin_s), where, "bin width is ", bin_s, " s");
    const std::vector<data::RowRange> all{{0, targets.rows()}};
    detail::for_target_blocks(targets, all, [&](Index first, const RowMatrix<double>& z) {
        if (z.allFinite()) return;
        for (Index r = 0; r < z.rows(); ++r)
            for (Index c = 0; c < z.cols(); ++c)
                require(std::isfinite(z(r, c)), where, "targets (", targets.origin(),
                        ") have a non-finite value (", z(r, c), ") at row ", first + r, ", column ",
                        c);
    });
    DistillData d;
    d.bin_s = bin_s;
    d.split = data::split_time_blocks(counts.bins(), {config.block_bins, config.heldout_fraction});
    const Index train_bins = data::rows_in(d.split.train);
    require(!d.split.validation.empty() && train_bins >= config.window_bins, where, "the ",
            counts.bins(), " bins give ", train_bins, " training bins and ",
            d.split.validation.size(), " held-out runs with blocks of ", config.block_bins,
            ": expected a held-out block and at least one training window of ", config.window_bins,
            " bins");
    Vector<double> mean = Vector<double>::Zero(counts.units());  // (F)
    for (const data::RowRange& r : d.split.train)
        for (Index b = r.begin; b < r.end; b += stream_block_rows)
            counts.visit_rows(b, std::min(stream_block_rows, r.end - b), [&](const auto& rows) {
                mean += rows.template cast<double>().colwise().sum().transpose();
            });
    mean /= static_cast<double>(train_bins);
    d.input_gain.resize(counts.units());
    for (Index j = 0; j < counts.units(); ++j)
        d.input_gain(j) = mean(j) > 0.0 ? config.input_rate_hz * bin_s / mean(j) : 0.0;
    require(d.input_gain.maxCoeff() > 0.0, where, "every unit is silent in the training bins");
    if (config.target_components > 0 && config.target_components < targets.cols())
        d.target_variance_kept = detail::project_on_principal_axes(targets, d.split.train,
                                                                   config.target_components, where);
    d.counts = std::move(counts);
    d.targets = std::move(targets);
    return d;
}

/// The same from counts given as a matrix of whole numbers >= 0 (held in memory as int32) and
/// targets held in memory.
inline DistillData make_distill_data(const RowMatrix<double>& counts, RowMatrix<double> targets,
                                     const DistillConfig& config, double bin_s = 0.01) {
    return make_distill_data(
        data::CountSource(data::counts_from_matrix(counts, "distill::make_distill_data")),
        Targets(std::move(targets)), config, bin_s);
}

/// Start bins of `count` windows of `length` bins drawn uniformly among every window that fits
/// inside one of the runs, from stream (seed, stream_id(streams::distill, site)) at counters
/// [first, first + count): draw i depends on (seed, site, first + i) alone, so a resumed run draws
/// the same windows as an uninterrupted one.
inline std::vector<Index> sample_windows(const std::vector<data::RowRange>& runs, Index length,
                                         Index count, std::uint64_t seed, std::uint32_t site,
                                         std::uint64_t first) {
    const data::WindowStarts windows({runs}, length);
    const Index total = windows.available();
    require(total > 0, "distill::sample_windows", "no run holds a window of ", length, " bins");
    std::vector<Index> starts(static_cast<std::size_t>(count));
    for (Index i = 0; i < count; ++i) {
        const double u = uniform_at(seed, stream_id(streams::distill, site),
                                    first + static_cast<std::uint64_t>(i));
        const Index k =
            std::min<Index>(total - 1, static_cast<Index>(u * static_cast<double>(total)));
        starts[static_cast<std::size_t>(i)] = windows.at(k).start;
    }
    return starts;
}

/// The batch of windows starting at `starts`: inputs (B, W, F) = counts · gain, and targets
/// (B, W, d).
template <class T>
void assemble_batch(Tensor<T, 3>& inputs, Tensor<double, 3>& targets, const DistillData& d,
                    const std::vector<Index>& starts, Index window_bins) {
    const auto b = starts.size();
    const auto w = static_cast<std::size_t>(window_bins);
    inputs = Tensor<T, 3>(std::array<std::size_t, 3>{b, w, static_cast<std::size_t>(d.inputs())});
    targets = Tensor<double, 3>(
        std::array<std::size_t, 3>{b, w, static_cast<std::size_t>(d.latent_dim())});
    for (std::size_t i = 0; i < b; ++i) {
        require(starts[i] >= 0 && starts[i] + window_bins <= d.bins(), "distill::assemble_batch",
                "window [", starts[i], ", ", starts[i] + window_bins, ") leaves the ", d.bins(),
                " bins");
        Eigen::Map<RowMatrix<T>>(inputs.data() + i * w * d.inputs(), window_bins, d.inputs()) =
            d.input(starts[i], window_bins).template cast<T>();
        Eigen::Map<RowMatrix<double>>(targets.data() + i * w * d.latent_dim(), window_bins,
                                      d.latent_dim()) = d.targets.read(starts[i], window_bins);
    }
}

/// Loads a session for distillation: the teacher latents (a float64 (K, d) .npy as the teacher
/// writes it, read a block of rows at a time, never whole) and the counts of the units of `nwb`
/// passing the named unit filter ("none" or "default", data/unit_qc.hpp) on K bins of `bin_s`
/// from t = 0. Without `stores` the counts are binned into memory; with a store directory they
/// come from the session's binned store there (teacher::load_binned_session: the teacher's store
/// is reused, a missing one is binned first), so only the windows being read are in memory.
inline DistillData load_session(const std::filesystem::path& nwb,
                                const std::filesystem::path& latents, const std::string& qc,
                                const DistillConfig& config, double bin_s = 0.01,
                                const std::filesystem::path& stores = {}) {
    NpyRows<double> file(latents);
    require(file.rows() >= 2 && file.cols() >= 1, latents.string(), "latents are ", file.rows(),
            "x", file.cols(), ", expected (bins, dims) with bins >= 2");
    Targets targets(std::move(file));
    if (!stores.empty()) {
        teacher::BinnedSession b = teacher::load_binned_session(nwb, qc, 1000.0 * bin_s, stores);
        require(b.counts.bins() == targets.rows(), latents.string(), "has ", targets.rows(),
                " rows, but the store ", teacher::session_store_path(stores, nwb).string(),
                " holds ", b.counts.bins(), " bins: expected one row per bin of ", nwb.string());
        return make_distill_data(std::move(b.counts), std::move(targets), config, bin_s);
    }
    const data::NwbFile session(nwb);
    const data::UnitTable units = session.read_units();
    const data::UnitFilter filter = data::qc_filter_named(qc);
    const std::vector<std::size_t> selected =
        filter.empty() ? data::all_units(units.size()) : filter.select(units);
    require(!selected.empty(), nwb.string(), "no unit passes the '", qc, "' unit filter");
    const data::BinGrid grid{0.0, bin_s, static_cast<std::size_t>(targets.rows())};
    data::CountSource counts(
        data::bin_spikes_as(data::CountDType::narrowest, units, grid, selected));
    return make_distill_data(std::move(counts), std::move(targets), config, bin_s);
}

}  // namespace jepasnn::distill
