// The teacher's causal temporal encoders, (T·B × H) read-in features → (T·B × D) latents z_t that
// depend only on bins ≤ t: stacks of [causal conv → GELU] blocks and/or a GRU, then a linear head.
// The kind is chosen at compile time (ConvEncoder, GruEncoder, ConvGruEncoder); the sizes come
// from ModelConfig. forward_stream encodes arbitrarily long recordings chunk by chunk, carrying
// the conv histories and the GRU state, with the same result as one long forward.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "../nn/activations.hpp"
#include "../nn/causal_conv.hpp"
#include "../nn/gru.hpp"
#include "../nn/linear.hpp"
#include "config.hpp"

namespace jepasnn::jepa {

/// An encoder E (a class template on the scalar, like ConvGruEncoder<float>) provides:
///   E(nn::ParameterLayout&, const ModelConfig&, const std::string& prefix)   declares parameters
///   void forward(RowMatrix<T>& z, nn::ConstMatRef<T> x, Index batch, const nn::Parameters<T>&)
///   void backward(nn::MatRef<T> dx, nn::ConstMatRef<T> dz, Index batch, nn::Parameters<T>&,
///                 bool parameter_gradients)   dx += ∂L/∂x; parameter gradients += when asked
///   typename E::Stream, Stream start_stream(Index batch) and forward_stream(z, x, Stream&,
///       params) for chunked inference
///   static constexpr std::string_view name
/// and must be causal: row t of z may depend on rows ≤ t of x only.
template <class E, class T>
concept CausalEncoder = requires(E e, nn::ParameterLayout& layout, const ModelConfig& c,
                                 RowMatrix<T>& out, nn::ConstMatRef<T> in, nn::MatRef<T> din,
                                 Index b, const nn::Parameters<T>& cp, nn::Parameters<T>& p,
                                 typename E::Stream& s) {
    E(layout, c, std::string());
    e.forward(out, in, b, cp);
    e.backward(din, in, b, p, true);
    { e.start_stream(b) } -> std::same_as<typename E::Stream>;
    e.forward_stream(out, in, s, cp);
    { E::name } -> std::convertible_to<std::string_view>;
};

enum class EncoderKind { conv, gru, conv_gru };

template <class T, EncoderKind Kind>
class TemporalEncoder {
  public:
    static constexpr bool has_conv = Kind != EncoderKind::gru;
    static constexpr bool has_gru = Kind != EncoderKind::conv;
    static constexpr std::string_view name = Kind == EncoderKind::conv  ? "conv"
                                             : Kind == EncoderKind::gru ? "gru"
                                                                        : "conv_gru";

    /// State carried between chunks by forward_stream: the last (K − 1)·d input steps of each
    /// conv block and the GRU's hidden state.
    struct Stream {
        Index batch = 0;
        std::vector<RowMatrix<T>> conv_history;  // per block ((K − 1)·d·B, H)
        RowMatrix<T> hidden;                     // (B, H)
    };

    TemporalEncoder() = default;
    TemporalEncoder(nn::ParameterLayout& layout, const ModelConfig& c, const std::string& prefix) {
        if constexpr (has_conv) {
            require(c.conv_layers >= 1, "jepa::TemporalEncoder", "a ", name,
                    " encoder needs conv_layers >= 1, found ", c.conv_layers);
            for (Index l = 0; l < c.conv_layers; ++l)
                convs_.emplace_back(layout, prefix + ".conv" + std::to_string(l), c.hidden,
                                    c.hidden, c.conv_kernel, c.conv_dilation);
        }
        if constexpr (has_gru) gru_ = nn::Gru<T>(layout, prefix + ".gru", c.hidden, c.hidden);
        head_ = nn::Linear<T>(layout, prefix + ".head", c.hidden, c.latent);
    }

    /// z (T·B, D) from x (T·B, H); keeps every intermediate for backward.
    void forward(RowMatrix<T>& z, nn::ConstMatRef<T> x, Index batch, const nn::Parameters<T>& p) {
        x_ = x;
        const RowMatrix<T>* h = &x_;
        conv_pre_.resize(convs_.size());
        conv_post_.resize(convs_.size());
        for (std::size_t l = 0; l < convs_.size(); ++l) {
            convs_[l].forward(conv_pre_[l], *h, batch, p);
            nn::activation_forward<nn::Gelu, T>(conv_post_[l], conv_pre_[l]);
            h = &conv_post_[l];
        }
        if constexpr (has_gru) {
            gru_.forward(gru_out_, *h, batch, p);
            h = &gru_out_;
        }
        head_.forward(z, *h, p);
    }

