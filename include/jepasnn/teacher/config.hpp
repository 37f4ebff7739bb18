// The teacher pipeline's configuration file (the CLI's `train-teacher --config FILE`): data, model
// sizes, encoder and regulariser kinds, training, held-out read-in fitting and evaluation, with
// every seed pinned in the file. Strict JSON: unknown keys and bad values name the field.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../jepa/config.hpp"
#include "data.hpp"
#include "evaluation.hpp"
#include "../jepa/trainer.hpp"

namespace jepasnn::teacher {

/// Fails unless `encoder` and `regularizer` name a teacher variant the pipeline builds: every
/// regulariser with the gru encoder, SIGReg only with conv_gru and conv.
inline void require_teacher_variant(std::string_view encoder, std::string_view regularizer,
                                    std::string_view where) {
    require(encoder == "gru" || encoder == "conv_gru" || encoder == "conv", where, "encoder is '",
            encoder, "', expected 'gru', 'conv_gru' or 'conv'");
    require(regularizer == "sigreg" || regularizer == "vicreg" || regularizer == "ema" ||
                regularizer == "none",
            where, "regularizer is '", regularizer,
            "', expected 'sigreg', 'vicreg', 'ema' or 'none'");
    require(encoder == "gru" || regularizer == "sigreg", where, "the ", encoder,
            " encoder is available with the sigreg regularizer only (found '", regularizer,
            "'); the gru encoder takes every regularizer");
}

struct TeacherConfig {
    TeacherDataConfig data;
    jepa::ModelConfig model;                         // session_units is filled in from the data
    std::string encoder = "gru";               // gru, conv_gru or conv
    std::string regularizer = "sigreg";        // sigreg, vicreg, ema or none
    Json regularizer_config = Json::object();  // the policy's own settings (its from_json)
    jepa::TrainConfig train;
    jepa::ReadinFitConfig readin;
    TeacherEvalConfig evaluation;
    std::filesystem::path output = "teacher_run";  // train-teacher writes here (CLI --out wins)

    void validate(std::string_view where) const {
        data.validate(where);
        require_teacher_variant(encoder, regularizer, where);
        train.validate(where);
        evaluation.validate(where);
        require(readin.batch_size >= 1 && readin.window >= model.min_window() &&
                    readin.learning_rate > 0.0,
                where, "readin batch_size/window/learning_rate are ", readin.batch_size, "/",
                readin.window, "/", readin.learning_rate, ", expected >= 1/", model.min_window(),
                "/> 0");
    }
};

inline Json to_json(const jepa::ReadinFitConfig& c) {
    return {{"seed", c.seed},
            {"steps", c.steps},
            {"batch_size", c.batch_size},
            {"window", c.window},
            {"learning_rate", c.learning_rate},
            {"warmup_steps", c.warmup_steps},
            {"weight_decay", c.weight_decay},
            {"clip_norm", c.clip_norm},
            {"progress", c.progress}};
}

inline jepa::ReadinFitConfig readin_fit_config_from_json(const Json& j, std::string_view where) {
    require_known_keys(j,
                               {"seed", "steps", "batch_size", "window", "learning_rate",
                                "warmup_steps", "weight_decay", "clip_norm", "progress"},
                               where);
    jepa::ReadinFitConfig c;
    c.seed = json_get_or(j, "seed", c.seed, where);
    c.steps = json_get_or(j, "steps", c.steps, where);
    c.batch_size = json_get_or(j, "batch_size", c.batch_size, where);
    c.window = json_get_or(j, "window", c.window, where);
    c.learning_rate = json_get_or(j, "learning_rate", c.learning_rate, where);
    c.warmup_steps = json_get_or(j, "warmup_steps", c.warmup_steps, where);
    c.weight_decay = json_get_or(j, "weight_decay", c.weight_decay, where);
    c.clip_norm = json_get_or(j, "clip_norm", c.clip_norm, where);
    c.progress = json_get_or(j, "progress", c.progress, where);
    require(c.warmup_steps <= c.steps && c.weight_decay >= 0.0 && c.clip_norm >= 0.0, where,
            "warmup_steps/weight_decay/clip_norm are ", c.warmup_steps, "/", c.weight_decay, "/",
            c.clip_norm, ", expected <= steps/>= 0/>= 0");
    return c;
}

inline Json to_json(const TeacherConfig& c) {
    Json model = to_json(c.model);
    model.erase("session_units");
    return {{"data", to_json(c.data)},
            {"model", model},
            {"encoder", c.encoder},
            {"regularizer", c.regularizer},
            {"regularizer_config", c.regularizer_config},
            {"train", to_json(c.train)},
            {"readin", to_json(c.readin)},
            {"evaluation", to_json(c.evaluation)},
            {"output", c.output.string()}};
}

/// Missing sections and fields keep their defaults; relative paths (data, output, training
/// checkpoint) are resolved against `base` (the config file's directory) when it is given.
inline TeacherConfig teacher_config_from_json(const Json& j, std::string_view where,
                                              const std::filesystem::path& base = {}) {
    require_known_keys(j,
                               {"about", "data", "model", "encoder", "regularizer",
                                "regularizer_config", "train", "readin", "evaluation", "output"},
                               where);
    const std::string w(where);
    TeacherConfig c;
    c.data = teacher_data_config_from_json(json_get<Json>(j, "data", where), w + ": data");
    c.data.resolve_paths(base);
    if (j.contains("model")) {
        const Json& model = j["model"];
        require(model.is_object() && !model.contains("session_units"), w + ": model",
                "session_units comes from the data; do not set it");
        c.model = jepa::model_architecture_from_json(model, w + ": model");
    }
    c.encoder = json_get_or(j, "encoder", c.encoder, where);
    c.regularizer = json_get_or(j, "regularizer", c.regularizer, where);
    c.regularizer_config = json_get_or(j, "regularizer_config", c.regularizer_config, where);
    if (j.contains("train")) c.train = jepa::train_config_from_json(j["train"], w + ": train");
    if (j.contains("readin")) c.readin = readin_fit_config_from_json(j["readin"], w + ": readin");
    if (j.contains("evaluation"))
        c.evaluation = teacher_eval_config_from_json(j["evaluation"], w + ": evaluation");
    c.output = json_get_or<std::string>(j, "output", c.output.string(), where);
    require(!c.output.empty(), where, "output is empty, expected a directory");
    if (!base.empty()) {
        if (c.output.is_relative()) c.output = base / c.output;
        if (!c.train.checkpoint.empty() && std::filesystem::path(c.train.checkpoint).is_relative())
            c.train.checkpoint = (base / c.train.checkpoint).string();
    }
    c.validate(where);
    return c;
}

/// Reads and validates a teacher config file.
inline TeacherConfig read_teacher_config(const std::filesystem::path& path) {
    return teacher_config_from_json(read_json(path), path.string(),
                                    std::filesystem::absolute(path).parent_path());
}

}  // namespace jepasnn::teacher
