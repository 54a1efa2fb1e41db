#pragma once
// Mutual TLS as every exchange uses it: TLS 1.2 at least, a client
// certificate required, peers accepted only from the configured CA. The peer
// is then authorised from its certificate by the exchange layer.

#include "config/gateway_config.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <functional>
#include <optional>
#include <string>

namespace passerelle::transport {

// Who is on the other end of a verified TLS connection.
struct PeerIdentity {
    std::string commonName;  // the party id
    std::string subject;
    std::string issuer;
    std::string sha256;  // the certificate's SHA-256 fingerprint, lower-case hex
};

// Called (on the connection's thread) for each connection refused during the
// TLS handshake: no client certificate, a certificate that does not verify.
// `subject` is the refused certificate's subject, empty when none was shown.
using HandshakeRefusalObserver =
    std::function<void(const std::string& subject, const std::string& issuer, const std::string& reason)>;
void onHandshakeRefused(HandshakeRefusalObserver observer);

// Installs, once per process, the handlers that refuse (and log) any
// certificate that does not verify, on both the server and the client side.
void installCertificatePolicy();

Poco::Net::Context::Ptr makeServerContext(const config::TlsSettings& tls);
Poco::Net::Context::Ptr makeClientContext(const config::TlsSettings& tls);

// The verified client certificate of the connection a request came on, if any.
std::optional<PeerIdentity> peerIdentity(Poco::Net::HTTPServerRequest& request);

}  // namespace passerelle::transport