    /// dx (T·B, H) += ∂L/∂x given dz (T·B, D); parameter gradients too when asked.
    void backward(nn::MatRef<T> dx, nn::ConstMatRef<T> dz, Index batch, nn::Parameters<T>& p,
                  bool parameter_gradients) {
        const RowMatrix<T>& head_in = has_gru ? gru_out_ : convs_.empty() ? x_ : conv_post_.back();
        dh_.setZero(dz.rows(), head_.in_features());
        head_.backward(dh_, dz, p);
        if (parameter_gradients) head_.gradient(p, dz, head_in);
        if constexpr (has_gru) {
            const RowMatrix<T>& gru_in = convs_.empty() ? x_ : conv_post_.back();
            dtmp_.setZero(dh_.rows(), dh_.cols());
            gru_.backward(dtmp_, dh_, gru_out_, batch, p);
            if (parameter_gradients) gru_.gradient(p, gru_in, gru_out_, batch);
            dh_.swap(dtmp_);
        }
        for (std::size_t l = convs_.size(); l-- > 0;) {
            dtmp_.setZero(dh_.rows(), dh_.cols());  // ∂L/∂(conv output before GELU)
            nn::activation_backward<nn::Gelu, T>(dtmp_, dh_, conv_pre_[l], conv_post_[l]);
            const RowMatrix<T>& conv_in = l == 0 ? x_ : conv_post_[l - 1];
            if (parameter_gradients) convs_[l].gradient(p, dtmp_, conv_in, batch);
            dh_.setZero();
            convs_[l].backward(dh_, dtmp_, batch, p);
        }
        dx += dh_;
    }

    Stream start_stream(Index batch) const {
        Stream s;
        s.batch = batch;
        for (const auto& conv : convs_)
            s.conv_history.push_back(
                RowMatrix<T>::Zero((conv.receptive_field() - 1) * batch, conv.in_channels()));
        if constexpr (has_gru) s.hidden = RowMatrix<T>::Zero(batch, gru_.hidden());
        return s;
    }

    /// z for the next chunk x (T_chunk·B, H) of a long recording, continuing from `s`.
    void forward_stream(RowMatrix<T>& z, nn::ConstMatRef<T> x, Stream& s,
                        const nn::Parameters<T>& p) {
        const Index batch = s.batch, rows = x.rows();
        RowMatrix<T> h = x, extended, pre;
        for (std::size_t l = 0; l < convs_.size(); ++l) {
            // Prepending the previous chunk's last steps makes the chunk boundary invisible.
            RowMatrix<T>& hist = s.conv_history[l];
            extended.resize(hist.rows() + rows, h.cols());
            extended.topRows(hist.rows()) = hist;
            extended.bottomRows(rows) = h;
            convs_[l].forward(pre, extended, batch, p);
            hist = extended.bottomRows(hist.rows());
            nn::activation_forward<nn::Gelu, T>(h, pre.bottomRows(rows));
        }
        if constexpr (has_gru) {
            RowMatrix<T> out;
            gru_.forward(out, h, batch, p, s.hidden);
            s.hidden = out.bottomRows(batch);
            h.swap(out);
        }
        head_.forward(z, h, p);
    }

  private:
    std::vector<nn::CausalConv<T>> convs_;
    nn::Gru<T> gru_;
    nn::Linear<T> head_;
    RowMatrix<T> x_;                                  // (T·B, H) input of the last forward
    std::vector<RowMatrix<T>> conv_pre_, conv_post_;  // (T·B, H) per block
    RowMatrix<T> gru_out_;                            // (T·B, H)
    RowMatrix<T> dh_, dtmp_;                          // (T·B, H) backward work buffers
};

/// Causal conv blocks then a linear head (finite receptive field).
template <class T>
using ConvEncoder = TemporalEncoder<T, EncoderKind::conv>;
/// A GRU then a linear head: the default teacher.
template <class T>
using GruEncoder = TemporalEncoder<T, EncoderKind::gru>;
/// Causal conv blocks, a GRU, a linear head.
template <class T>
using ConvGruEncoder = TemporalEncoder<T, EncoderKind::conv_gru>;

}  // namespace jepasnn::jepa
