// Module header for jepasnn/eval: pure linear algebra on latents and targets — affine maps and
// held-out R² (overall and per group), contiguous cross-validation folds, ridge and multinomial
// logistic probes with cross-validated regularisation, cross-state transfer, PCA and a
// least-squares linear-dynamical baseline of the same dimension, causal exponential smoothing,
// and the effective rank.
#pragma once

#include "effective_rank.hpp"
#include "folds.hpp"
#include "lbfgs.hpp"
#include "lds.hpp"
#include "logistic.hpp"
#include "pca.hpp"
#include "probes.hpp"
#include "regression.hpp"
#include "smoothing.hpp"
