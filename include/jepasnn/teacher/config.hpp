// The teacher pipeline's configuration file (the CLI's `train-teacher --config FILE`): data, model
// sizes, encoder and regulariser kinds, training, held-out read-in fitting and evaluation, with
// every seed pinned in the file. Strict JSON: unknown keys and bad values name the field.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../core/type_list.hpp"
#include "../jepa/adaptation.hpp"
#include "../jepa/config.hpp"
#include "../jepa/model.hpp"
#include "../jepa/trainer.hpp"
#include "data.hpp"
#include "evaluation.hpp"

namespace jepasnn::teacher {

/// Every teacher the pipeline builds, by encoder and regulariser name: the gru encoder with each
/// regulariser (the ablation), conv_gru and conv with SIGReg. Each entry instantiates the whole
/// pipeline, so the other pairings are left out (train_teacher_as<LeJepa<...>> builds any).
using TeacherModels = TypeList<jepa::LeJepa<float, jepa::GruEncoder, jepa::SigRegRegularizer>,
                               jepa::LeJepa<float, jepa::GruEncoder, jepa::VicRegRegularizer>,
                               jepa::LeJepa<float, jepa::GruEncoder, jepa::EmaTargetRegularizer>,
                               jepa::LeJepa<float, jepa::GruEncoder, jepa::NoRegularizer>,
                               jepa::LeJepa<float, jepa::ConvGruEncoder, jepa::SigRegRegularizer>,
                               jepa::LeJepa<float, jepa::ConvEncoder, jepa::SigRegRegularizer>>;

/// Fails unless `encoder` and `regularizer` name an entry of TeacherModels.
inline void require_teacher_variant(std::string_view encoder, std::string_view regularizer,
                                    std::string_view where) {
    std::vector<std::string_view> encoders, regularizers, with_encoder;
    [&]<class... Ms>(TypeList<Ms...>) {
        encoders = {Ms::EncoderType::name...};
        regularizers = {Ms::RegularizerType::name...};
        ((Ms::EncoderType::name == encoder ? with_encoder.push_back(Ms::RegularizerType::name)
                                           : void()),
         ...);
    }(TeacherModels{});
    const auto known = [](const std::vector<std::string_view>& names, std::string_view n) {
        return std::find(names.begin(), names.end(), n) != names.end();
    };
    require(known(encoders, encoder), where, "encoder is '", encoder, "', expected ",
            quoted_choices(encoders));
    require(known(regularizers, regularizer), where, "regularizer is '", regularizer,
            "', expected ", quoted_choices(regularizers));
    require(known(with_encoder, regularizer), where, "the ", encoder, " encoder takes the ",
            quoted_choices(with_encoder), " regularizer (found '", regularizer, "')");
}

struct TeacherConfig {
    TeacherDataConfig data;
    jepa::ModelConfig model;                   // session_units comes from the data
    std::string encoder = "gru";               // gru, conv_gru or conv
    std::string regularizer = "sigreg";        // sigreg, vicreg, ema or none
    Json regularizer_config = Json::object();  // the policy's own settings (its from_json)
    jepa::TrainConfig train;
    jepa::ReadinFitConfig readin;
    // Label-free adaptation to each brain state (kind 'readin' or 'film'; 'none' by default):
    // after training, every session gets one read-in per state, a copy of its own fitted on that
    // state's training blocks alone with everything else frozen (jepa/adaptation.hpp); each bin's
    // latent comes from its state's read-in.
    jepa::AdaptConfig adaptation;
    TeacherEvalConfig evaluation;
    std::filesystem::path output = "teacher_run";  // train-teacher writes here (CLI --out wins)

    static void fields(auto& s, auto&& field) {
        field("data", s.data);
        field("model", s.model);
        field("encoder", s.encoder);
        field("regularizer", s.regularizer);
        field("regularizer_config", s.regularizer_config);
        field("train", s.train);
        field("readin", s.readin);
        field("adaptation", s.adaptation);
        field("evaluation", s.evaluation);
        field("output", s.output);
    }

    void validate(std::string_view where) const {
        data.validate(where);
        require(model.session_units.empty(), where,
                "model: session_units comes from the data; do not set it");
        model.validate(where);
        require_teacher_variant(encoder, regularizer, where);
        train.validate(where);
        readin.validate(where);
        adaptation.validate(where);
        evaluation.validate(where);
        const auto fit = [&](const jepa::ReadinFitConfig& c, std::string_view name) {
            require(c.batch_size >= 1 && c.window >= model.min_window() && c.learning_rate > 0.0,
                    where, name, " batch_size/window/learning_rate are ", c.batch_size, "/",
                    c.window, "/", c.learning_rate, ", expected >= 1/", model.min_window(), "/> 0");
        };
        fit(readin, "readin");
        if (adaptation.kind != jepa::Adaptation::none) fit(adaptation, "adaptation");
        require(!output.empty(), where, "output is empty, expected a directory");
    }

    /// Relative paths (data, output, training checkpoint) are taken relative to `base`.
    void resolve_paths(const std::filesystem::path& base) {
        data.resolve_paths(base);
        if (output.is_relative()) output = base / output;
        if (!train.checkpoint.empty() && std::filesystem::path(train.checkpoint).is_relative())
            train.checkpoint = (base / train.checkpoint).string();
    }
};

/// Reads and validates a teacher config file; relative paths in it are taken relative to its
/// directory.
inline TeacherConfig read_teacher_config(const std::filesystem::path& path) {
    TeacherConfig c = read_settings<TeacherConfig>(read_json(path), path.string());
    c.resolve_paths(std::filesystem::absolute(path).parent_path());
    return c;
}

}  // namespace jepasnn::teacher
