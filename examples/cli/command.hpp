// Subcommand registry of the jepasnn CLI. Each file in commands/ defines one subcommand and
// registers it with a static CommandRegistration; main.cpp adds them all to the app in name
// order. A command's callback throws jepasnn::Error on bad input; main turns that into a one-line
// message and exit status 1 (usage errors: status 2).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace jepasnn::cli {

struct Command {
    std::string name;
    std::string description;
    std::function<void(CLI::App&)> setup;  // adds options and the callback to the subcommand
};

inline std::vector<Command>& command_registry() {
    static std::vector<Command> commands;
    return commands;
}

struct CommandRegistration {
    CommandRegistration(std::string name, std::string description,
                        std::function<void(CLI::App&)> setup) {
        command_registry().push_back({std::move(name), std::move(description), std::move(setup)});
    }
};

}  // namespace jepasnn::cli
