#include "transport/exchange_server.h"

#include "transport/http_error.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>

namespace passerelle::transport {

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.exchange"); }

class RoutedHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit RoutedHandler(const std::map<Route, RouteHandler>& routes) : routes_(routes) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        using Status = Poco::Net::HTTPResponse::HTTPStatus;
        const std::string path = request.getURI().substr(0, request.getURI().find('?'));
        try {
            auto peer = peerIdentity(request);
            if (!peer) {
                throw HttpError(Status::HTTP_UNAUTHORIZED, "no_client_certificate",
                                "a client certificate from the exchange CA is required");
            }
            auto it = routes_.find(Route{request.getMethod(), path});
            if (it == routes_.end()) {
                const bool pathKnown = std::any_of(routes_.begin(), routes_.end(),
                                                   [&](const auto& r) { return r.first.path == path; });
                throw HttpError(pathKnown ? Status::HTTP_METHOD_NOT_ALLOWED : Status::HTTP_NOT_FOUND,
                                pathKnown ? "method_not_allowed" : "not_found",
                                request.getMethod() + " " + path + " is not part of the exchange API");
            }
            it->second(request, response, *peer);
        } catch (const HttpError& e) {
            log().warning("%s %s -> %d %s: %s", request.getMethod(), path, static_cast<int>(e.status()), e.code(),
                          std::string(e.what()));
            if (!response.sent()) sendError(response, e.status(), e.code(), e.what());
        } catch (const std::exception& e) {
            log().error("%s %s failed: %s", request.getMethod(), path, std::string(e.what()));
            if (!response.sent()) {
                sendError(response, Status::HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                          "the gateway could not handle the request; its log says why");
            }
        }
    }

private:
    const std::map<Route, RouteHandler>& routes_;
};

class RoutedFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit RoutedFactory(std::map<Route, RouteHandler> routes) : routes_(std::move(routes)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new RoutedHandler(routes_);
    }

private:
    std::map<Route, RouteHandler> routes_;
};

}  // namespace

ExchangeServer::ExchangeServer(const config::GatewayConfig& config, std::map<Route, RouteHandler> routes) {
    auto context = makeServerContext(config.tls);
    Poco::Net::SecureServerSocket socket(context);
    try {
        socket.bind(Poco::Net::SocketAddress(config.listenHost, config.listenPort), true);
        socket.listen(64);
    } catch (const Poco::Exception& e) {
        throw ConfigError(config.file.string() + ": key 'gateway.listen': cannot listen on " + config.listenHost +
                          ":" + std::to_string(config.listenPort) + ": " + e.displayText());
    }
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    params->setMaxQueued(64);
    params->setTimeout(Poco::Timespan(60, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(10, 0));
    params->setServerName("passerelle");
    params->setSoftwareVersion("passerelle");
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RoutedFactory(std::move(routes)), socket, params);
}

ExchangeServer::~ExchangeServer() { stop(); }

void ExchangeServer::start() {
    server_->start();
    running_ = true;
}

void ExchangeServer::stop() {
    if (running_) {
        server_->stopAll(true);
        running_ = false;
    }
}

std::uint16_t ExchangeServer::port() const { return server_->port(); }

}  // namespace passerelle::transport
