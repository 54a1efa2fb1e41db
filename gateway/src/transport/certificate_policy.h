#pragma once
// What a peer's certificate must say beyond chaining to the exchange CA, so
// that "who the peer is" has one answer: exactly one CN (the party id), a
// subjectAltName DNS or URI entry equal to that CN, and the extended key usage
// of the role it plays (clientAuth for a client, serverAuth for a server).
// Checked during the handshake (tls_context.cpp), before any route runs.

#include <openssl/x509.h>

#include <optional>
#include <string>

namespace passerelle::transport {

// The role the peer plays in the TLS connection.
enum class PeerRole { Client, Server };

// Empty when the certificate may be a peer's in that role; otherwise which rule
// it breaks. The text names the rule, never what the certificate says.
std::optional<std::string> certificatePolicyViolation(X509* certificate, PeerRole role);

}  // namespace passerelle::transport
