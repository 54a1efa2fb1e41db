#pragma once
// Real processes for the integration tests: started with posix_spawn, their
// stdout and stderr written to files (so nothing blocks on a full pipe and
// the logs can be scanned afterwards), every wait bounded by a deadline.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace passerelle::integration {

using namespace std::chrono_literals;

inline std::string readFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeFile(const std::filesystem::path& file, const std::string& content) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

// Instrumented builds run several times slower (scripts/lib/sanitize.sh sets 4):
// every deadline below is multiplied by PASSERELLE_TEST_TIME_FACTOR (default 1).
inline int testTimeFactor() {
    static const int factor = [] {
        const char* text = std::getenv("PASSERELLE_TEST_TIME_FACTOR");
        const int n = text != nullptr ? std::atoi(text) : 1;
        return n >= 1 ? n : 1;
    }();
    return factor;
}

// Polls `condition` every 50 ms until it holds or `timeout` (times the factor) passes.
inline bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout * testTimeFactor();
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(50ms);
    }
}

class ChildProcess {
public:
    // Starts argv[0] (a path) with stdout/stderr going to `logPrefix`.out / .err.
    ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& logPrefix)
        : outFile_(logPrefix.string() + ".out"), errFile_(logPrefix.string() + ".err") {
        std::filesystem::create_directories(logPrefix.parent_path());
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outFile_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errFile_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // A test that fails half-way must not leave a gateway running.
    ~ChildProcess() {
        if (running()) {
            ::kill(pid_, SIGKILL);
            waitExit(5s);
        }
    }

    pid_t pid() const { return pid_; }
    std::string out() const { return readFile(outFile_); }
    std::string err() const { return readFile(errFile_); }
    const std::string& outFile() const { return outFile_; }
    const std::string& errFile() const { return errFile_; }

    bool running() { return !exitCode_ && !reap(false); }

    // The exit code (128 + signal when killed), or nullopt when it outlived the timeout.
    std::optional<int> waitExit(std::chrono::milliseconds timeout) {
        waitUntil([this] { return exitCode_.has_value() || reap(false); }, timeout);
        return exitCode_;
    }

    // SIGTERM, then the exit code; SIGKILL and nullopt if it does not stop in time.
    std::optional<int> terminate(std::chrono::milliseconds timeout = 15s) {
        if (running()) ::kill(pid_, SIGTERM);
        auto code = waitExit(timeout);
        if (!code) {
            ::kill(pid_, SIGKILL);
            waitExit(5s);
            return std::nullopt;
        }
        return code;
    }

    void killHard() {
        if (running()) ::kill(pid_, SIGKILL);
        waitExit(5s);
    }

private:
    bool reap(bool block) {
        if (exitCode_) return true;
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
        if (r != pid_) return false;
        exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
    }

    pid_t pid_ = -1;
    std::string outFile_;
    std::string errFile_;
    std::optional<int> exitCode_;
};

struct CommandResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

inline std::ostream& operator<<(std::ostream& os, const CommandResult& r) {
    return os << "exit " << r.exitCode << "\n--- stdout ---\n" << r.out << "\n--- stderr ---\n" << r.err;
}

// Runs a command to completion; a command that outlives `timeout` is killed and fails the test.
inline CommandResult runCommand(const std::vector<std::string>& argv, const std::filesystem::path& logPrefix,
                                std::chrono::milliseconds timeout = 30s) {
    ChildProcess child(argv, logPrefix);
    CommandResult result;
    if (auto code = child.waitExit(timeout)) {
        result.exitCode = *code;
    } else {
        child.killHard();
        ADD_FAILURE() << "command timed out after " << timeout.count() << " ms: " << argv[0] << " "
                      << (argv.size() > 1 ? argv[1] : "");
    }
    result.out = child.out();
    result.err = child.err();
    return result;
}

}  // namespace passerelle::integration
