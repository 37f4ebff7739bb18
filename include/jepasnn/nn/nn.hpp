// Module header for jepasnn/nn: parameters in one contiguous buffer with typed views, layers with
// hand-written forward / backward (input gradient) / gradient (parameter gradient) — linear,
// activations, LayerNorm, causal temporal convolution, GRU, dropout, per-session read-in —,
// AdamW with warm-up + cosine schedule and gradient clipping, and central-difference checks.
#pragma once

#include "activations.hpp"
#include "adamw.hpp"
#include "causal_conv.hpp"
#include "common.hpp"
#include "dropout.hpp"
#include "grad_check.hpp"
#include "gru.hpp"
#include "layer_norm.hpp"
#include "linear.hpp"
#include "parameters.hpp"
#include "session_readin.hpp"
