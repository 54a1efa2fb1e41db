#include "daemon/daemon.h"

#include "audit/retention.h"
#include "common/errors.h"
#include "console/console_server.h"
#include "daemon/exchange_routes.h"
#include "daemon/gateway_status.h"
#include "federation/directory_refresh.h"
#include "party/background_loop.h"
#include "party/exchange_metrics.h"
#include "party/outbox_recovery.h"
#include "receive/batch_receiver.h"
#include "receive/sink_dispatcher.h"
#include "send/delivery_engine.h"
#include "send/extraction.h"
#include "send/job_scheduler.h"
#include "transport/admin_server.h"
#include "transport/exchange_server.h"

#include <Poco/Logger.h>

#include <memory>
#include <sstream>

namespace passerelle::daemon {

namespace {

using exchange::Gateway;

Poco::Logger& log() { return Poco::Logger::get("passerelle"); }

// The daemon's periodic duties, on their own loop: the ledger's time-based
// checkpoint (the entry-count one is made on append) and, once a day, retention.
class Housekeeping {
public:
    explicit Housekeeping(Gateway& gateway)
        : gateway_(gateway), loop_([this]() -> std::chrono::steady_clock::duration {
              run();
              return std::chrono::seconds(gateway_.config().ledger.checkpointIntervalSeconds);
          }) {}

    // Runs a round now and every checkpoint interval until a stop is requested.
    void untilStopped(const DaemonHooks& hooks) {
        loop_.start();
        while (!hooks.waitForStop(3600)) {
        }
        loop_.stop();
    }

private:
    void run() {
        try {
            const auto now = std::chrono::system_clock::now();
            if (now - lastPurge_ >= std::chrono::hours(24)) {
                lastPurge_ = now;
                const auto report = exchange::purgeExpired(gateway_, "gateway", now, false);
                for (const auto& why : report.skipped) log().warning("retention: %s", why);
            }
            if (gateway_.ledger().uncheckpointed() > 0) gateway_.ledger().checkpoint();
        } catch (const Error& e) {
            log().error("housekeeping failed (retried next round): %s", std::string(e.what()));
        }
    }

    Gateway& gateway_;
    std::chrono::system_clock::time_point lastPurge_{};
    exchange::BackgroundLoop loop_;
};

// An institution's copy of the federation's directory, when [directory] is set:
// fetched at start and every refresh_minutes. A failure leaves the version held in
// force and is retried at the next round.
class DirectoryKeeper {
public:
    explicit DirectoryKeeper(Gateway& gateway)
        : gateway_(gateway), loop_([this]() -> std::chrono::steady_clock::duration {
              run();
              return std::chrono::minutes(gateway_.config().directory->refreshMinutes);
          }) {}

    static std::unique_ptr<DirectoryKeeper> startFor(Gateway& gateway) {
        if (!gateway.config().directory) return nullptr;
        auto keeper = std::make_unique<DirectoryKeeper>(gateway);
        keeper->loop_.start();
        return keeper;
    }

private:
    void run() {
        const auto& settings = *gateway_.config().directory;
        try {
            const auto refresh = federation::refreshDirectory(gateway_.config(), gateway_.peers(), gateway_.ledger());
            if (refresh.adoption.changed) {
                log().information("directory version %s of %s adopted (sha256 %s)",
                                  std::to_string(refresh.adoption.version.version), settings.from,
                                  refresh.adoption.version.sha256);
            }
            for (const auto& file : refresh.installedCrls) {
                log().information("revocation list %s replaced by the directory's newer one", file.string());
            }
        } catch (const Error& e) {
            log().error("directory from %s not adopted (the version held stays in force; retried in %s min): %s",
                        settings.from, std::to_string(settings.refreshMinutes), std::string(e.what()));
        }
    }

    Gateway& gateway_;
    exchange::BackgroundLoop loop_;
};

// The DPO console on its own loopback listener, when [console] is configured.
std::unique_ptr<console::ConsoleServer> startConsole(Gateway& gateway, const DaemonHooks& hooks) {
    if (!gateway.config().console) return nullptr;
    auto server = std::make_unique<console::ConsoleServer>(gateway);
    server->start();
    hooks.say("DPO console on " + server->url() + " (token in " + server->tokenFile().string() + ")");
    return server;
}

// Monitoring: /metrics and /status on their own loopback listener, when [admin] is configured.
struct Monitoring {
    metrics::CallbackGauge queues;
    std::unique_ptr<transport::AdminServer> server;
};

Monitoring startMonitoring(Gateway& gateway, const DaemonHooks& hooks) {
    Monitoring m;
    m.queues = exchange::metrics::queueGauges(gateway);
    if (!gateway.config().admin) return m;
    m.server = std::make_unique<transport::AdminServer>(gateway.config(), [&gateway] {
        std::ostringstream out;
        exchange::gatewayStatus(gateway, std::chrono::system_clock::now())->stringify(out);
        return out.str();
    });
    m.server->start();
    hooks.say("admin listener on " + m.server->url() + " (/metrics, /status)");
    return m;
}

// What both roles serve beside their own work; stopped in reverse order.
struct SideListeners {
    std::unique_ptr<console::ConsoleServer> console;
    Monitoring monitoring;

