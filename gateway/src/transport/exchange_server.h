#pragma once
// The exchange listener: HTTPS with mutual TLS, a few routes, every request
// tied to the verified certificate of the peer that sent it.
//
// Before a route's handler runs, the listener enforces what every route
// shares (docs/openapi.json describes the result):
//   - a client certificate (401 no_client_certificate);
//   - the per-peer rate limit, keyed by the certificate's CN: [http]
//     rate_per_minute and burst (429 rate_limited, with Retry-After);
//   - the route itself (404 not_found; 405 method_not_allowed, with Allow);
//   - no Transfer-Encoding (501 transfer_encoding_not_supported), and never
//     with a Content-Length (400 ambiguous_length: RFC 9112 section 6.3, the
//     shape of request smuggling); the connection is closed after either;
//   - the route's body limit: a Content-Length above it is 413
//     request_too_large; a route that takes a body needs a Content-Length
//     (411 length_required).
// Connections are held by a ConnectionEngine (connection_engine.h): a TLS
// handshake must end within [http] handshake_seconds; an address may hold
// max_connections_per_address connections, the listener max_connections; a
// request is answered by one of [http] workers threads, and an idle
// keep-alive connection holds none. A read or write waits at most
// timeout_seconds (Poco retries a TLS read once, so a client that stalls
// mid-request goes after one to two timeouts), and so does an idle
// keep-alive connection.
// Each request is counted in passerelle_http_requests_total{route,status},
// each refused for its rate in passerelle_http_rate_limited_total{peer}.

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "config/gateway_config.h"
#include "transport/http_error.h"
#include "transport/tls_context.h"

namespace passerelle::transport {

class ConnectionEngine;

using RouteHandler =
    std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&, const PeerIdentity&)>;

// Told of a request the listener refused for its body (411 or 413) before the
// route's handler could see it, so that the refusal is recorded where the
// handler would have recorded it (the ledger). Runs on the request's thread.
using RefusalObserver = std::function<void(const PeerIdentity&, const HttpError&)>;

struct Route {
    std::string method;
    std::string path;  // the template, as documented: "/v1/batches"
    bool operator<(const Route& other) const {
        return std::tie(method, path) < std::tie(other.method, other.path);
    }
    bool operator==(const Route& other) const = default;
};

struct RouteSpec {
    RouteHandler handler;
    // The largest body the route accepts, checked against Content-Length
    // before the handler runs. 0: no body at all (GET).
    std::uint64_t maxBodyBytes = 0;
    RefusalObserver onRefused;  // optional
};

using RouteTable = std::map<Route, RouteSpec>;

class ExchangeServer {
public:
    // Binds gateway.listen (throws ConfigError naming it when it cannot) and
    // reads [http]. Starts no thread.
    ExchangeServer(const config::GatewayConfig& config, RouteTable routes);
    ~ExchangeServer();
    ExchangeServer(const ExchangeServer&) = delete;
    ExchangeServer& operator=(const ExchangeServer&) = delete;

    void start();
    void stop();
    std::uint16_t port() const;
    // What is served, sorted by path then method.
    std::vector<Route> routes() const;

private:
    std::vector<Route> served_;
    std::unique_ptr<ConnectionEngine> engine_;  // owns the routes' dispatch
};

}  // namespace passerelle::transport
