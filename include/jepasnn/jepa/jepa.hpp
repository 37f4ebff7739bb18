// Module header for jepasnn/jepa: SIGReg (with the official quadrature table) and the parity
// recomputation of the official LeJEPA reference.
#pragma once

#include "parity.hpp"
#include "sigreg.hpp"
#include "sigreg_knots.hpp"
#include "streams.hpp"
