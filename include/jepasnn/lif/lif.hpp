// Module header for jepasnn/lif: LIF populations with snntorch 0.9.4 semantics and hand-written
// BPTT, reset policies, the recurrent E/I student network with its readout and parameter buffer,
// initialisation with a stated spectral radius and E/I balance, and snntorch parity documents.
#pragma once

#include "current_statistics.hpp"
#include "initialization.hpp"
#include "network.hpp"
#include "neuron_step.hpp"
#include "parity.hpp"
#include "policies.hpp"
#include "population.hpp"
#include "population_io.hpp"
#include "population_state.hpp"
#include "reset.hpp"
#include "spike_record.hpp"
