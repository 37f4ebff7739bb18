// Runtime configuration of the LeJEPA teacher (architecture sizes and the objective), as plain
// structs with sensible defaults and strict JSON round trips: unknown keys and out-of-range
// values are errors that name the field, so a config file cannot silently mean something else.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/settings.hpp"
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

    static void fields(auto& s, auto&& field) {
        field("session_units", s.session_units);
        field("hidden", s.hidden);
        field("latent", s.latent);
        field("conv_layers", s.conv_layers);
        field("conv_kernel", s.conv_kernel);
        field("conv_dilation", s.conv_dilation);
        field("predictor_hidden", s.predictor_hidden);
        field("predictor_kernel", s.predictor_kernel);
        field("horizon", s.horizon);
        field("dropout", s.dropout);
        field("lambda", s.lambda);
        field("burn_in", s.burn_in);
        field("init_seed", s.init_seed);
    }

    /// The sizes and the objective; session_units may be empty (a config file leaves it to the
    /// data), but what it lists must be positive.
    void validate(std::string_view where = "jepa::ModelConfig") const {
        for (std::size_t s = 0; s < session_units.size(); ++s)
            require(session_units[s] > 0, where, "session_units[", s, "] is ", session_units[s],
                    ", expected > 0");
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

    /// validate, and at least one session: what a model needs.
    void validate_model(std::string_view where = "jepa::ModelConfig") const {
        require(!session_units.empty(), where,
                "session_units is empty, expected one entry per training session");
        validate(where);
    }

    /// Window length below which no prediction target exists.
    Index min_window() const { return burn_in + 2; }
};

/// A model's config as its checkpoints store it: the settings, with at least one session.
inline ModelConfig model_config_from_json(const Json& j, std::string_view where = "model config") {
    const ModelConfig c = read_settings<ModelConfig>(j, where);
    c.validate_model(where);
    return c;
}

}  // namespace jepasnn::jepa
