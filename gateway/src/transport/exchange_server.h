#pragma once
// The exchange listener: HTTPS with mutual TLS, a few routes, every request
// tied to the verified certificate of the peer that sent it.

#include "config/gateway_config.h"
#include "transport/tls_context.h"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace passerelle::transport {

using RouteHandler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&,
                                        const PeerIdentity&)>;

struct Route {
    std::string method;
    std::string path;
    bool operator<(const Route& other) const {
        return std::tie(method, path) < std::tie(other.method, other.path);
    }
};

class ExchangeServer {
public:
    ExchangeServer(const config::GatewayConfig& config, std::map<Route, RouteHandler> routes);
    ~ExchangeServer();
    ExchangeServer(const ExchangeServer&) = delete;
    ExchangeServer& operator=(const ExchangeServer&) = delete;

    void start();
    void stop();
    std::uint16_t port() const;

private:
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    bool running_ = false;
};

}  // namespace passerelle::transport
