#pragma once
// Mutual TLS as every exchange uses it: TLS 1.2 (ECDHE with AES-GCM or
// ChaCha20-Poly1305 only) or 1.3, no session resumption, a client certificate
// required, peers accepted only from the configured CA, not revoked by its
// CRLs (tls.crl) and holding one CN with a matching subjectAltName and the
// extended key usage of their role (certificate_policy.h). The peer is then
// authorised from its certificate by the exchange layer.

#include "config/gateway_config.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <optional>
#include <string>
#include <string_view>

namespace passerelle::transport {

// Who is on the other end of a verified TLS connection.
struct PeerIdentity {
    std::string commonName;  // the party id
    std::string subject;
    std::string issuer;
    std::string sha256;  // the certificate's SHA-256 fingerprint, lower-case hex
};

// Why a handshake failed, as counted in passerelle_tls_handshake_failures_total{reason}:
// a small fixed set, never text the client chose.
enum class HandshakeFailure {
    NoCertificate,         // no_certificate: the client showed none
    UntrustedCertificate,  // untrusted_certificate: not from the exchange CA, expired, bad signature...
    RevokedCertificate,    // revoked_certificate: listed by a CRL of tls.crl
    RevocationUnknown,     // revocation_unknown: no valid CRL for it (missing, or past its next update)
    CertificatePolicy,     // certificate_policy: CN / subjectAltName / extendedKeyUsage rules
    Protocol,              // protocol: not TLS, no common version or cipher, bad messages
    Aborted,               // aborted: the client went away or timed out mid-handshake
};
std::string_view handshakeFailureLabel(HandshakeFailure reason);

// Counts a failed or refused server-side handshake and logs it at a sampled
// rate (the first of each reason, then at most one line a minute per reason,
// saying how many were not logged). `failure` is the TLS library's message.
// Call it on the thread that ran the handshake: a certificate refused by the
// verification just before is reported with it. Nothing here writes the
// ledger: a client that did not authenticate leaves no permanent trace.
void noteHandshakeFailure(const std::string& failure);

// Installs, once per process, the handlers that refuse any certificate that
// does not verify, on both the server and the client side, and the handler
// that counts connections failing before any request.
void installCertificatePolicy();

// Both throw ConfigError naming the file and key when a file is missing, the
// private key is not mode 0600 (or stricter) and owned by this user, or a CRL
// of tls.crl cannot be used.
Poco::Net::Context::Ptr makeServerContext(const config::TlsSettings& tls);
Poco::Net::Context::Ptr makeClientContext(const config::TlsSettings& tls);

// Client side: why this thread's last handshake refused the server's
// certificate, if it did (once; the next call returns nothing).
std::optional<std::string> takeServerCertificateRefusal();

// The verified client certificate of the connection a request came on, if any.
std::optional<PeerIdentity> peerIdentity(Poco::Net::HTTPServerRequest& request);

}  // namespace passerelle::transport
