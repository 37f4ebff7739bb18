// The distillation objective on one batch (DESIGN.md, "Distillation loss"): the Deep CCA loss
// (Andrew et al., ICML 2013; cca/deep_cca_loss.hpp) between the student readout and the teacher
// latents over every post-burn-in bin of the batch, whose gradient becomes dL/d(readout); the
// homeostatic and weight penalties are added by the network itself (lif::Network::backward).
// A batch split into shards (data-parallel distillation, DESIGN.md "Scale") has its column sums
// and covariances added over shards in ShardTree's order, and each shard gets the gradient of its
// own readout; one shard is the whole batch.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "../cca/deep_cca_loss.hpp"
#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../train/shard_exchange.hpp"

namespace jepasnn::distill {

struct CcaLossTerm {
    double loss = 0.0;      // cca_weight · (−Σρ); 0 while the readout is constant
    double mean_cca = 0.0;  // mean ρ of the batch
    bool finite = true;     // false: the readout held NaN/Inf (nothing was differentiated)
};

/// Settings of the CCA term: rows b·W + k with k >= burn_in of each window enter the loss.
struct CcaTermSettings {
    Index burn_in = 0;
    double ridge = 1e-3;
    double weight = 1.0;
};

/// One process's shards of a batch of windows: readout[i] (b_i, W, D) and targets[i] (b_i, W, d)
/// are shard first + i; `windows` is the whole batch's count over every shard. sum(leaf, out)
/// sets out to the sum over every shard of the batch of leaf(s, ·), in ShardTree's order
/// (train::ShardExchange::sum), calling leaf for this process's shards only.
template <class T>
struct CcaShards {
    std::span<const Tensor<T, 3>> readout;
    std::span<const Tensor<double, 3>> targets;
    std::int64_t first = 0;
    Index windows = 0;
    std::function<void(const train::ShardLeaf<double>&, std::span<double>)> sum;
};

namespace detail {

/// The rows k >= burn_in of every window of a (b, W, C) tensor as (b·(W − burn_in), C) doubles.
template <class T>
RowMatrix<double> loss_rows(const Tensor<T, 3>& t, Index burn_in) {
    const Index b = static_cast<Index>(t.shape(0)), w = static_cast<Index>(t.shape(1));
    const Index c = static_cast<Index>(t.shape(2)), kept = w - burn_in;
    RowMatrix<double> out(b * kept, c);  // (b·(W − burn_in), C)
    for (Index i = 0; i < b; ++i)
        out.middleRows(i * kept, kept) =
            Eigen::Map<const RowMatrix<T>>(t.data() + (i * w + burn_in) * c, kept, c)
                .template cast<double>();
    return out;
}

}  // namespace detail

/// The CCA term of a batch split into shards (see CcaShards): writes each own shard's
/// d_readout[i] (b_i, W, D) = weight · ∂(−Σρ)/∂readout (zero on burn-in bins). A readout without
/// variance over the batch (a silent student) contributes no CCA term, so homeostasis alone can
/// wake the network instead of the loss failing. Every process gets the same term.
template <class T>
CcaLossTerm cca_loss_shards(std::vector<Tensor<T, 3>>& d_readout, const CcaShards<T>& shards,
                            const CcaTermSettings& settings) {
    constexpr const char* where = "distill::cca_loss";
    const std::size_t own = shards.readout.size();
    require(own >= 1 && shards.targets.size() == own, where, "given ", own, " readouts and ",
            shards.targets.size(), " targets, expected the same number >= 1");
    const Index w = static_cast<Index>(shards.readout[0].shape(1));
    const Index dy = static_cast<Index>(shards.readout[0].shape(2));
    const Index dz = static_cast<Index>(shards.targets[0].shape(2));
    require(settings.burn_in >= 0 && settings.burn_in < w, where, "burn_in is ", settings.burn_in,
            " for windows of ", w);
    std::vector<RowMatrix<double>> h1(own);  // (m_i, D) loss rows of the readout
    for (std::size_t i = 0; i < own; ++i) {
        const auto &y = shards.readout[i], &z = shards.targets[i];
        require(y.shape(0) == z.shape(0) && static_cast<Index>(y.shape(1)) == w &&
                    static_cast<Index>(z.shape(1)) == w && static_cast<Index>(y.shape(2)) == dy &&
                    static_cast<Index>(z.shape(2)) == dz,
                where, "shard ", shards.first + std::int64_t(i), ": readout is ", y.shape(0), "x",
                y.shape(1), "x", y.shape(2), ", targets ", z.shape(0), "x", z.shape(1), "x",
                z.shape(2), ", expected windows of ", w, " bins of widths ", dy, " and ", dz);
        h1[i] = detail::loss_rows(y, settings.burn_in);
    }
    d_readout.resize(own);
    for (std::size_t i = 0; i < own; ++i) {
        d_readout[i] = Tensor<T, 3>(shards.readout[i].shape());
        d_readout[i].fill(T(0));
    }

    // First sum: non-finite readouts, then the column sums of both views.
    std::vector<cca::DeepCcaRows> rows(own);
    std::vector<double> sums(static_cast<std::size_t>(1 + cca::deep_cca_sums_size(dy, dz)));
    shards.sum(
        [&](std::int64_t s, std::span<double> out) {
            const auto i = static_cast<std::size_t>(s - shards.first);
            const bool finite = h1[i].allFinite();
            out[0] = finite ? 0.0 : 1.0;
            if (finite)
                cca::deep_cca_rows(rows[i], h1[i],
                                   detail::loss_rows(shards.targets[i], settings.burn_in),
                                   out.subspan(1));
            else
                std::fill(out.begin() + 1, out.end(), 0.0);
        },
        std::span<double>(sums));
    CcaLossTerm term;
    if (sums[0] != 0.0) {
        term.finite = false;
        term.loss = std::numeric_limits<double>::quiet_NaN();
        return term;
    }

    // Second sum: the covariances on the batch means.
    const Index m = shards.windows * (w - settings.burn_in);
    const std::span<const double> column_sums = std::span<const double>(sums).subspan(1);
    std::vector<double> products(static_cast<std::size_t>(cca::deep_cca_products_size(dy, dz)));
    shards.sum(
        [&](std::int64_t s, std::span<double> out) {
            cca::deep_cca_products(rows[static_cast<std::size_t>(s - shards.first)], column_sums, m,
                                   out);
        },
        std::span<double>(products));
    if (Eigen::Map<const Matrix<double>>(products.data(), dy, dy).trace() == 0.0)
        return term;  // silent or constant readout

    cca::DeepCcaStatistic st;
    cca::deep_cca_statistic(st, products, m, dy, dz, {settings.ridge, 0});
    const Index kept = w - settings.burn_in;
    for (std::size_t i = 0; i < own; ++i) {
        RowMatrix<double> dh1 = RowMatrix<double>::Zero(h1[i].rows(), dy);  // (m_i, D)
        cca::deep_cca_backward<double>(&dh1, nullptr, rows[i], st, settings.weight);
        for (Index b = 0; b < static_cast<Index>(d_readout[i].shape(0)); ++b)
            Eigen::Map<RowMatrix<T>>(d_readout[i].data() + (b * w + settings.burn_in) * dy, kept,
                                     dy) = dh1.middleRows(b * kept, kept).template cast<T>();
    }
    term.loss = settings.weight * st.loss;
    term.mean_cca = st.correlations.mean();
    return term;
}

/// The CCA term of a batch held whole: readout (B, W, D), targets (B, W, d); writes d_readout
/// (B, W, D). cca_loss_shards with one shard.
template <class T>
CcaLossTerm cca_loss(Tensor<T, 3>& d_readout, const Tensor<T, 3>& readout,
                     const Tensor<double, 3>& targets, const CcaTermSettings& settings) {
    require(targets.shape(0) == readout.shape(0) && targets.shape(1) == readout.shape(1),
            "distill::cca_loss", "targets are ", targets.shape(0), "x", targets.shape(1),
            ", readout ", readout.shape(0), "x", readout.shape(1));
    std::vector<Tensor<T, 3>> d(1);
    const CcaShards<T> one{
        std::span<const Tensor<T, 3>>(&readout, 1), std::span<const Tensor<double, 3>>(&targets, 1),
        0, static_cast<Index>(readout.shape(0)),
        [](const train::ShardLeaf<double>& leaf, std::span<double> out) { leaf(0, out); }};
    const CcaLossTerm term = cca_loss_shards(d, one, settings);
    d_readout = std::move(d[0]);
    return term;
}

}  // namespace jepasnn::distill
