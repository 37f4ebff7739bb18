// Runtime configuration of the LeJEPA teacher (architecture sizes and the objective), as plain
// structs with sensible defaults and strict JSON round trips: unknown keys and out-of-range
// values are errors that name the field, so a config file cannot silently mean something else.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::jepa {

/// Architecture and objective. Sessions differ only in their unit counts (the read-in).
struct ModelConfig {
    std::vector<Index> session_units;  // U_s for each training session
    Index hidden = 128;                // H: read-in output and encoder width
    Index latent = 32;                 // D: z_t
    Index conv_layers = 1;             // causal conv blocks of conv / conv_gru encoders
    Index conv_kernel = 5;             // taps per conv block
    Index conv_dilation = 1;
    Index predictor_hidden = 128;  // P
    Index predictor_kernel = 3;    // the predictor sees z_{t−kernel+1..t}
    Index horizon = 4;             // K: predict z_{t+1..t+K}
    double dropout = 0.0;          // after the read-in's LayerNorm, training only
    double lambda = 0.05;          // loss = (1 − λ)·L_pred + λ·R(z)
    Index burn_in = 8;             // first steps of each window left out of both losses
    std::uint64_t init_seed = 0;   // parameter initialisation

    void validate(std::string_view where = "jepa::ModelConfig") const {
        require(!session_units.empty(), where,
                "session_units is empty, expected one entry per "
                "training session");
        for (std::size_t s = 0; s < session_units.size(); ++s)
            require(session_units[s] > 0, where, "session_units[", s, "] is ", session_units[s],
                    ", expected > 0");
        validate_architecture(where);
    }

    /// Everything but session_units (which a pipeline takes from its data, not from a file).
    void validate_architecture(std::string_view where = "jepa::ModelConfig") const {
        require(hidden > 0 && latent > 0 && predictor_hidden > 0, where,
                "hidden, latent and predictor_hidden are ", hidden, ", ", latent, ", ",
                predictor_hidden, ", expected > 0");
        require(conv_layers >= 0 && conv_kernel >= 1 && conv_dilation >= 1 && predictor_kernel >= 1,
                where, "conv_layers/conv_kernel/conv_dilation/predictor_kernel are ", conv_layers,
                "/", conv_kernel, "/", conv_dilation, "/", predictor_kernel,
                ", expected >= 0/1/1/1");
        require(horizon >= 1, where, "horizon is ", horizon, ", expected >= 1");
        require(dropout >= 0.0 && dropout < 1.0, where, "dropout is ", dropout,
                ", expected [0, 1)");
        require(lambda >= 0.0 && lambda <= 1.0, where, "lambda is ", lambda, ", expected [0, 1]");
        require(burn_in >= 0, where, "burn_in is ", burn_in, ", expected >= 0");
    }

    /// Window length below which no prediction target exists.
    Index min_window() const { return burn_in + 2; }
};

inline Json to_json(const ModelConfig& c) {
    return {{"session_units", c.session_units},
            {"hidden", c.hidden},
            {"latent", c.latent},
            {"conv_layers", c.conv_layers},
            {"conv_kernel", c.conv_kernel},
            {"conv_dilation", c.conv_dilation},
            {"predictor_hidden", c.predictor_hidden},
            {"predictor_kernel", c.predictor_kernel},
            {"horizon", c.horizon},
            {"dropout", c.dropout},
            {"lambda", c.lambda},
            {"burn_in", c.burn_in},
            {"init_seed", c.init_seed}};
}

/// Missing fields keep their defaults; unknown fields and invalid values are errors.
/// The architecture keys of a model config (no session_units; validated without them).
inline ModelConfig model_architecture_from_json(const Json& j,
                                                std::string_view where = "model config") {
    require_known_keys(
        j,
        {"hidden", "latent", "conv_layers", "conv_kernel", "conv_dilation", "predictor_hidden",
         "predictor_kernel", "horizon", "dropout", "lambda", "burn_in", "init_seed"},
        where);
    ModelConfig c;
    c.hidden = json_get_or(j, "hidden", c.hidden, where);
    c.latent = json_get_or(j, "latent", c.latent, where);
    c.conv_layers = json_get_or(j, "conv_layers", c.conv_layers, where);
    c.conv_kernel = json_get_or(j, "conv_kernel", c.conv_kernel, where);
    c.conv_dilation = json_get_or(j, "conv_dilation", c.conv_dilation, where);
    c.predictor_hidden = json_get_or(j, "predictor_hidden", c.predictor_hidden, where);
    c.predictor_kernel = json_get_or(j, "predictor_kernel", c.predictor_kernel, where);
    c.horizon = json_get_or(j, "horizon", c.horizon, where);
    c.dropout = json_get_or(j, "dropout", c.dropout, where);
    c.lambda = json_get_or(j, "lambda", c.lambda, where);
    c.burn_in = json_get_or(j, "burn_in", c.burn_in, where);
    c.init_seed = json_get_or(j, "init_seed", c.init_seed, where);
    c.validate_architecture(where);
    return c;
}

inline ModelConfig model_config_from_json(const Json& j, std::string_view where = "model config") {
    Json architecture = j;
    if (architecture.is_object()) architecture.erase("session_units");
    ModelConfig c = model_architecture_from_json(architecture, where);
    c.session_units = json_get_or<std::vector<Index>>(j, "session_units", c.session_units, where);
    c.validate(where);
    return c;
}

}  // namespace jepasnn::jepa
