#include "transport/admin_server.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <stdexcept>

#include "common/errors.h"
#include "metrics/exposition.h"
#include "transport/http_error.h"
#include "transport/request_body.h"

namespace passerelle::transport {

namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

Poco::Logger& log() { return Poco::Logger::get("passerelle.admin"); }

struct AdminRoutes {
    AdminServer::StatusSource status;
    const metrics::Registry& registry;
};

class AdminHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit AdminHandler(const AdminRoutes& routes) : routes_(routes) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        const std::string path = request.getURI().substr(0, request.getURI().find('?'));
        try {
            serve(request, response, path);
        } catch (const HttpError& e) {
            log().warning("%s %s -> %d %s", request.getMethod(), path, static_cast<int>(e.status()),
                          e.code());
            refuse(request, response, e.error(), e.what());
        } catch (const std::exception& e) {
            log().error("%s %s failed: %s", request.getMethod(), path, std::string(e.what()));
            refuse(request, response, WireError::InternalError,
                   "the gateway could not answer; its log says why");
        }
    }

private:
    void serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
               const std::string& path) {
        if (!hostIsLoopback(request)) {
            throw HttpError(
                WireError::ForbiddenHost,
                "the admin listener answers only requests addressed to 127.0.0.1, [::1] or localhost");
        }
        if (path != "/metrics" && path != "/status") {
            throw HttpError(WireError::NotFound, request.getMethod() + " " + path +
                                                     " is not served here: GET /metrics or GET /status");
        }
        if (request.getMethod() != Poco::Net::HTTPRequest::HTTP_GET) {
            response.set("Allow", "GET");
            throw HttpError(WireError::MethodNotAllowed,
                            request.getMethod() + " " + path + " is not served here (allowed: GET)");
        }
        if (hasRequestBody(request)) {
            throw HttpError(WireError::RequestTooLarge, "GET " + path + " takes no request body");
        }
        if (path == "/metrics") {
            const std::string body = routes_.registry.render();
            response.setStatusAndReason(Status::HTTP_OK);
            response.setContentType(std::string(metrics::kExpositionContentType));
            response.setContentLength(static_cast<std::streamsize>(body.size()));
            response.send() << body;
        } else {
            sendJson(response, Status::HTTP_OK, routes_.status());
        }
    }

    // A body left unread must not be taken for the next request: the connection closes.
    static void refuse(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                       WireError error, const std::string& message) {
        if (response.sent()) return;
        const bool body = hasRequestBody(request);
        if (body) response.setKeepAlive(false);
        sendError(response, error, message);
        if (body) discardSmallBody(request);
    }

    const AdminRoutes& routes_;
};

class AdminFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit AdminFactory(AdminRoutes routes) : routes_(std::move(routes)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new AdminHandler(routes_);
    }

private:
    AdminRoutes routes_;
};

}  // namespace

AdminServer::AdminServer(const config::GatewayConfig& config, StatusSource status,
                         const metrics::Registry& registry) {
    if (!config.admin) {
        throw ConfigError(config.file.string() +
                          ": key 'admin.listen': the admin listener is not configured");
    }
    if (!status) throw std::invalid_argument("AdminServer: a status source is needed");
    const config::AdminSettings& settings = *config.admin;
    host_ = settings.listenHost;
    Poco::Net::ServerSocket socket;
    try {
        // SO_REUSEADDR for a quick restart, not SO_REUSEPORT: a port in use must be refused.
        socket.bind(Poco::Net::SocketAddress(settings.listenHost, settings.listenPort), true, false);
        socket.listen(16);
    } catch (const Poco::Exception& e) {
        throw ConfigError(config.file.string() + ": key 'admin.listen': cannot listen on " +
                          settings.listenHost + ":" + std::to_string(settings.listenPort) + ": " +
                          e.displayText());
    }
    // A scrape every few seconds and an operator now and then: two threads.
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(2);
    params->setMaxQueued(16);
    params->setTimeout(Poco::Timespan(10, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(10, 0));
    params->setServerName("passerelle-admin");
    params->setSoftwareVersion("passerelle");
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new AdminFactory(AdminRoutes{std::move(status), registry}), socket, params);
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
    server_->start();
    running_ = true;
}

void AdminServer::stop() {
    if (running_) {
        server_->stopAll(true);
        running_ = false;
    }
}

std::uint16_t AdminServer::port() const { return server_->port(); }

std::string AdminServer::url() const {
    const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    return "http://" + host + ":" + std::to_string(port());
}

}  // namespace passerelle::transport
