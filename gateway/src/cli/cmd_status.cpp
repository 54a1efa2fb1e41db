// passerelle status: the outbox or inbox per peer, dead letters, scheduled jobs.
// passerelle outbox requeue: send a dead-lettered batch again.

#include "cli/commands.h"
#include "common/clock.h"
#include "common/errors.h"
#include "daemon/gateway_status.h"
#include "party/gateway.h"
#include "send/batch_delivery.h"
#include "send/dead_letters.h"

#include <Poco/JSON/Array.h>

#include <iostream>

namespace passerelle::cli {

namespace {

std::string ago(std::int64_t seconds) {
    if (seconds < 120) return std::to_string(seconds) + " s ago";
    if (seconds < 7200) return std::to_string(seconds / 60) + " min ago";
    if (seconds < 172800) return std::to_string(seconds / 3600) + " h ago";
    return std::to_string(seconds / 86400) + " days ago";
}

std::string orNever(const std::string& s, const char* none = "never") { return s.empty() ? none : s; }

void printOutboxes(const Poco::JSON::Array& peers) {
    std::cout << "outbox, per recipient:\n";
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const auto p = peers.getObject(static_cast<unsigned>(i));
        const auto depth = p->getValue<std::uint64_t>("queue_depth");
        std::cout << "  " << p->getValue<std::string>("peer") << ": " << depth << " batch(es) queued";
        if (depth > 0) {
            std::cout << ", oldest " << p->getValue<std::string>("oldest_pending") << " ("
                      << ago(p->getValue<std::int64_t>("oldest_pending_age_seconds")) << ")";
        }
        std::cout << "\n    receipted " << p->getValue<std::uint64_t>("receipted") << ", last success "
                  << orNever(p->getValue<std::string>("last_success")) << "\n";
        if (!p->getValue<std::string>("last_error").empty()) {
            std::cout << "    last error " << p->getValue<std::string>("last_error_at") << ": "
                      << p->getValue<std::string>("last_error") << "\n";
        }
        if (!p->getValue<std::string>("next_attempt").empty()) {
            std::cout << "    next attempt " << p->getValue<std::string>("next_attempt") << "\n";
        }
        const auto dead = p->getArray("dead_letters");
        if (dead->size() > 0) {
            std::cout << "    DEAD LETTERS: " << dead->size()
                      << " batch(es) undelivered too long, kept; 'passerelle outbox requeue --batch ID' sends one "
                         "again\n";
            for (std::size_t d = 0; d < dead->size(); ++d) {
                const auto b = dead->getObject(static_cast<unsigned>(d));
                std::cout << "      " << b->getValue<std::string>("batch_id") << "  "
                          << b->getValue<std::string>("purpose") << ", " << b->getValue<std::uint64_t>("records")
                          << " records, queued " << b->getValue<std::string>("queued_since") << ", "
                          << b->getValue<std::uint64_t>("attempts") << " attempts: "
                          << b->getValue<std::string>("last_error") << "\n";
            }
        }
    }
}

void printJobs(const Poco::JSON::Array& jobs) {
    std::cout << "jobs:\n";
    if (jobs.size() == 0) std::cout << "  none\n";
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto j = jobs.getObject(static_cast<unsigned>(i));
        const std::string schedule = j->getValue<std::string>("schedule");
        std::cout << "  " << j->getValue<std::string>("job") << " (" << j->getValue<std::string>("purpose")
                  << " to " << j->getValue<std::string>("recipient")
                  << (j->getValue<bool>("incremental") ? ", incremental" : "") << "): "
                  << (schedule.empty() ? "on demand only" : "schedule '" + schedule + "' (Europe/Paris)") << "\n";
        if (!j->getValue<std::string>("last_run_started").empty()) {
            std::cout << "    last scheduled run " << j->getValue<std::string>("last_run_started") << ": "
                      << j->getValue<std::string>("last_run_outcome") << "\n";
        }
        const auto next = j->getArray("next_runs");
        if (next->size() > 0) {
            std::cout << "    next runs:";
            for (std::size_t n = 0; n < next->size(); ++n) {
                std::cout << (n ? ", " : " ") << next->getElement<std::string>(static_cast<unsigned>(n));
            }
            std::cout << "\n";
        }
    }
}

