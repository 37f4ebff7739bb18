// `jepasnn parity sigreg REF.json --out OUT.json`: SIGReg values and gradients recomputed with
// jepa::sigreg_parity (the official float32 knot table, double arithmetic) for every case.
#include <jepasnn/jepa/parity.hpp>

#include "parity_registry.hpp"

namespace {

const jepasnn::cli::ParityKindRegistration parity_sigreg_registration{
    "sigreg",
    {"SIGReg statistic per direction, its mean and the gradient w.r.t. z (LeJEPA, "
     "shared/reference/sigreg.json schema)",
     [](const jepasnn::Json& reference, const std::string& source) {
         return jepasnn::jepa::sigreg_parity(reference, source);
     }}};

}  // namespace
