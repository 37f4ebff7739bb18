// The Phase 1 teacher pipeline (DESIGN.md "Teacher"): binned sessions → multi-session LeJEPA
// training → read-ins of held-out sessions fitted with the encoder frozen (the original project's
// "unit identification") → latents of every session → ground-truth recovery against PCA and LDS
// baselines and collapse diagnostics. Also the teacher checkpoint (model, read-ins, scalers and
// the units each read-in expects) and embedding of a new NWB file with it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/checkpoint.hpp"
#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../jepa/adaptation.hpp"
#include "../jepa/model.hpp"
#include "../jepa/trainer.hpp"
#include "config.hpp"
#include "data.hpp"
#include "evaluation.hpp"

namespace jepasnn::teacher {

inline constexpr std::string_view teacher_checkpoint_kind = "jepasnn.lejepa.teacher";

/// Calls f(std::type_identity<Model>{}) with the TeacherModels entry of the named encoder and
/// regulariser (the runtime names of TeacherConfig), so one pipeline serves every variant.
template <class F>
decltype(auto) visit_teacher_model(std::string_view encoder, std::string_view regularizer, F&& f) {
    constexpr std::string_view where = "teacher::visit_teacher_model";
    require_teacher_variant(encoder, regularizer, where);
    const auto named = [&](auto tag) {
        using Model = typename decltype(tag)::type;
        return Model::EncoderType::name == encoder && Model::RegularizerType::name == regularizer;
    };
    return visit_first(TeacherModels{}, named, std::forward<F>(f), where, "no such teacher");
}

/// The latents of one session: bins × D on the session's grid from t = 0.
struct SessionLatents {
    std::string name;
    bool heldout = false;
    RowMatrix<double> z;
};

/// Receives each session's latents as soon as they are made and evaluated, in data order (the
/// index is into the sessions given to train_teacher). With a sink the pipeline keeps none of
/// them, so its memory does not grow with the number of sessions.
using LatentSink = std::function<void(std::size_t session, const SessionLatents&)>;

/// The sink of a run that wants only its metrics and checkpoint.
inline const LatentSink discard_latents = [](std::size_t, const SessionLatents&) {};

struct TeacherResult {
    std::vector<SessionLatents> latents;             // every session, in data order; none if sunk
    jepa::TrainHistory history;                      // the multi-session training
    std::vector<jepa::TrainHistory> readin_history;  // one per held-out session, in data order
    std::vector<jepa::TrainHistory> adapt_history;   // adaptation: per session and state
    Json metrics;
    Json checkpoint_header;         // everything but the parameters (see write_teacher_checkpoint)
    std::vector<float> parameters;  // trained model with every read-in (held-out ones included)
};

namespace detail {
inline bool is_heldout(const TeacherDataConfig& c, const std::string& name) {
    return std::find(c.heldout.begin(), c.heldout.end(), name) != c.heldout.end();
}

inline double mean_of(const std::vector<double>& v) {
    double s = 0.0;
    std::size_t n = 0;
    for (const double x : v)
        if (std::isfinite(x)) {
            s += x;
            ++n;
        }
    return n == 0 ? std::nan("") : s / static_cast<double>(n);
}

inline Json finite_or_null(double v) {
    return std::isfinite(v) ? Json(v) : Json(nullptr);
}

/// Headline numbers: means over the held-out sessions (over the training sessions when none is
/// held out), each session scored on its held-out time blocks.
inline Json summarize(const Json& sessions, bool any_heldout) {
    std::vector<double> r2, active, passive, smoothed, smoothed_active, smoothed_passive, pca, lds,
        rank, sig;
    for (const Json& s : sessions) {
        if (s["heldout"].get<bool>() != any_heldout) continue;
        rank.push_back(s["collapse"]["effective_rank"].get<double>());
        sig.push_back(s["collapse"]["sigreg"].get<double>());
        if (!s.contains("teacher")) continue;
        const auto get = [](const Json& j, const char* k) {
            return j[k].is_null() ? std::nan("") : j[k].get<double>();
        };
        r2.push_back(get(s["teacher"], "r2"));
        active.push_back(get(s["teacher"], "r2_active"));
        passive.push_back(get(s["teacher"], "r2_passive"));
        if (s.contains("smoothed")) {
            smoothed.push_back(get(s["smoothed"], "r2"));
            smoothed_active.push_back(get(s["smoothed"], "r2_active"));
            smoothed_passive.push_back(get(s["smoothed"], "r2_passive"));
        }
        if (s.contains("pca")) pca.push_back(get(s["pca"], "r2"));
        if (s.contains("lds")) lds.push_back(get(s["lds"], "r2"));
    }
    return {{"evaluated_on", any_heldout ? "heldout_sessions" : "training_sessions"},
            {"gt_recovery_r2", finite_or_null(mean_of(r2))},
            {"gt_recovery_r2_active", finite_or_null(mean_of(active))},
            {"gt_recovery_r2_passive", finite_or_null(mean_of(passive))},
            {"smoothed_r2", finite_or_null(mean_of(smoothed))},
            {"smoothed_r2_active", finite_or_null(mean_of(smoothed_active))},
            {"smoothed_r2_passive", finite_or_null(mean_of(smoothed_passive))},
            {"pca_r2", finite_or_null(mean_of(pca))},
            {"lds_r2", finite_or_null(mean_of(lds))},
            {"effective_rank", finite_or_null(mean_of(rank))},
            {"sigreg_heldout", finite_or_null(mean_of(sig))}};
}

/// The trainer continued from `checkpoint`, after checking that it was trained with `config`'s
/// model and training settings (where checkpoints go, progress and threads may differ).
template <class Model>
jepa::Trainer<Model> resume_trainer(
    const std::filesystem::path& checkpoint,
    std::vector<jepa::SessionRecording<typename Model::Scalar>> training,
    const TeacherConfig& config, const Model& fresh) {
    auto trainer = jepa::Trainer<Model>::resume(checkpoint, std::move(training));
    const auto settings = [](const jepa::TrainConfig& c) {
        Json j = settings_json(c);
        for (const char* key : {"checkpoint", "progress", "threads"})
            j.erase(key);
        return j;
    };
    require(settings(trainer.config()) == settings(config.train) &&
                trainer.model().describe() == fresh.describe(),
            checkpoint.string(), "was trained with other settings than the configuration given");
    return trainer;
}

/// Which input sessions train the model and which are held out (their read-ins are fitted
/// afterwards with everything else frozen), and each one's read-in in the trained model.
struct SessionRoles {
    std::vector<std::size_t> training, heldout;  // input indices, in input order
    std::vector<std::size_t> readin;             // per input session; held-out ones once fitted
};

inline SessionRoles session_roles(const TeacherConfig& config,
                                  const std::vector<BinnedSession>& sessions) {
    SessionRoles r;
    r.readin.assign(sessions.size(), 0);
    for (std::size_t s = 0; s < sessions.size(); ++s)
        if (is_heldout(config.data, sessions[s].name)) {
            r.heldout.push_back(s);
        } else {
            r.readin[s] = r.training.size();
            r.training.push_back(s);
        }
    return r;
}

/// A session's model input: transform + z-score (per brain state when the config asks) fitted
/// on its own training blocks.
template <class T>
jepa::SessionRecording<T> prepare(const TeacherConfig& config, const BinnedSession& b) {
    return jepa::prepare_session<T>(b.counts, config.train.transform, config.train.split, b.name,
                                    config.train.state_scaling, b.state_labels());
}

/// Read-ins of the held-out sessions, fitted in order with everything else frozen; their
/// recordings, and their read-in indices into roles.readin.
template <class Model>
std::vector<jepa::SessionRecording<typename Model::Scalar>> fit_heldout_readins(
    Model& m, const TeacherConfig& config, const std::vector<BinnedSession>& sessions,
    SessionRoles& roles, std::vector<jepa::TrainHistory>& histories) {
    std::vector<jepa::SessionRecording<typename Model::Scalar>> heldout;
    for (std::size_t i = 0; i < roles.heldout.size(); ++i) {
        heldout.push_back(prepare<typename Model::Scalar>(config, sessions[roles.heldout[i]]));
        jepa::ReadinFitConfig rc = config.readin;
        rc.seed = config.readin.seed + i;
        jepa::TrainHistory h;
        roles.readin[roles.heldout[i]] = jepa::fit_heldout_readin(m, heldout.back(), rc, &h);
        histories.push_back(std::move(h));
    }
    return heldout;
}

/// The read-in of each brain state of one session under config.adaptation (index = state), each
/// a copy of `readin` fitted on that state's training blocks with everything else frozen (a state
/// without a training window keeps `readin`). Empty without adaptation or state labels.
template <class Model>
std::vector<std::size_t> adapt_state_readins(
    Model& m, std::size_t readin, const jepa::SessionRecording<typename Model::Scalar>& rec,
    const TeacherConfig& config, std::uint64_t seed,
    std::vector<jepa::TrainHistory>* histories = nullptr) {
    std::vector<std::size_t> out;
    if (config.adaptation.kind == jepa::Adaptation::none || rec.state.empty()) return out;
    const std::uint8_t states = *std::max_element(rec.state.begin(), rec.state.end());
    for (unsigned k = 0; k <= states; ++k) {
        jepa::AdaptConfig ac = config.adaptation;
        ac.seed = seed + k;
        jepa::TrainHistory h;
        out.push_back(jepa::adapt_readin(m, readin, rec, static_cast<std::uint8_t>(k), ac, &h)
                          .value_or(readin));
        if (histories != nullptr) histories->push_back(std::move(h));
    }
    return out;
}

/// A session's latents (bins × D): through its read-in, or with per-state read-ins, each bin
/// through its own state's. The input is made from the counts a chunk at a time, and each chunk
/// of latents goes straight into the result.
template <class Model>
RowMatrix<double> encode_session(Model& m, std::size_t readin,
                                 const std::vector<std::size_t>& state_readins,
                                 const jepa::SessionRecording<typename Model::Scalar>& rec) {
    const auto input = [&](Index first, Index rows) { return rec.input(first, rows); };
    RowMatrix<double> z(rec.bins(), m.config().latent);
    if (state_readins.empty()) {
        m.encode_chunks(readin, rec.bins(), input, [&](Index first, const auto& zc) {
            z.middleRows(first, zc.rows()) = zc.template cast<double>();
        });
        return z;
    }
    require(rec.state.size() == static_cast<std::size_t>(rec.bins()), "teacher::encode_session",
            rec.state.size(), " state labels for ", rec.bins(), " bins");
    for (std::size_t k = 0; k < state_readins.size(); ++k)
        m.encode_chunks(state_readins[k], rec.bins(), input, [&](Index first, const auto& zc) {
            for (Index r = 0; r < zc.rows(); ++r)
                if (rec.state[static_cast<std::size_t>(first + r)] == k)
                    z.row(first + r) = zc.row(r).template cast<double>();
        });
    return z;
}

/// The checkpoint's description of a session: what embed_session matches a file against.
template <class T>
Json checkpoint_session(const BinnedSession& b, bool heldout, std::size_t readin,
                        const std::vector<std::size_t>& state_readins,
                        const jepa::SessionRecording<T>& rec) {
    return {{"name", b.name},
            {"identifier", b.identifier},
            {"unit_ids", b.unit_ids},
            {"bins", b.bins()},
            {"heldout", heldout},
            {"readin", readin},
            {"state_readins", state_readins},
            {"scaler", settings_json(rec.scaler)}};
}

/// The final training (and validation) losses.
inline Json training_summary(const jepa::TrainHistory& h) {
    const jepa::StepRecord& last = h.steps.back();
    Json j = {{"steps", h.steps.size()},
              {"final_loss", last.loss},
              {"final_prediction_loss", last.prediction},
              {"final_regularizer", last.regularizer}};
    if (!h.validation.empty()) {
        const jepa::ValidationRecord& v = h.validation.back();
        j["validation_loss"] = v.loss;
        j["validation_prediction_loss"] = v.prediction;
        j["validation_regularizer"] = v.regularizer;
    }
    return j;
}
}  // namespace detail

/// The whole pipeline for one compiled model kind (see train_teacher for the runtime choice);
/// the training continues from `resume` when it names a checkpoint of the same run. Each
/// session's latents go to `sink` when one is given, else into the result. With `exchange`, the
/// training steps are shared with its other processes (jepa::Trainer::share_steps; each process
/// runs the rest of the pipeline itself, with the same results).
template <class Model>
TeacherResult train_teacher_as(const TeacherConfig& config,
                               const std::vector<BinnedSession>& sessions,
                               const std::filesystem::path& resume = {},
                               const LatentSink& sink = {},
                               std::shared_ptr<const train::ShardExchange> exchange = {}) {
    using T = typename Model::Scalar;
    constexpr std::string_view where = "teacher::train_teacher";
    config.validate(where);
    require(!sessions.empty(), where, "no sessions");

    detail::SessionRoles roles = detail::session_roles(config, sessions);
    require(!roles.training.empty(), where, "every session is held out; at least one must train");
    std::vector<jepa::SessionRecording<T>> training;
    jepa::ModelConfig mc = config.model;
    mc.session_units.clear();
    for (const std::size_t s : roles.training) {
        training.push_back(detail::prepare<T>(config, sessions[s]));
        mc.session_units.push_back(sessions[s].units());
    }

    Model model(mc, Model::RegularizerType::from_json(config.regularizer_config));
    jepa::Trainer<Model> trainer =
        resume.empty() ? jepa::Trainer<Model>(std::move(model), std::move(training), config.train)
                       : detail::resume_trainer<Model>(resume, std::move(training), config, model);
    if (exchange) trainer.share_steps(std::move(exchange));
    TeacherResult result;
    result.history = trainer.run();
    Model& m = trainer.model();
    const std::vector<jepa::SessionRecording<T>> heldout =
        detail::fit_heldout_readins(m, config, sessions, roles, result.readin_history);

    // Latents of every session and their evaluation.
    Json session_metrics = Json::array(), checkpoint_sessions = Json::array();
    std::size_t next_heldout = 0;
    for (std::size_t s = 0; s < sessions.size(); ++s) {
        const BinnedSession& b = sessions[s];
        const bool held = detail::is_heldout(config.data, b.name);
        const jepa::SessionRecording<T>& rec =
            held ? heldout[next_heldout++] : trainer.sessions()[roles.readin[s]];
        const std::size_t first_adapted = result.adapt_history.size();
        const std::vector<std::size_t> state_readins =
            detail::adapt_state_readins(m, roles.readin[s], rec, config,
                                        config.adaptation.seed + 256 * s, &result.adapt_history);
        SessionLatents lat{b.name, held,
                           detail::encode_session(m, roles.readin[s], state_readins, rec)};
        Json e = evaluate_session(b, rec, lat.z, config.evaluation, config.train.seed);
        e["name"] = b.name;
        e["heldout"] = held;
        e["units"] = b.units();
        e["bins"] = b.bins();
        if (!state_readins.empty()) {
            Json adapted = Json::array();  // per state: the adaptation's final loss, or null
            for (std::size_t k = 0; k < state_readins.size(); ++k) {
                const auto& steps = result.adapt_history[first_adapted + k].steps;
                adapted.push_back(steps.empty() ? Json(nullptr) : Json(steps.back().loss));
            }
            e["state_adaptation_loss"] = std::move(adapted);
        }
        session_metrics.push_back(std::move(e));
        checkpoint_sessions.push_back(
            detail::checkpoint_session(b, held, roles.readin[s], state_readins, rec));
        if (sink)
            sink(s, lat);
        else
            result.latents.push_back(std::move(lat));
    }

    Json metrics = detail::summarize(session_metrics, !roles.heldout.empty());
    metrics["latent_dim"] = mc.latent;
    metrics["encoder"] = Model::EncoderType::name;
    metrics["regularizer"] = Model::RegularizerType::name;
    metrics["training"] = detail::training_summary(result.history);
    metrics["sessions"] = std::move(session_metrics);
    result.metrics = std::move(metrics);

    // Everything embed_session needs; the model's config lists every read-in.
    result.checkpoint_header = {{"kind", teacher_checkpoint_kind},
                                {"model", m.describe()},
                                {"config", settings_json(config)},
                                {"sessions", std::move(checkpoint_sessions)}};
    const auto values = m.parameters().values();
    result.parameters.assign(values.begin(), values.end());
    return result;
}

/// The pipeline with the encoder and regulariser named in the config; the training continues
/// from `resume` when it names a checkpoint of the same run. Each session's latents go to
/// `sink` when one is given, else into the result.
inline TeacherResult train_teacher(const TeacherConfig& config,
                                   const std::vector<BinnedSession>& sessions,
                                   const std::filesystem::path& resume = {},
                                   const LatentSink& sink = {},
                                   std::shared_ptr<const train::ShardExchange> exchange = {}) {
    return visit_teacher_model(config.encoder, config.regularizer, [&](auto tag) {
        return train_teacher_as<typename decltype(tag)::type>(config, sessions, resume, sink,
                                                              exchange);
    });
}

/// Writes the trained teacher (atomically) for embed_session.
inline void write_teacher_checkpoint(const std::filesystem::path& path, const TeacherResult& r) {
    write_checkpoint<float>(path, r.checkpoint_header,
                            {{"parameters", std::span<const float>(r.parameters)}});
}

/// Latents of one NWB file from a teacher checkpoint.
struct EmbedResult {
    RowMatrix<double> latents;   // (bins, D) from t = 0
    std::string session;         // the file's session name
    bool fitted_readin = false;  // true: an unseen session, read-in fitted with the encoder frozen
    Index units = 0;
    data::BinGrid grid;
};

/// Reads a teacher checkpoint (train-teacher's teacher.ckpt): its header and parameters, with
/// the kind checked.
inline Checkpoint<float> read_teacher_checkpoint(const std::filesystem::path& path) {
    const std::string file = path.string();
    Checkpoint<float> ck = read_checkpoint<float>(path);
    require(json_get<std::string>(ck.header, "kind", file) == teacher_checkpoint_kind, file,
            "not a teacher checkpoint (kind '", json_get<std::string>(ck.header, "kind", file),
            "', expected '", teacher_checkpoint_kind, "'; write one with train-teacher)");
    ck.array("parameters", file);
    return ck;
}

/// Embeds `nwb` with the teacher whose checkpoint header is `h` and parameters `params` (`file`
/// names them in errors): a session the teacher holds (same NWB identifier and the same selected
/// unit ids) uses its read-in and scaler; any other session gets a scaler fitted on its training
/// blocks and a read-in fitted with everything else frozen.
inline EmbedResult embed_session(const Json& h, std::span<const float> params,
                                 const std::filesystem::path& nwb, const std::string& file) {
    const Json& model_doc = json_get<Json>(h, "model", file);
    const TeacherConfig config =
        read_settings<TeacherConfig>(json_get<Json>(h, "config", file), file);
    BinnedSession b = load_binned_session(nwb, config.data.qc, config.data.bin_ms);
    EmbedResult out;
    out.session = b.name;
    out.units = b.units();
    out.grid = b.grid;
    return visit_teacher_model(
        json_get<std::string>(model_doc, "encoder", file),
        json_get<std::string>(model_doc, "regularizer", file), [&](auto tag) -> EmbedResult {
            using Model = typename decltype(tag)::type;
            Model model = jepa::Trainer<Model>::model_from_header(h, file);
            require(params.size() == model.parameters().size(), file, "checkpoint holds ",
                    params.size(), " parameters, the model has ", model.parameters().size());
            std::copy(params.begin(), params.end(), model.parameters().values().begin());
            for (const Json& s : json_get<Json>(h, "sessions", file)) {
                if (json_get<std::string>(s, "identifier", file) != b.identifier ||
                    json_get<std::vector<std::int64_t>>(s, "unit_ids", file) != b.unit_ids)
                    continue;
                const jepa::UnitScaler scaler =
                    read_settings<jepa::UnitScaler>(json_get<Json>(s, "scaler", file), file);
                const jepa::SessionRecording<float> rec{
                    b.name, b.counts, {}, scaler, b.state_labels().state};
                const auto readin = json_get<std::size_t>(s, "readin", file);
                const auto state_readins =
                    json_get_or(s, "state_readins", std::vector<std::size_t>{}, file);
                for (const std::size_t r : state_readins)
                    require(r < model.sessions(), file, "state read-in ", r,
                            " out of range for the model's ", model.sessions(), " read-ins");
                out.latents = detail::encode_session(model, readin, state_readins, rec);
                return std::move(out);
            }
            const jepa::SessionRecording<float> rec = detail::prepare<float>(config, b);
            const std::size_t index = jepa::fit_heldout_readin(model, rec, config.readin);
            const std::vector<std::size_t> state_readins =
                detail::adapt_state_readins(model, index, rec, config, config.adaptation.seed);
            out.latents = detail::encode_session(model, index, state_readins, rec);
            out.fitted_readin = true;
            return std::move(out);
        });
}

/// The same with the teacher of a checkpoint file (`jepasnn embed`).
inline EmbedResult embed_session(const std::filesystem::path& checkpoint,
                                 const std::filesystem::path& nwb) {
    const Checkpoint<float> ck = read_teacher_checkpoint(checkpoint);
    const std::string file = checkpoint.string();
    return embed_session(ck.header, ck.array("parameters", file), nwb, file);
}

}  // namespace jepasnn::teacher
