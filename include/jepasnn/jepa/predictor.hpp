// The predictor: from the latents z_{t−k+1..t} (a causal conv of predictor_kernel taps over z,
// then GELU and a linear map) to K predicted future latents ẑ_{t+1..t+K}, laid out as
// (T·B × K·D) with block k (columns [k·D, (k+1)·D)) predicting z_{t+k+1}.
#pragma once

#include <string>

#include "../nn/activations.hpp"
#include "../nn/causal_conv.hpp"
#include "../nn/linear.hpp"
#include "config.hpp"

namespace jepasnn::jepa {

template <class T>
class Predictor {
  public:
    Predictor() = default;
    Predictor(nn::ParameterLayout& layout, const ModelConfig& c, const std::string& prefix)
        : conv_(layout, prefix + ".conv", c.latent, c.predictor_hidden, c.predictor_kernel),
          head_(layout, prefix + ".head", c.predictor_hidden, c.horizon * c.latent) {}

    /// zhat (T·B, K·D) from z (T·B, D).
    void forward(RowMatrix<T>& zhat, nn::ConstMatRef<T> z, Index batch,
                 const nn::Parameters<T>& p) {
        z_ = z;
        conv_.forward(pre_, z, batch, p);
        nn::activation_forward<nn::Gelu, T>(post_, pre_);
        head_.forward(zhat, post_, p);
    }

    /// dz (T·B, D) += ∂L/∂z given dzhat (T·B, K·D); parameter gradients too when asked.
    void backward(nn::MatRef<T> dz, nn::ConstMatRef<T> dzhat, Index batch, nn::Parameters<T>& p,
                  bool parameter_gradients) {
        dpost_.setZero(post_.rows(), post_.cols());  // (T·B, P)
        head_.backward(dpost_, dzhat, p);
        if (parameter_gradients) head_.gradient(p, dzhat, post_);
        dpre_.setZero(pre_.rows(), pre_.cols());  // (T·B, P)
        nn::activation_backward<nn::Gelu, T>(dpre_, dpost_, pre_, post_);
        if (parameter_gradients) conv_.gradient(p, dpre_, z_, batch);
        conv_.backward(dz, dpre_, batch, p);
    }

  private:
    nn::CausalConv<T> conv_;
    nn::Linear<T> head_;
    RowMatrix<T> z_;             // (T·B, D) input of the last forward
    RowMatrix<T> pre_, post_;    // (T·B, P) conv output before / after GELU
    RowMatrix<T> dpre_, dpost_;  // (T·B, P)
};

}  // namespace jepasnn::jepa
