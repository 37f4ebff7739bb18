// Helpers shared by the test suites: where test data lives, visible skips, temporary
// directories, running the jepasnn CLI as a user would, and running a test on one thread.
#pragma once

#include <catch2/catch.hpp>
#include <jepasnn/core/threads.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace jepasnn::test {

namespace fs = std::filesystem;

/// tests/assets/<name>: files committed with the tests (copies of ../shared/reference and the
/// vbn_like_small fixture, small golden files).
inline fs::path test_asset(const std::string& name) {
    return fs::path(JEPASNN_TEST_ASSETS_DIR) / name;
}

/// ../shared beside the checkout, when it is there.
inline std::optional<fs::path> shared_dir() {
    const fs::path p(JEPASNN_SHARED_DIR);
    if (fs::is_directory(p)) return p;
    return std::nullopt;
}

/// Marks the current test case as skipped (CTest matches the marker) and leaves it.
#define JEPASNN_SKIP(reason)                                    \
    do {                                                        \
        std::cout << "JEPASNN-SKIP: " << (reason) << std::endl; \
        WARN("skipped: " << (reason));                          \
        return;                                                 \
    } while (false)

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
  public:
    TempDir() {
        std::random_device rd;
        for (int attempt = 0; attempt < 100; ++attempt) {
            path_ = fs::temp_directory_path() /
                    ("jepasnn-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
            if (fs::create_directory(path_)) return;
        }
        throw std::runtime_error("TempDir: cannot create a temporary directory");
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

inline std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_text(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

/// The outcome of running a program: exit status and what it printed.
struct RunResult {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'')
            q += "'\\''";
        else
            q += c;
    }
    return q + "'";
}

/// Runs program + args with stdout and stderr captured.
inline RunResult run_program(const std::string& program, const std::vector<std::string>& args) {
    TempDir tmp;
    // Appends only: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string here.
    std::string cmd = shell_quote(program);
    for (const auto& a : args)
        cmd.append(" ").append(shell_quote(a));
    cmd.append(" >").append(shell_quote((tmp / "out").string()));
    cmd.append(" 2>").append(shell_quote((tmp / "err").string()));
    cmd.append(" </dev/null");
    const int raw = std::system(cmd.c_str());
    RunResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = read_text(tmp / "out");
    r.err = read_text(tmp / "err");
    return r;
}

#if defined(JEPASNN_CLI_PATH)
inline constexpr bool have_cli = true;
/// Runs the jepasnn CLI built with this project.
inline RunResult run_cli(const std::vector<std::string>& args) {
    return run_program(JEPASNN_CLI_PATH, args);
}
#if defined(JEPASNN_MPIEXEC)
/// The CLI with `args` on `ranks` MPI ranks (as root too, more ranks than cores allowed).
inline RunResult run_cli_on_ranks(int ranks, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--allow-run-as-root",
                                    "--oversubscribe",
                                    "--bind-to",
                                    "none",
                                    "--mca",
                                    "btl_vader_single_copy_mechanism",
                                    "none",
                                    "-n",
                                    std::to_string(ranks),
                                    JEPASNN_CLI_PATH};
    all.insert(all.end(), args.begin(), args.end());
    return run_program(JEPASNN_MPIEXEC, all);
}
#endif
/// Starts the CLI with `args`, waits until `file` exists (checkpoints appear whole: they are
/// renamed into place), then kills it with SIGKILL, as a crash or the kernel's OOM killer would.
/// True if the CLI died of that SIGKILL; false if it exited first.
inline bool run_cli_killed_when_exists(const std::vector<std::string>& args, const fs::path& file) {
    std::vector<std::string> words = {JEPASNN_CLI_PATH};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {  // only async-signal-safe calls between fork and exec
        const int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv.data());
        _exit(127);
    }
    REQUIRE(pid > 0);
    int status = 0;
    while (!fs::exists(file)) {
        if (waitpid(pid, &status, WNOHANG) == pid) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}
#else
inline constexpr bool have_cli = false;
inline RunResult run_cli(const std::vector<std::string>&) {
    return {};
}
inline bool run_cli_killed_when_exists(const std::vector<std::string>&, const fs::path&) {
    return false;
}
#endif

/// Exactly one line on stderr, naming `needle`, and a status in {1, 2}: the CLI error contract.
inline void check_cli_error(const RunResult& r, const std::string& needle) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK((r.status == 1 || r.status == 2));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(needle) != std::string::npos);
}

/// Runs the enclosing test on one thread and restores the previous count: ctest runs two test
/// processes at once on this project's 2-core machines, and OpenMP barriers between
/// oversubscribed threads slow small models down by an order of magnitude.
class SingleThread {
  public:
    SingleThread() : previous_(jepasnn::thread_count()) { jepasnn::set_thread_count(1); }
    ~SingleThread() { jepasnn::set_thread_count(previous_); }
    SingleThread(const SingleThread&) = delete;
    SingleThread& operator=(const SingleThread&) = delete;

  private:
    int previous_;
};

}  // namespace jepasnn::test
