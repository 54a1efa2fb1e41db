// passerelle console: the DPO console alone, until SIGTERM or Ctrl-C
// (docs/console.md). `passerelle run` can host the same ConsoleServer.

#include <Poco/Logger.h>

#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "console/console_server.h"
#include "exchange/gateway.h"

namespace passerelle::cli {

namespace {

// Blocks SIGINT/SIGTERM before the server's threads start, so that only the
// main thread receives them, in sigwait.
class BlockedStopSignals {
public:
    BlockedStopSignals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    }
    void wait() {
        // sigtimedwait returns -1 on EINTR or timeout; only a real signal ends the wait.
        timespec timeout{3600, 0};
        while (sigtimedwait(&set_, nullptr, &timeout) <= 0) {
        }
    }

private:
    sigset_t set_;
};

int console(const ParsedOptions& options) {
    BlockedStopSignals signals;
    auto gateway = exchange::Gateway::open(options.value("config"));
    console::ConsoleServer server(*gateway);
    server.start();
    std::cout << "passerelle: DPO console on " << server.url() << " (token in " << server.tokenFile().string()
              << ")" << std::endl;
    signals.wait();
    Poco::Logger::get("passerelle").information("stop requested: finishing console requests in progress");
    server.stop();
    std::cout << "passerelle: DPO console stopped" << std::endl;
    return kExitOk;
}

}  // namespace

Command consoleCommand() {
    CommandSpec spec;
    spec.name = "console";
    spec.summary =
        "serve the DPO console (ledger, proofs, verification, register, access requests) on loopback";
    spec.usage = "passerelle console --config FILE";
    spec.options = {configOption()};
    spec.details =
        "Serves the data-protection officer's web console on console.listen (loopback only), behind the\n"
        "token in console.token_file (created, mode 0600, when missing). Log in with that token in a\n"
        "browser on this host, or through an SSH tunnel. Stops cleanly on SIGTERM or Ctrl-C.\n"
        "See docs/console.md.";
    return {spec, console};
}

}  // namespace passerelle::cli
