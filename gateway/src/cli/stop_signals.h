#pragma once
// How the long-running commands (run, console) stop: SIGINT/SIGTERM are blocked
// in every thread started after a StopSignals is made, so only the main thread
// receives them, in waitForStop().

#include <csignal>
#include <ctime>

namespace passerelle::cli {

class StopSignals {
public:
    StopSignals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    }
    // True when a stop was requested, false when the timeout passed first.
    bool waitForStop(int seconds) {
        timespec timeout{seconds, 0};
        return sigtimedwait(&set_, nullptr, &timeout) > 0;
    }
    void waitForStop() {
        while (!waitForStop(3600)) {
        }
    }

private:
    sigset_t set_;
};

}  // namespace passerelle::cli