    SideListeners(Gateway& gateway, const DaemonHooks& hooks)
        : console(startConsole(gateway, hooks)), monitoring(startMonitoring(gateway, hooks)) {}
    void stop() {
        if (console) console->stop();
        if (monitoring.server) monitoring.server->stop();
    }
};

void serveRegion(Gateway& gateway, const DaemonHooks& hooks) {
    const exchange::ReceivingParts parts = exchange::receivingParts(gateway);
    exchange::SinkDispatcher sink(parts);
    exchange::BatchReceiver receiver(parts, gateway.store().locks(), [&sink] { sink.notify(); });
    // A connection refused in the handshake never becomes a request and never
    // reaches the ledger: transport/tls_context.cpp counts it and logs it, sampled.
    transport::ExchangeServer server(gateway.config(), exchange::regionRoutes(gateway, receiver));
    exchange::recoverInterrupted(gateway);
    sink.start();
    sink.notify();  // batches stored before a restart go to the sink first
    server.start();
    SideListeners side(gateway, hooks);
    hooks.say("region gateway '" + gateway.config().party + "' listening on https://" + gateway.config().listenHost +
              ":" + std::to_string(server.port()) + " (exchange API, mutual TLS)");
    Housekeeping(gateway).untilStopped(hooks);
    log().information("stop requested: finishing requests in progress");
    server.stop();
    side.stop();
    sink.stop();
    hooks.say("region gateway stopped");
}

// An institution listens only when gateway.listen is set: for the Region's
// extraction requests.
std::unique_ptr<transport::ExchangeServer> startExtractionListener(Gateway& gateway,
                                                                   exchange::ExtractionService& extractions,
                                                                   const DaemonHooks& hooks) {
    if (!gateway.config().listens) return nullptr;
    auto server = std::make_unique<transport::ExchangeServer>(gateway.config(),
                                                              exchange::institutionRoutes(gateway, extractions));
    server->start();
    hooks.say("institution gateway '" + gateway.config().party + "' listening on https://" +
              gateway.config().listenHost + ":" + std::to_string(server->port()) +
              " (extraction requests, mutual TLS)");
    return server;
}

void serveInstitution(Gateway& gateway, const DaemonHooks& hooks, std::chrono::seconds outboxPoll) {
    const auto recovered = exchange::recoverInterrupted(gateway);
    if (recovered.discardedBatches > 0) {
        hooks.say(std::to_string(recovered.discardedBatches) +
                  " batch(es) being sealed when the gateway last stopped were discarded (never sent; see the "
                  "ledger's batch-discarded entries)");
    }
    const exchange::SendingParts parts = exchange::sendingParts(gateway);
    exchange::DeliveryEngine delivery(
        exchange::BatchDelivery(parts.config, parts.peers, parts.ledger, parts.outbox, parts.folders),
        parts.config.delivery, parts.outbox, outboxPoll);
    exchange::ExtractionService extractions(parts,
                                            store::ExtractionRequests(gateway.store().sharedDatabase()),
                                            [&delivery] { delivery.notify(); });
    exchange::JobScheduler scheduler(parts, gateway.store().locks(), [&delivery] { delivery.notify(); });
    delivery.start();
    const auto listener = startExtractionListener(gateway, extractions, hooks);
    scheduler.start();
    const auto directory = DirectoryKeeper::startFor(gateway);
    SideListeners side(gateway, hooks);
    hooks.say("institution gateway '" + gateway.config().party + "' running: " +
              std::to_string(gateway.config().delivery.workers) + " delivery worker(s), outbox checked every " +
              std::to_string(outboxPoll.count()) + " s");
    Housekeeping(gateway).untilStopped(hooks);
    log().information("stop requested: finishing deliveries and runs in progress");
    if (listener) listener->stop();
    scheduler.stop();
    delivery.stop();
    side.stop();
    hooks.say("institution gateway stopped");
}

}  // namespace

void serve(Gateway& gateway, const DaemonHooks& hooks, std::chrono::seconds outboxPoll) {
    if (gateway.config().role == config::Role::Region) {
        serveRegion(gateway, hooks);
    } else {
        serveInstitution(gateway, hooks, outboxPoll);
    }
}

}  // namespace passerelle::daemon
