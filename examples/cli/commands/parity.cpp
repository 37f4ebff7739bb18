// jepasnn parity <kind> REF.json --out OUT.json: recompute a reference document (schema of
// ../shared/reference) with the library's own components in double precision and write it back
// with the output fields replaced. The kinds are registered by commands/parity_<kind>.cpp.
#include <jepasnn/core/error.hpp>
#include <jepasnn/core/json.hpp>

#include "command.hpp"
#include "parity_registry.hpp"

namespace {

struct ParityOptions {
    std::string reference;
    std::string out;
};

void setup_parity(CLI::App& app) {
    app.require_subcommand(1);
    for (const auto& [name, kind] : jepasnn::cli::parity_registry()) {
        auto options = std::make_shared<ParityOptions>();
        CLI::App* sub = app.add_subcommand(name, kind.description);
        sub->add_option("REF.json", options->reference, "reference document")->required();
        sub->add_option("--out", options->out, "where to write our results (same schema)")
            ->required();
        sub->callback([options, compute = kind.compute] {
            const jepasnn::Json reference = jepasnn::read_json(options->reference);
            jepasnn::write_json(options->out, compute(reference, options->reference));
        });
    }
}

const jepasnn::cli::CommandRegistration parity_registration{
    "parity",
    "Recompute a reference document (shared/reference schema) with jepasnn's own components",
    setup_parity};

}  // namespace
