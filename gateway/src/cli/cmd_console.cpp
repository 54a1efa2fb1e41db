// passerelle console: the DPO console alone, until SIGTERM or Ctrl-C
// (docs/console.md). `passerelle run` can host the same ConsoleServer.

#include <Poco/Logger.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "console/console_server.h"
#include "party/gateway.h"

namespace passerelle::cli {

namespace {

int console(const ParsedOptions& options) {
    StopSignals signals;
    auto gateway = exchange::Gateway::open(options.value("config"));
    console::ConsoleServer server(*gateway);
    server.start();
    std::cout << "passerelle: DPO console on " << server.url() << " (token in " << server.tokenFile().string()
              << ")" << std::endl;
    signals.waitForStop();
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
