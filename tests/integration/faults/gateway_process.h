#pragma once
// A `passerelle run` that is killed and started again, each run logging to its
// own files so the failure message can quote the end of the right one.

#include <regex>

#include "../support/exchange_fixture.h"

namespace passerelle::integration {

// The last `count` lines of a log file: enough to say why, without flooding the output.
inline std::string logTail(const std::string& file, std::size_t count = 15) {
    const std::vector<std::string> all = lines(readFile(file));
    std::ostringstream out;
    for (std::size_t i = all.size() > count ? all.size() - count : 0; i < all.size(); ++i)
        out << all[i] << "\n";
    return out.str();
}

// One `passerelle run`, restartable: each run logs to <label>.run<N>.out/.err, so
// the logs of every life of the process stay for the failure message.
class GatewayProcess {
public:
    GatewayProcess(std::string label, std::vector<std::string> argv, fs::path logDir,
                   std::string readyPattern)
        : label_(std::move(label)),
          argv_(std::move(argv)),
          logDir_(std::move(logDir)),
          ready_(readyPattern) {}

    const std::string& label() const { return label_; }
    int runs() const { return runs_; }

    // Spawns a new run without waiting for it to be ready: a kill may land during start-up.
    void start() {
        ++runs_;
        process_ = std::make_unique<ChildProcess>(argv_, logDir_ / (label_ + ".run" + std::to_string(runs_)));
        stopRequested_ = false;
    }

    // Whether the current run printed its ready line (and still runs).
    bool ready() { return process_ && process_->running() && std::regex_search(process_->out(), ready_); }
    bool waitReady(std::chrono::milliseconds timeout) {
        return waitUntil([&] { return ready() || !process_ || !process_->running(); }, timeout) && ready();
    }

    bool running() { return process_ && process_->running(); }

    void killHard() {
        if (!process_) return;
        stopRequested_ = true;
        process_->killHard();
    }

    // SIGTERM; the exit code, or nullopt when it had to be killed.
    std::optional<int> stop() {
        if (!process_) return 0;
        stopRequested_ = true;
        return process_->terminate();
    }

    // The exit code when the current run ended without being asked to.
    std::optional<int> diedOnItsOwn() {
        if (!process_ || stopRequested_ || process_->running()) return std::nullopt;
        return process_->waitExit(0ms);
    }

    // For failure messages: which run, and the end of its stderr.
    std::string describe(std::size_t tailLines = 15) const {
        if (!process_) return label_ + ": never started\n";
        return "--- " + label_ + " run " + std::to_string(runs_) + " (" + process_->errFile() +
               "), last lines ---\n" + logTail(process_->errFile(), tailLines);
    }

private:
    std::string label_;
    std::vector<std::string> argv_;
    fs::path logDir_;
    std::regex ready_;
    std::unique_ptr<ChildProcess> process_;
    int runs_ = 0;
    bool stopRequested_ = false;
};

}  // namespace passerelle::integration
