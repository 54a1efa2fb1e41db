#pragma once
// The sending side of an exchange: one HTTPS request over mutual TLS to a
// peer's exchange listener, with the body streamed from disk.

#include "config/gateway_config.h"

#include <Poco/Net/Context.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace passerelle::transport {

struct HttpResult {
    int status = 0;
    std::string body;
};

class ExchangeClient {
public:
    // pinnedSha256: when not empty, the peer's certificate must have this SHA-256
    // fingerprint (lower-case hex); checked before any body byte is sent.
    ExchangeClient(const config::TlsSettings& tls, std::string baseUrl, std::string pinnedSha256 = {},
                   std::chrono::seconds timeout = std::chrono::seconds(60),
                   std::size_t maxResponseBytes = kMaxResponseBytes);

    // Every answer of the exchange API is a receipt or a small JSON document:
    // a peer (or whoever holds its address) cannot make this side read more.
    static constexpr std::size_t kMaxResponseBytes = 1024 * 1024;

    // Throws TransportError naming the peer and what failed (connection, TLS,
    // timeout, an answer larger than the cap: "response_too_large"); an HTTP
    // error status is returned, not thrown.
    HttpResult post(const std::string& path, const std::string& contentType, std::uint64_t contentLength,
                    const std::function<void(std::ostream&)>& writeBody) const;
    HttpResult get(const std::string& path) const;

    const std::string& baseUrl() const { return baseUrl_; }

private:
    Poco::Net::Context::Ptr context_;
    std::string baseUrl_;
    std::string pinnedSha256_;
    std::string host_;
    std::uint16_t port_ = 443;
    std::chrono::seconds timeout_;
    std::size_t maxResponseBytes_;
};

}  // namespace passerelle::transport
