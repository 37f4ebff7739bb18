// Initial weights of the E/I student, seeded through counter-based streams: excitatory input
// weights, and Dale-signed recurrent weights with a stated E/I balance and spectral radius
// (balanced random networks: van Vreeswijk & Sompolinsky, Science 1996; spectra of E/I random
// matrices: Rajan & Abbott, PRL 2006). Also the spectral radius itself, a student metric.
#pragma once

#include "../core/eigen.hpp"

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "../core/streams.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::lif {

namespace detail {
/// True when the graph of non-zero entries (j → i for W_ij ≠ 0) has no cycle: W is then
/// nilpotent and every eigenvalue is exactly 0 (Kahn's topological sort). Numerically, such
/// matrices have eigenvalues of size ε^{1/k}‖W‖ from round-off, so this is decided structurally.
inline bool is_structurally_nilpotent(const Matrix<double>& w) {
    const Index n = w.rows();
    std::vector<Index> in_degree(static_cast<std::size_t>(n), 0), ready;
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n; ++j)
            in_degree[static_cast<std::size_t>(i)] += w(i, j) != 0.0;
    for (Index i = 0; i < n; ++i)
        if (in_degree[static_cast<std::size_t>(i)] == 0) ready.push_back(i);
    Index removed = 0;
    while (!ready.empty()) {
        const Index j = ready.back();
        ready.pop_back();
        ++removed;
        for (Index i = 0; i < n; ++i)
            if (w(i, j) != 0.0 && --in_degree[static_cast<std::size_t>(i)] == 0) ready.push_back(i);
    }
    return removed == n;
}
}  // namespace detail

/// max_i |λ_i(W)| of a square matrix, from its eigenvalues (real Schur form, in double); exactly
/// 0 when the connectivity is acyclic (feed-forward).
template <class Derived>
double spectral_radius(const Eigen::MatrixBase<Derived>& w) {
    require(w.rows() == w.cols(), "spectral_radius", "matrix is ", w.rows(), "x", w.cols(),
            ", expected square");
    if (w.size() == 0) return 0.0;
    const Matrix<double> wd = w.template cast<double>();
    require_finite("spectral_radius", "matrix", wd);
    if (detail::is_structurally_nilpotent(wd)) return 0.0;
    const Eigen::EigenSolver<Matrix<double>> solver(wd, /*computeEigenvectors=*/false);
    require(solver.info() == Eigen::Success, "spectral_radius", "eigenvalues did not converge");
    return solver.eigenvalues().cwiseAbs().maxCoeff();
}

/// How the recurrent weights start.
struct RecurrentInit {
    /// ρ(W) after scaling: max |eigenvalue|, in units of threshold per presynaptic spike. Spiking
    /// networks run away at much smaller gains than rate networks: with 1 ms steps, τ = 20 ms
    /// and θ = 1, a 512-neuron network driven near threshold stays in the 5–20 Hz band at 0.2.
    double spectral_radius = 0.2;
    /// g = Σ_{j ∈ I} |W_ij| / Σ_{j ∈ E} W_ij for every postsynaptic row i (1: balanced, every row
    /// sums to zero, so the mean-field outlier eigenvalue vanishes).
    double ei_balance = 1.0;
    /// Probability that a synapse exists (no autapses).
    double connection_probability = 1.0;
};

