// passerelle run: serve in the role the configuration names.

#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "daemon/daemon.h"
#include "party/gateway.h"

#include <iostream>

namespace passerelle::cli {

Command runCommand() {
    CommandSpec spec;
    spec.name = "run";
    spec.summary = "serve in the role the configuration names (region: receive; institution: deliver the outbox)";
    spec.usage = "passerelle run --config FILE";
    spec.options = {configOption(),
                    {"retry-every", true,
                     "institution: look at the outbox at least this often for batches queued by other processes "
                     "(default 5); failed batches wait their back-off ([delivery])",
                     "SECONDS"}};
    spec.details =
        "The Region's gateway listens on gateway.listen for batches over mutual TLS, stores each one,\n"
        "answers with a signed receipt and hands the records to its sink plugin. An institution's\n"
        "gateway delivers its outbox with [delivery] workers (exponential back-off with jitter; a batch\n"
        "undelivered after dead_letter_after_hours is dead-lettered with an alert), runs the jobs that\n"
        "have a schedule (cron, Europe/Paris time) and, with gateway.listen, serves the Region's\n"
        "extraction requests. Stops cleanly on SIGTERM or Ctrl-C (docs/delivery.md).\n"
        "Both sign ledger checkpoints every [ledger] checkpoint_interval_seconds when entries are\n"
        "pending, purge what has outlived its retention once a day, and serve the DPO console when\n"
        "[console] is configured (docs/console.md).";
    return {spec, [](const ParsedOptions& options) {
                StopSignals signals;
                auto gateway = exchange::Gateway::open(options.value("config"));
                int retry = 5;
                if (auto v = options.optional("retry-every")) {
                    try {
                        retry = std::stoi(*v);
                    } catch (const std::exception&) {
                        throw UsageError("--retry-every expects a number of seconds");
                    }
                    if (retry < 1) throw UsageError("--retry-every must be at least 1");
                }
                daemon::DaemonHooks hooks;
                hooks.waitForStop = [&signals](int seconds) { return signals.waitForStop(seconds); };
                hooks.say = [](const std::string& line) { std::cout << "passerelle: " << line << std::endl; };
                daemon::serve(*gateway, hooks, std::chrono::seconds(retry));
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