void printInboxes(const Poco::JSON::Array& senders) {
    std::cout << "inbox, per sender:\n";
    for (std::size_t i = 0; i < senders.size(); ++i) {
        const auto s = senders.getObject(static_cast<unsigned>(i));
        const auto waiting = s->getValue<std::uint64_t>("awaiting_sink");
        std::cout << "  " << s->getValue<std::string>("peer") << ": last batch received "
                  << orNever(s->getValue<std::string>("last_received")) << "; "
                  << s->getValue<std::uint64_t>("handed_to_sink") << " handed to the sink, " << waiting
                  << " waiting for it";
        if (waiting > 0) {
            std::cout << " (oldest " << ago(s->getValue<std::int64_t>("oldest_awaiting_sink_age_seconds")) << ")";
        }
        std::cout << "\n";
        if (!s->getValue<std::string>("sink_error").empty()) {
            std::cout << "    sink error (retried): " << s->getValue<std::string>("sink_error") << "\n";
        }
    }
}

int status(const ParsedOptions& options) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    const auto report = exchange::gatewayStatus(*gateway, std::chrono::system_clock::now());
    bool deadLetters = false;
    if (report->has("outbox")) {
        const auto peers = report->getArray("outbox");
        for (std::size_t i = 0; i < peers->size(); ++i) {
            deadLetters |= peers->getObject(static_cast<unsigned>(i))->getValue<std::uint64_t>("dead_lettered") > 0;
        }
    }
    if (options.has("json")) {
        report->stringify(std::cout);
        std::cout << std::endl;
    } else {
        std::cout << report->getValue<std::string>("party") << " (" << report->getValue<std::string>("role")
                  << "), " << report->getValue<std::string>("time") << "\n"
                  << "state in " << report->getValue<std::string>("storage") << "\n";
        if (report->has("outbox")) {
            printOutboxes(*report->getArray("outbox"));
            printJobs(*report->getArray("jobs"));
        } else {
            printInboxes(*report->getArray("inbox"));
        }
    }
    return deadLetters ? kExitFailed : kExitOk;
}

}  // namespace

Command statusCommand() {
    CommandSpec spec;
    spec.name = "status";
    spec.summary = "show each peer's queue, last success and error, dead letters, and the next scheduled runs";
    spec.usage = "passerelle status --config FILE [--json]";
    spec.options = {configOption(), {"json", false, "print one JSON object (the admin listener's /status)", ""}};
    spec.details =
        "Read from the gateway's state, so it works whether 'passerelle run' is running or not.\n"
        "Exit 1 when a batch is dead-lettered (an operator must act), 0 otherwise.";
    return {spec, status};
}

Command outboxRequeueCommand() {
    CommandSpec spec;
    spec.name = "outbox requeue";
    spec.summary = "put a dead-lettered batch back in the outbox, to be sent at once";
    spec.usage = "passerelle outbox requeue --config FILE --batch ID";
    spec.options = {configOption(), {"batch", true, "the dead-lettered batch's id (passerelle status lists them)", "ID"}};
    spec.details =
        "The batch keeps its id, so the Region stores it at most once whatever happened before.\n"
        "Its age for the next dead letter counts from now. Recorded in the ledger.";
    return {spec, [](const ParsedOptions& options) {
                auto gateway = exchange::Gateway::open(options.value("config"));
                const std::string batchId = options.value("batch");
                exchange::requeueDeadLetter(*gateway, batchId);
                std::cout << "batch " << batchId << " is queued again; 'passerelle run' sends it now\n";
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
