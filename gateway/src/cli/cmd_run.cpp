// passerelle run: serve in the role the configuration names.

#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "console/console_server.h"
#include "common/errors.h"
#include "exchange/batch_delivery.h"
#include "exchange/batch_receiver.h"
#include "exchange/gateway.h"
#include "exchange/retention.h"
#include "exchange/sink_dispatcher.h"
#include "transport/exchange_server.h"
#include "transport/http_error.h"
#include "transport/tls_context.h"

#include <Poco/Logger.h>

#include <iostream>

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

int runRegion(exchange::Gateway& gateway, StopSignals& signals) {
    exchange::SinkDispatcher sink(gateway);
    exchange::BatchReceiver receiver(gateway, [&sink] { sink.notify(); });
    std::map<transport::Route, transport::RouteHandler> routes;
    routes[{"POST", "/v1/batches"}] = [&receiver](auto& request, auto& response, const auto& peer) {
        receiver.handle(request, response, peer);
    };
    routes[{"GET", "/v1/health"}] = [&gateway](auto&, auto& response, const auto&) {
        transport::sendJson(response, Poco::Net::HTTPResponse::HTTP_OK,
                            "{\"status\":\"ok\",\"party\":\"" + gateway.config().party + "\"}");
    };
    // A connection refused in the handshake never becomes a request: the ledger hears of it here.
    transport::onHandshakeRefused([&gateway](const std::string& subject, const std::string& issuer,
                                             const std::string& reason) {
        ledger::LedgerEntry entry;
        entry.actor = subject.empty() ? "unauthenticated client" : subject;
        entry.operation = "connection-refused";
        entry.outcome = "refused";
        entry.reason = (issuer.empty() ? "" : "issuer " + issuer + ": ") + reason;
        try {
            gateway.ledger().append(entry);
        } catch (const Error& e) {
            Poco::Logger::get("passerelle").error("cannot record a refused connection: %s", std::string(e.what()));
        }
    });
    transport::ExchangeServer server(gateway.config(), std::move(routes));
    sink.start();
    sink.notify();  // batches stored before a restart go to the sink first
    server.start();
    const auto dpoConsole = startConsole(gateway);
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
    transport::onHandshakeRefused(nullptr);
    sink.stop();
    std::cout << "passerelle: region gateway stopped" << std::endl;
    return kExitOk;
}

int runInstitution(exchange::Gateway& gateway, StopSignals& signals, int retrySeconds) {
    exchange::BatchDelivery delivery(gateway);
    Housekeeping housekeeping(gateway);
    const auto dpoConsole = startConsole(gateway);
    std::cout << "passerelle: institution gateway '" << gateway.config().party
              << "' running: delivering its outbox every " << retrySeconds << " s" << std::endl;
    do {
        for (const auto& [party, peer] : gateway.config().peers) {
            delivery.deliverPending(party, "gateway");
        }
        housekeeping.run();
    } while (!signals.waitForStop(retrySeconds));
    if (dpoConsole) dpoConsole->stop();
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
                    {"retry-every", true, "institution: seconds between outbox delivery rounds (default 30)",
                     "SECONDS"}};
    spec.details =
        "The Region's gateway listens on gateway.listen for batches over mutual TLS, stores each one,\n"
        "answers with a signed receipt and hands the records to its sink plugin. An institution's\n"
        "gateway retries every batch still waiting in its outbox. Stops cleanly on SIGTERM or Ctrl-C.\n"
        "Both sign ledger checkpoints every [ledger] checkpoint_interval_seconds when entries are\n"
        "pending, purge what has outlived its retention once a day, and serve the DPO console when\n"
        "[console] is configured (docs/console.md).";
    return {spec, [](const ParsedOptions& options) {
                StopSignals signals;
                auto gateway = exchange::Gateway::open(options.value("config"));
                if (gateway->config().role == config::Role::Region) {
                    return runRegion(*gateway, signals);
                }
                int retry = 30;
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
