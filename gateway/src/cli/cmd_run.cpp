// passerelle run: serve in the role the configuration names.

#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "console/console_server.h"
#include "common/errors.h"
#include "exchange/delivery_engine.h"
#include "exchange/exchange_metrics.h"
#include "exchange/gateway_status.h"
#include "transport/admin_server.h"
#include "exchange/job_scheduler.h"
#include "exchange/outbox_recovery.h"
#include "exchange/batch_receiver.h"
#include "exchange/exchange_routes.h"
#include "exchange/extraction.h"
#include "exchange/gateway.h"
#include "exchange/retention.h"
#include "exchange/sink_dispatcher.h"
#include "transport/exchange_server.h"
#include "transport/http_error.h"
#include "transport/tls_context.h"

#include <Poco/Logger.h>

#include <iostream>
#include <sstream>

namespace passerelle::cli {

namespace {

// The daemon's periodic duties: the ledger's time-based checkpoint (the
// entry-count one is made on append) and, once a day, retention.
class Housekeeping {
public:
    explicit Housekeeping(exchange::Gateway& gateway) : gateway_(gateway) {}
    void run() {
        try {
            const auto now = std::chrono::system_clock::now();
            if (now - lastPurge_ >= std::chrono::hours(24)) {
                lastPurge_ = now;
                const auto report = exchange::purgeExpired(gateway_, "gateway", now, false);
                for (const auto& why : report.skipped) Poco::Logger::get("passerelle").warning("retention: %s", why);
            }
            if (gateway_.ledger().uncheckpointed() > 0) gateway_.ledger().checkpoint();
        } catch (const Error& e) {
            Poco::Logger::get("passerelle").error("housekeeping failed (retried next round): %s", std::string(e.what()));
        }
    }

private:
    exchange::Gateway& gateway_;
    std::chrono::system_clock::time_point lastPurge_{};
};

// The DPO console on its own loopback listener, when [console] is configured.
std::unique_ptr<console::ConsoleServer> startConsole(exchange::Gateway& gateway) {
    if (!gateway.config().console) return nullptr;
    auto server = std::make_unique<console::ConsoleServer>(gateway);
    server->start();
    std::cout << "passerelle: DPO console on " << server->url() << " (token in " << server->tokenFile().string()
              << ")" << std::endl;
    return server;
}

// Monitoring: /metrics and /status on their own loopback listener, when [admin] is configured.
struct Monitoring {
    metrics::CallbackGauge queues;
    std::unique_ptr<transport::AdminServer> server;
};

Monitoring startMonitoring(exchange::Gateway& gateway) {
    Monitoring m;
    m.queues = exchange::metrics::queueGauges(gateway);
    if (!gateway.config().admin) return m;
    m.server = std::make_unique<transport::AdminServer>(gateway.config(), [&gateway] {
        std::ostringstream out;
        exchange::gatewayStatus(gateway, std::chrono::system_clock::now())->stringify(out);
        return out.str();
    });
    m.server->start();
    std::cout << "passerelle: admin listener on " << m.server->url() << " (/metrics, /status)" << std::endl;
    return m;
}

int runRegion(exchange::Gateway& gateway, StopSignals& signals) {
    exchange::SinkDispatcher sink(gateway);
    exchange::BatchReceiver receiver(gateway, [&sink] { sink.notify(); });
    auto routes = exchange::regionRoutes(gateway, receiver);
    // A connection refused in the handshake never becomes a request and never
    // reaches the ledger: tls_context.cpp counts it and logs it, sampled.
    transport::ExchangeServer server(gateway.config(), std::move(routes));
    exchange::recoverInterrupted(gateway);
    sink.start();
    sink.notify();  // batches stored before a restart go to the sink first
    server.start();
    const auto dpoConsole = startConsole(gateway);
    Monitoring monitoring = startMonitoring(gateway);
    std::cout << "passerelle: region gateway '" << gateway.config().party << "' listening on https://"
              << gateway.config().listenHost << ":" << server.port() << " (exchange API, mutual TLS)" << std::endl;
    const int interval = static_cast<int>(gateway.config().ledger.checkpointIntervalSeconds);
    Housekeeping housekeeping(gateway);
    do {
        housekeeping.run();
    } while (!signals.waitForStop(interval));
    Poco::Logger::get("passerelle").information("stop requested: finishing requests in progress");
    server.stop();
    if (dpoConsole) dpoConsole->stop();
    if (monitoring.server) monitoring.server->stop();
    sink.stop();
    std::cout << "passerelle: region gateway stopped" << std::endl;
    return kExitOk;
}

// An institution listens only when gateway.listen is set: for the Region's
// extraction requests.
std::unique_ptr<transport::ExchangeServer> startExtractionListener(exchange::Gateway& gateway,
                                                                   exchange::ExtractionService& extractions) {
    if (!gateway.config().listens) return nullptr;
    auto routes = exchange::institutionRoutes(gateway, extractions);
    auto server = std::make_unique<transport::ExchangeServer>(gateway.config(), std::move(routes));
    server->start();
    std::cout << "passerelle: institution gateway '" << gateway.config().party << "' listening on https://"
              << gateway.config().listenHost << ":" << server->port() << " (extraction requests, mutual TLS)"
              << std::endl;
    return server;
}

int runInstitution(exchange::Gateway& gateway, StopSignals& signals, int pollSeconds) {
    const auto recovered = exchange::recoverInterrupted(gateway);
    if (recovered.discardedBatches > 0) {
        std::cout << "passerelle: " << recovered.discardedBatches
                  << " batch(es) being sealed when the gateway last stopped were discarded (never sent; see the "
                     "ledger's batch-discarded entries)"
                  << std::endl;
    }
    exchange::DeliveryEngine delivery(gateway, std::chrono::seconds(pollSeconds));
    exchange::ExtractionService extractions(gateway, [&delivery] { delivery.notify(); });
    exchange::JobScheduler scheduler(gateway, [&delivery] { delivery.notify(); });
    Housekeeping housekeeping(gateway);
    delivery.start();
    const auto listener = startExtractionListener(gateway, extractions);
    scheduler.start();
    const auto dpoConsole = startConsole(gateway);
    Monitoring monitoring = startMonitoring(gateway);
    std::cout << "passerelle: institution gateway '" << gateway.config().party << "' running: "
              << gateway.config().delivery.workers << " delivery worker(s), outbox checked every " << pollSeconds
              << " s" << std::endl;
    const int interval = static_cast<int>(gateway.config().ledger.checkpointIntervalSeconds);
    do {
        housekeeping.run();
    } while (!signals.waitForStop(interval));
    Poco::Logger::get("passerelle").information("stop requested: finishing deliveries and runs in progress");
    if (listener) listener->stop();
    scheduler.stop();
    delivery.stop();
    if (dpoConsole) dpoConsole->stop();
    if (monitoring.server) monitoring.server->stop();
    std::cout << "passerelle: institution gateway stopped" << std::endl;
    return kExitOk;
}

}  // namespace

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
                if (gateway->config().role == config::Role::Region) {
                    return runRegion(*gateway, signals);
                }
                int retry = 5;
                if (auto v = options.optional("retry-every")) {
                    try {
                        retry = std::stoi(*v);
                    } catch (const std::exception&) {
                        throw UsageError("--retry-every expects a number of seconds");
                    }
                    if (retry < 1) throw UsageError("--retry-every must be at least 1");
                }
                return runInstitution(*gateway, signals, retry);
            }};
}

}  // namespace passerelle::cli
