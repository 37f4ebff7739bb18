// The jepasnn command-line tool. Contract (DESIGN.md): errors exit with status 1 (bad input or
// failed I/O) or 2 (usage) and print exactly one line on stderr naming the file and the problem;
// never a crash, never a stack dump.
#include <jepasnn/core/error.hpp>
#include <jepasnn/core/version.hpp>

#include <jepasnn_build_info.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "command.hpp"

namespace {
std::string one_line(std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "jepasnn: LeJEPA teacher and bio-constrained spiking student for Visual Behavior "
        "Neuropixels sessions"};
    app.name("jepasnn");
    app.set_version_flag("--version", std::string("jepasnn ") + jepasnn::version_string + " (" +
                                          JEPASNN_GIT_REVISION + ")");
    app.require_subcommand(1);
    auto& commands = jepasnn::cli::command_registry();
    std::sort(commands.begin(), commands.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& c : commands)
        c.setup(*app.add_subcommand(c.name, c.description));

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {  // --help, --version
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "jepasnn: " << one_line(e.what()) << " (run 'jepasnn --help')" << std::endl;
        return 2;
    } catch (const jepasnn::Error& e) {
        std::cerr << "jepasnn: error: " << one_line(e.what()) << std::endl;
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "jepasnn: error: out of memory" << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "jepasnn: error: " << one_line(e.what()) << std::endl;
        return 1;
    }
    return 0;
}
