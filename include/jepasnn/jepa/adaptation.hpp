// Label-free adaptation of a trained teacher to one brain state (issue 18, point 4): the encoder
// and predictor stay frozen and a copy of a session's read-in is fitted on that state's unlabelled
// training bins with the teacher's loss. Two parameterisations:
//   readin  the whole copy (W', b'), as for a held-out session;
//   film    a gain g_u and an offset o_u per unit in front of the read-in (FiLM: Perez et al.
//   2018),
//           x'_u = g_u·x_u + o_u, so W' = diag(g)·W and b' = b + oᵀW with W, b the source's; they
//           start at the identity (the per-state moments scaling is the initial FiLM) and a
//           pull-back penalty (c/U)·Σ_u[(g_u − 1)² + o_u²] keeps them near it. A per-unit change of
//           gain and baseline is what a state does to a unit in affine gain models (Goris et al.
//           2014, Lin et al. 2015); unlike a free read-in it cannot rotate the latent space.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "dataset.hpp"
#include "trainer.hpp"

namespace jepasnn::jepa {

enum class Adaptation { none, readin, film };

constexpr std::array<std::pair<Adaptation, std::string_view>, 3> enum_names(Adaptation) {
    return {
        {{Adaptation::none, "none"}, {Adaptation::readin, "readin"}, {Adaptation::film, "film"}}};
}

/// How adapt_readin fits a state's read-in: the fit's settings, what it fits and the FiLM's
/// pull-back weight c.
struct AdaptConfig : ReadinFitConfig {
    Adaptation kind = Adaptation::none;
    double pull_back = 1.0;

    static void fields(auto& s, auto&& field) {
        ReadinFitConfig::fields(s, field);
        field("kind", s.kind);
        field("pull_back", s.pull_back);
    }
    void validate(std::string_view where) const {
        ReadinFitConfig::validate(where);
        require(pull_back >= 0.0, where, "pull_back is ", pull_back, ", expected >= 0");
    }
};

namespace detail {
/// The train::Objective of FiLM adaptation: the gains and offsets of one read-in copy, which is
/// rewritten from them before each step; the chain rule takes the copy's gradients to them:
///   ∂L/∂g_u = Σ_d ∂L/∂W'_{ud}·W_{ud},   ∂L/∂o_u = Σ_d ∂L/∂b'_d·W_{ud}.
template <class Model>
struct FilmObjective {
    using Scalar = typename Model::Scalar;
    using Record = StepRecord;
    using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

    ReadinObjective<Model> inner;  // the copy's read-in under the teacher's loss
    double pull_back = 0.0;
    RowMatrix<Scalar> weight;                  // the source's W (U × D)
    RowVector<Scalar> bias;                    // the source's b (D)
    std::vector<Scalar> film = {}, grad = {};  // g (U) then o (U)

    FilmObjective(ReadinObjective<Model> objective, double c)
        : inner(std::move(objective)), pull_back(c) {
        const std::span<Scalar> p = inner.parameters();
        const Index units = inner.session.units();
        const Index d = static_cast<Index>(p.size()) / (units + 1);
        weight = Eigen::Map<const RowMatrix<Scalar>>(p.data(), units, d);
        bias = Eigen::Map<const RowVector<Scalar>>(p.data() + units * d, d);
        film.assign(static_cast<std::size_t>(2 * units), Scalar(0));
        std::fill(film.begin(), film.begin() + units, Scalar(1));
        grad.assign(film.size(), Scalar(0));
    }

    Index units() const { return weight.rows(); }
    Eigen::Map<Vector> gain(std::vector<Scalar>& v) { return {v.data(), units()}; }
    Eigen::Map<Vector> offset(std::vector<Scalar>& v) { return {v.data() + units(), units()}; }

    /// W' = diag(g)·W, b' = b + oᵀW into the copy.
    void apply() {
        const std::span<Scalar> p = inner.parameters();
        Eigen::Map<RowMatrix<Scalar>>(p.data(), units(), weight.cols()) =
            gain(film).asDiagonal() * weight;
        Eigen::Map<RowVector<Scalar>>(p.data() + weight.size(), weight.cols()) =
            bias + offset(film).transpose() * weight;
    }

    std::span<Scalar> parameters() { return film; }
    std::span<Scalar> gradients() { return grad; }
    StepRecord loss_and_gradient(std::uint64_t s) {
        apply();
        StepRecord r = inner.loss_and_gradient(s);
        const std::span<Scalar> d = inner.gradients();
        const Eigen::Map<const RowMatrix<Scalar>> dw(d.data(), units(), weight.cols());
        const Eigen::Map<const RowVector<Scalar>> db(d.data() + weight.size(), weight.cols());
        const Scalar c = static_cast<Scalar>(pull_back / static_cast<double>(units()));
        const Vector g = gain(film), o = offset(film);
        gain(grad) = dw.cwiseProduct(weight).rowwise().sum() + 2 * c * (g.array() - 1).matrix();
        offset(grad) = weight * db.transpose() + 2 * c * o;
        r.loss += static_cast<double>(c * ((g.array() - 1).square().sum() + o.squaredNorm()));
        return r;
    }
    void after_update(std::uint64_t) {}
    void record(const StepRecord& r) { inner.record(r); }
    std::string status() const { return {}; }
};
}  // namespace detail

/// Label-free adaptation to one brain state: adds a copy of read-in `source` (which reads
/// `session`) and fits it, as config.kind says, on the training blocks of `session` in state
/// `state`, the encoder and predictor frozen, with the teacher's loss on those unlabelled bins.
/// Returns the copy's index, or nullopt when that state holds no training window (nothing is
/// added then).
template <class Model>
std::optional<std::size_t> adapt_readin(Model& model, std::size_t source,
                                        const SessionRecording<typename Model::Scalar>& session,
                                        std::uint8_t state, const AdaptConfig& config,
                                        TrainHistory* history = nullptr) {
    constexpr std::string_view where = "jepa::adapt_readin";
    config.validate(where);
    require(config.kind != Adaptation::none, where, "adaptation kind is 'none'");
    require(session.state.size() == static_cast<std::size_t>(session.bins()), where, "session '",
            session.name, "' has ", session.state.size(), " state labels for ", session.bins(),
            " bins");
    const std::vector<data::RowRange> runs = state_runs(session.split.train, session.state, state);
    if (WindowSampler({runs}, config.window).available() == 0) return std::nullopt;
    const std::size_t index = model.clone_session(source);
    if (config.kind == Adaptation::readin) {
        detail::fit_readin(model, index, session, runs, config, history, where);
        return index;
    }
    const WindowSampler sampler = detail::readin_sampler(model, session, runs, config, where);
    const auto [offset, size] = model.readin_range(index);
    detail::FilmObjective<Model> objective(
        {model, session, sampler, config, index, offset, size, history}, config.pull_back);
    detail::run_readin_fit<typename Model::Scalar>(objective, objective.film.size(), config);
    objective.apply();
    return index;
}

}  // namespace jepasnn::jepa