/// (N, N) weights [post][pre] with E presynaptic columns [0, n_exc) ≥ 0 and I columns ≤ 0:
/// magnitudes |z|, z ~ N(0, 1), on connections drawn with the stated probability; each row's
/// inhibitory weights rescaled to the stated balance; then the whole matrix scaled to the stated
/// spectral radius (exactly, up to the eigenvalue solver's precision; a nilpotent draw is kept).
template <class T>
Matrix<T> dale_recurrent_weights(Index n_exc, Index n_inh, const RecurrentInit& init,
                                 std::uint64_t seed) {
    constexpr const char* where = "dale_recurrent_weights";
    require(n_exc >= 1 && n_inh >= 0, where, "needs at least one excitatory neuron, found ", n_exc,
            " E and ", n_inh, " I");
    require(init.spectral_radius > 0.0 && std::isfinite(init.spectral_radius), where,
            "spectral_radius is ", init.spectral_radius, ", expected > 0");
    require(init.ei_balance >= 0.0 && std::isfinite(init.ei_balance), where, "ei_balance is ",
            init.ei_balance, ", expected >= 0");
    require(init.connection_probability > 0.0 && init.connection_probability <= 1.0, where,
            "connection_probability is ", init.connection_probability, ", expected in (0, 1]");
    const Index n = n_exc + n_inh;
    Matrix<double> w = Matrix<double>::Zero(n, n);  // (N, N) [post][pre]
    for (Index j = 0; j < n; ++j)
        for (Index i = 0; i < n; ++i) {
            if (i == j) continue;
            const auto k = static_cast<std::uint64_t>(j * n + i);
            if (uniform_at(seed, stream_id(streams::lif_init, streams::lif_sites::connection), k) >=
                init.connection_probability)
                continue;
            const double magnitude = std::abs(normal_at(
                seed, stream_id(streams::lif_init, streams::lif_sites::recurrent_weights), k));
            w(i, j) = j < n_exc ? magnitude : -magnitude;
        }
    for (Index i = 0; i < n && n_inh > 0; ++i) {
        const double excitation = w.row(i).head(n_exc).sum();
        const double inhibition = -w.row(i).tail(n_inh).sum();
        if (excitation > 0.0 && inhibition > 0.0)
            w.row(i).tail(n_inh) *= init.ei_balance * excitation / inhibition;
    }
    // A nilpotent draw (a single neuron without autapses, or sparse acyclic connectivity) has
    // no eigenvalue to scale and is kept as drawn.
    const double rho = spectral_radius(w);
    if (rho > 0.0) w *= init.spectral_radius / rho;
    return w.cast<T>();
}

/// (N, F) non-negative input weights [post][pre]: |z|, z ~ N(0, 1), scaled so that the expected
/// total input weight onto a neuron, Σ_j W_ij, is `total_weight`.
template <class T>
Matrix<T> excitatory_input_weights(Index neurons, Index inputs, double total_weight,
                                   std::uint64_t seed) {
    require(neurons >= 1 && inputs >= 1, "excitatory_input_weights", "shape is ", neurons, "x",
            inputs, ", expected at least 1x1");
    require(total_weight >= 0.0 && std::isfinite(total_weight), "excitatory_input_weights",
            "total_weight is ", total_weight, ", expected >= 0");
    // E|z| = √(2/π) for z ~ N(0, 1).
    const double scale =
        total_weight / (static_cast<double>(inputs) * std::sqrt(2.0 / std::numbers::pi));
    Matrix<T> w(neurons, inputs);
    for (Index j = 0; j < inputs; ++j)
        for (Index i = 0; i < neurons; ++i)
            w(i, j) = static_cast<T>(
                scale * std::abs(normal_at(
                            seed, stream_id(streams::lif_init, streams::lif_sites::input_weights),
                            static_cast<std::uint64_t>(j * neurons + i))));
    return w;
}

/// (D, R) readout weights ~ N(0, 1 / (R · (10 Hz)²)): readouts are O(1) when the filtered rates
/// they read are O(10 Hz).
template <class T>
Matrix<T> readout_weights(Index outputs, Index inputs, std::uint64_t seed) {
    require(outputs >= 1 && inputs >= 1, "readout_weights", "shape is ", outputs, "x", inputs,
            ", expected at least 1x1");
    const double sd = 1.0 / (10.0 * std::sqrt(static_cast<double>(inputs)));
    Matrix<T> w(outputs, inputs);
    for (Index j = 0; j < inputs; ++j)
        for (Index i = 0; i < outputs; ++i)
            w(i, j) = static_cast<T>(
                sd * normal_at(seed,
                               stream_id(streams::lif_init, streams::lif_sites::readout_weights),
                               static_cast<std::uint64_t>(j * outputs + i)));
    return w;
}

}  // namespace jepasnn::lif
