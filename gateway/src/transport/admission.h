#pragma once
// Whom the exchange listener serves, decided in one place for every handler that
// serves a peer: a configured peer presenting its pinned certificate, with a
// body its route can take. The listener checks the body before any handler
// runs; each handler asks again and turns a refusal into its own answer,
// recorded where it records its other refusals (ledger, metrics).

#include <Poco/Net/HTTPServerRequest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "config/gateway_config.h"
#include "transport/http_error.h"
#include "transport/tls_context.h"
#include "transport/wire_error.h"

namespace passerelle::transport {

// What the headers say of a body against a route's limit; the body is not read.
enum class BodyCheck {
    Fits,
    NotExpected,     // the route takes no body (limit 0) and the request has one
    LengthRequired,  // the route takes a body: it must come with a Content-Length
    TooLarge,        // the Content-Length is above the limit (or negative)
};

BodyCheck checkBody(const Poco::Net::HTTPServerRequest& request, std::uint64_t maxBodyBytes);

// A certificate that is no configured peer's, or not the one pinned for it. Every
// handler answers it the same way: 403, this code, this message.
struct PeerRefusal {
    WireError code;       // UnknownParty, CertificateNotPinned
    std::string message;  // names the certificate and the configuration key
    HttpError error() const;
};

struct Admission {
    const config::PeerSettings* peer = nullptr;  // the configured peer, when admitted
    std::optional<PeerRefusal> peerRefusal;      // set when `peer` is not
    BodyCheck body = BodyCheck::Fits;
    // Both checks are made, so each handler keeps the order in which it refuses.
};

Admission admit(const config::GatewayConfig& config, const PeerIdentity& peer,
                const Poco::Net::HTTPServerRequest& request, std::uint64_t maxBodyBytes);

}  // namespace passerelle::transport
