// Module header for jepasnn/cca: representational similarity. Classical CCA (Björck–Golub) with
// ridge, SVCCA, PWCCA, linear and debiased CKA, angular Procrustes; nulls by permutation and
// circular shift; cross-validated and held-out CCA; a streaming accumulator; the Deep CCA and
// soft-CCA losses with their backward passes.
#pragma once

#include "canonical_correlations.hpp"
#include "cka.hpp"
#include "covariance_accumulator.hpp"
#include "cross_validation.hpp"
#include "deep_cca_loss.hpp"
#include "null_distribution.hpp"
#include "procrustes.hpp"
#include "pwcca.hpp"
#include "scatter_factor.hpp"
#include "similarity_json.hpp"
#include "similarity_measure.hpp"
#include "similarity_report.hpp"
#include "soft_cca_loss.hpp"
#include "svcca.hpp"
#include "views.hpp"
