// Kinds of `jepasnn parity <kind> REF.json --out OUT.json`. Each kind (lif, sigreg, ...) is
// registered from its own file in commands/ with a static ParityKindRegistration; the compute
// function receives the whole reference document and returns the same document with every output
// field replaced by the library's own results (DESIGN.md, "Command-line contract").
#pragma once

#include <jepasnn/core/json.hpp>

#include <functional>
#include <map>
#include <string>

namespace jepasnn::cli {

struct ParityKind {
    std::string description;
    std::function<Json(const Json& reference, const std::string& source)> compute;
};

inline std::map<std::string, ParityKind>& parity_registry() {
    static std::map<std::string, ParityKind> kinds;
    return kinds;
}

struct ParityKindRegistration {
    ParityKindRegistration(const std::string& name, ParityKind kind) {
        parity_registry().emplace(name, std::move(kind));
    }
};

}  // namespace jepasnn::cli
