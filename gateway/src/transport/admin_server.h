#pragma once
// The admin listener ([admin] listen, docs/openapi-admin.json): plain HTTP on
// the loopback interface for the operator's monitoring, apart from the
// exchange port. GET /metrics is the Prometheus scrape; GET /status the
// gateway's state as JSON. Nothing else: 404 or 405 (with Allow), and a
// request with a body is refused (413). It asks for no credential, so it
// answers only requests addressed to a loopback name (a web page that
// rebinds its own host name to 127.0.0.1 gets 403).
//
// Construct (binds the port), start(), stop(), like the other listeners.

#include <Poco/Net/HTTPServer.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/gateway_config.h"
#include "metrics/registry.h"

namespace passerelle::transport {

class AdminServer {
public:
    // The body of GET /status: one JSON object. Called on the request's
    // thread, once per request; an exception becomes a 500.
    using StatusSource = std::function<std::string()>;

    // Binds config.admin's host and port (port 0: a free one, see port()).
    // Throws ConfigError naming admin.listen when the configuration has no
    // [admin] section or the address cannot be bound. Starts no thread.
    AdminServer(const config::GatewayConfig& config, StatusSource status,
                const metrics::Registry& registry = metrics::registry());
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    void start();
    // Stops listening and closes the connections still open. Idempotent.
    void stop();
    // The bound port: the configured one, or the one the system chose for 0.
    std::uint16_t port() const;
    // "http://127.0.0.1:PORT"
    std::string url() const;

private:
    std::string host_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    bool running_ = false;
};

}  // namespace passerelle::transport
