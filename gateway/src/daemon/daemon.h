#pragma once
// What `passerelle run` does once its options are read: serve in the role the
// configuration names until asked to stop (docs/delivery.md). The Region
// receives batches and hands them to its sink; an institution delivers its
// outbox, runs its scheduled jobs and, with gateway.listen, answers the Region's
// extraction requests. Both keep house: the ledger's timed checkpoint and,
// once a day, retention; and serve the console and the admin listener when
// they are configured.

#include "party/gateway.h"

#include <chrono>
#include <functional>
#include <string>

namespace passerelle::daemon {

struct DaemonHooks {
    // Blocks up to `seconds`; true once a stop was requested (SIGTERM, Ctrl-C).
    std::function<bool(int seconds)> waitForStop;
    // One line for the operator: what started, where it listens, what stopped.
    std::function<void(const std::string&)> say;
};

// Returns once stopped, after the requests, deliveries and runs in progress have
// finished. `outboxPoll`: how often an institution looks at its outbox for
// batches queued by other processes.
void serve(exchange::Gateway& gateway, const DaemonHooks& hooks, std::chrono::seconds outboxPoll);

}  // namespace passerelle::daemon
