// Module header for jepasnn/constraints: the policies that make a spiking student biological and
// trainable. Surrogate gradients, Dale's principle, homeostatic rate bands and weight
// regularisation, each a C++20 concept with ready-made policies.
#pragma once

#include "dales_principle.hpp"
#include "homeostasis.hpp"
#include "surrogate.hpp"
#include "weight_regularization.hpp"
