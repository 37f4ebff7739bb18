// `jepasnn parity lif REF.json --out OUT.json`: every case of a document in the schema of
// shared/reference/snntorch_lif.json recomputed by jepasnn's LIF population in double precision
// (spk, mem, grad_input, grad_w_rec, and grad_beta / grad_threshold for learnable cases).
#include <jepasnn/lif/parity.hpp>

#include "parity_registry.hpp"

namespace {

const jepasnn::cli::ParityKindRegistration parity_lif_registration{
    "lif",
    {"snntorch 0.9.4 LIF parity (Leaky, RLeaky, Synaptic): spikes, membranes, BPTT gradients",
     [](const jepasnn::Json& reference, const std::string& source) {
         return jepasnn::lif::parity_document(reference, source);
     }}};

}  // namespace
