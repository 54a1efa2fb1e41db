#include "daemon/exchange_routes.h"

#include <Poco/JSON/Object.h>

#include <sstream>

#include "federation/directory_file.h"
#include "transport/http_error.h"

namespace passerelle::exchange {

namespace {

transport::RouteSpec health(Gateway& gateway) {
    return {[&gateway](auto&, auto& response, const auto&) {
                Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
                body.set("status", "ok");
                body.set("party", gateway.config().party);
                std::ostringstream out;
                body.stringify(out);
                transport::sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, out.str());
            },
            0, nullptr};
}

// The file is read for each request: a publication (another process, `directory
// publish`) replaces it whole, so a request sees one version or the next.
transport::RouteSpec directory(Gateway& gateway) {
    return {[&gateway](auto&, auto& response, const auto&) {
                const auto& settings = gateway.config().directory;
                const auto body = settings ? federation::DirectoryFile(settings->file).read() : std::nullopt;
                if (!body) {
                    transport::sendError(response, transport::WireError::NoDirectory,
                                         "no directory has been published yet (passerelle directory publish)");
                    return;
                }
                transport::sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, body->body("directory"));
            },
            0, nullptr};
}

}  // namespace

transport::RouteTable regionRoutes(Gateway& gateway, BatchReceiver& receiver) {
    transport::RouteTable routes;
    routes[{"POST", "/v1/batches"}] = {
        [&receiver](auto& request, auto& response, const auto& peer) {
            receiver.handle(request, response, peer);
        },
        gateway.config().maxBatchBytes,
        // The receiver's own refusals are ledger entries: so is one made for it by the listener.
        [&gateway](const transport::PeerIdentity& peer, const transport::HttpError& refusal) {
            gateway.ledger().append(ledger::LedgerEntry::fromPeer(ledger::Operation::BatchRefused,
                                                                  ledger::Outcome::Refused, peer.subject,
                                                                  peer.commonName, refusal.what()));
        }};
    routes[{"GET", "/v1/directory"}] = directory(gateway);
    routes[{"GET", "/v1/health"}] = health(gateway);
    return routes;
}

transport::RouteTable institutionRoutes(Gateway& gateway, ExtractionService& extractions) {
    transport::RouteTable routes;
    routes[{"POST", "/v1/extractions"}] = {
        [&extractions](auto& request, auto& response, const auto& peer) {
            extractions.handle(request, response, peer);
        },
        gateway.config().http.maxRequestBytes,
        // Every extraction request is in the ledger, served or denied: one the listener denies too.
        [&gateway](const transport::PeerIdentity& peer, const transport::HttpError& refusal) {
            gateway.ledger().append(ledger::LedgerEntry::fromPeer(
                ledger::Operation::ExtractionRequested, ledger::Outcome::Denied, peer.subject,
                peer.commonName, refusal.code() + ": " + refusal.what()));
        }};
    routes[{"GET", "/v1/health"}] = health(gateway);
    return routes;
}

}  // namespace passerelle::exchange
