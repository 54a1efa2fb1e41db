#include "transport/exchange_server.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <set>

#include "metrics/registry.h"
#include "transport/admission.h"
#include "transport/connection_engine.h"
#include "transport/http_error.h"
#include "transport/rate_limiter.h"
#include "transport/request_body.h"

namespace passerelle::transport {

namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

Poco::Logger& log() { return Poco::Logger::get("passerelle.exchange"); }

// The route label of a request whose path is served by no route: never the
// raw URI, which would give every scanner's guess a time series of its own.
constexpr const char* kUnmatchedRoute = "unmatched";

std::string statusClass(Status status) { return std::to_string(static_cast<int>(status) / 100) + "xx"; }

// Whole seconds, rounded up, at least 1: retrying after it succeeds.
std::string retryAfterSeconds(std::chrono::milliseconds wait) {
    const auto seconds = std::max<std::int64_t>(1, (wait.count() + 999) / 1000);
    return std::to_string(seconds);
}

// What every request of one listener shares; lives as long as the HTTPServer.
struct Dispatch {
    RouteTable routes;
    RateLimiter limiter;
    std::uint64_t ratePerMinute;
    std::uint64_t burst;
    metrics::Family<metrics::Counter>& requests;
    metrics::Family<metrics::Counter>& rateLimited;

    bool pathServed(const std::string& path) const {
        return std::any_of(routes.begin(), routes.end(), [&](const auto& r) { return r.first.path == path; });
    }

    std::string allowedMethods(const std::string& path) const {
        std::set<std::string> methods;
        for (const auto& [route, spec] : routes) {
            if (route.path == path) methods.insert(route.method);
        }
        std::string allow;
        for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
        return allow;
    }
};

// Counts a request once its answer is decided, whichever way the handler left.
class RequestCount {
public:
    RequestCount(Dispatch& dispatch, const Poco::Net::HTTPServerResponse& response, std::string route)
        : dispatch_(dispatch), response_(response), route_(std::move(route)) {}
    ~RequestCount() {
        try {
            dispatch_.requests.labels({route_, statusClass(response_.getStatus())}).inc();
        } catch (const std::exception& e) {
            log().error("cannot count a request: %s", std::string(e.what()));
        }
    }
    RequestCount(const RequestCount&) = delete;
    RequestCount& operator=(const RequestCount&) = delete;

private:
    Dispatch& dispatch_;
    const Poco::Net::HTTPServerResponse& response_;
    std::string route_;
};

class RoutedHandler final {
public:
    explicit RoutedHandler(Dispatch& dispatch) : dispatch_(dispatch) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        const std::string path = request.getURI().substr(0, request.getURI().find('?'));
        RequestCount count(dispatch_, response, dispatch_.pathServed(path) ? path : kUnmatchedRoute);
        try {
            const auto peer = peerIdentity(request);
            if (!peer) {
                throw HttpError(WireError::NoClientCertificate,
                                "a client certificate from the exchange CA is required");
            }
            checkFraming(request, path, *peer);
            checkRate(*peer, response);
            const RouteSpec& spec = route(request, path, response);
            checkBody(request, path, spec, *peer);
            spec.handler(request, response, *peer);
        } catch (const HttpError& e) {
            // A flood is not logged request by request: checkRate logs it now and then.
            if (e.error() != WireError::RateLimited) {
                log().warning("%s %s -> %d %s: %s", request.getMethod(), path, static_cast<int>(e.status()),
                              e.code(), std::string(e.what()));
            }
            if (!response.sent()) refuse(request, response, e.error(), e.what());
        } catch (const std::exception& e) {
            log().error("%s %s failed: %s", request.getMethod(), path, std::string(e.what()));
            if (!response.sent()) {
                refuse(request, response, WireError::InternalError,
                       "the gateway could not handle the request; its log says why");
            }
        }
    }

private:
    // A body comes with a Content-Length only. A Transfer-Encoding (chunked or
    // any other) could not be size-checked before it is read, and beside a
    // Content-Length it is how a request is smuggled past a proxy that frames it
    // the other way (RFC 9112 section 6.3). Checked before the rate and the route:
    // a message that cannot be framed is refused as such, and its connection closed.
    void checkFraming(const Poco::Net::HTTPServerRequest& request, const std::string& path,
                      const PeerIdentity& peer) {
        if (!request.has("Transfer-Encoding")) return;
        const HttpError refusal =
            request.has("Content-Length")
                ? HttpError(WireError::AmbiguousLength,
                            "a request may not carry both Content-Length and Transfer-Encoding "
                            "(RFC 9112 section 6.3)")
                : HttpError(WireError::TransferEncodingNotSupported,
                            "Transfer-Encoding is not supported: send the body with a Content-Length");
        if (const auto it = dispatch_.routes.find(Route{request.getMethod(), path}); it != dispatch_.routes.end()) {
            tell(it->second, peer, refusal, request.getMethod() + " " + path);
        }
        throw refusal;
    }

    static void tell(const RouteSpec& spec, const PeerIdentity& peer, const HttpError& refusal,
                     const std::string& route) {
        if (!spec.onRefused) return;
        try {
            spec.onRefused(peer, refusal);
        } catch (const std::exception& e) {
            log().error("cannot record the refusal of %s from %s: %s", route, peer.commonName,
                        std::string(e.what()));
        }
    }

    void checkRate(const PeerIdentity& peer, Poco::Net::HTTPServerResponse& response) {
        const auto decision = dispatch_.limiter.take(peer.commonName);
        if (decision.allowed) return;
        auto& limited = dispatch_.rateLimited.labels({peer.commonName});
        limited.inc();
        const auto refusedSoFar = static_cast<std::uint64_t>(limited.value());
        if (refusedSoFar % 100 == 1) {
            log().warning(
                "'%s' is over its rate limit: %s request(s) refused so far "
                "(passerelle_http_rate_limited_total)",
                peer.commonName, std::to_string(refusedSoFar));
        }
        const std::string retryAfter = retryAfterSeconds(decision.retryAfter);
        response.set("Retry-After", retryAfter);
        throw HttpError(WireError::RateLimited,
                        "'" + peer.commonName + "' may send " + std::to_string(dispatch_.ratePerMinute) +
                            " requests per minute, " + std::to_string(dispatch_.burst) +
                            " at once (http.rate_per_minute, http.burst); retry after " + retryAfter + " s");
    }

    const RouteSpec& route(const Poco::Net::HTTPServerRequest& request, const std::string& path,
                           Poco::Net::HTTPServerResponse& response) {
        const auto it = dispatch_.routes.find(Route{request.getMethod(), path});
        if (it != dispatch_.routes.end()) return it->second;
        const std::string what = request.getMethod() + " " + path + " is not part of the exchange API";
        if (!dispatch_.pathServed(path)) throw HttpError(WireError::NotFound, what);
        const std::string allow = dispatch_.allowedMethods(path);
        response.set("Allow", allow);
        throw HttpError(WireError::MethodNotAllowed, what + " (allowed: " + allow + ")");
    }

    // Decided on the headers alone: the body is not read here.
    static void checkBody(Poco::Net::HTTPServerRequest& request, const std::string& path,
                          const RouteSpec& spec, const PeerIdentity& peer) {
        const std::string route = request.getMethod() + " " + path;
        std::optional<HttpError> refusal;
        switch (transport::checkBody(request, spec.maxBodyBytes)) {
            case BodyCheck::Fits:
                break;
            case BodyCheck::NotExpected:
                refusal.emplace(WireError::RequestTooLarge, route + " takes no request body");
                break;
            case BodyCheck::TooLarge:
                refusal.emplace(WireError::RequestTooLarge,
                                "the body of " + route + " is limited to " +
                                    std::to_string(spec.maxBodyBytes) + " bytes; this one has " +
                                    std::to_string(request.getContentLength64()));
                break;
            case BodyCheck::LengthRequired:
                refusal.emplace(WireError::LengthRequired, route + " needs a Content-Length");
                break;
        }
        if (!refusal) return;
        tell(spec, peer, *refusal, route);
        throw *refusal;
    }

    // A request whose body was not read by a handler closes its connection:
    // what is left of the body must not be taken for the next request.
    static void refuse(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                       WireError error, const std::string& message) {
        const bool body = hasRequestBody(request);
        if (body) response.setKeepAlive(false);
        sendError(response, error, message);
        if (body) discardSmallBody(request);
    }

    Dispatch& dispatch_;
};

}  // namespace

ExchangeServer::ExchangeServer(const config::GatewayConfig& config, RouteTable routes) {
    for (const auto& [route, spec] : routes) served_.push_back(route);
    std::sort(served_.begin(), served_.end(), [](const Route& a, const Route& b) {
        return std::tie(a.path, a.method) < std::tie(b.path, b.method);
    });

    const config::HttpSettings& http = config.http;
    auto& registry = metrics::registry();
    auto dispatch = std::unique_ptr<Dispatch>(new Dispatch{
        std::move(routes),
        RateLimiter(static_cast<double>(http.ratePerMinute) / 60.0, static_cast<double>(http.burst)),
        http.ratePerMinute, http.burst,
        registry.counter("passerelle_http_requests_total",
                         "Requests to the exchange listener, by route template and status class",
                         {"route", "status"}),
        registry.counter("passerelle_http_rate_limited_total",
                         "Exchange requests refused with 429 for the peer's rate limit, by certificate CN",
                         {"peer"})});

    auto context = makeServerContext(config.tls);
    Poco::Net::SecureServerSocket socket(context);
    try {
        // SO_REUSEADDR for a quick restart, not SO_REUSEPORT: a port in use must be refused.
        socket.bind(Poco::Net::SocketAddress(config.listenHost, config.listenPort), true, false);
        socket.listen(static_cast<int>(std::min<std::uint64_t>(http.maxConnections, 4096)));
    } catch (const Poco::Exception& e) {
        throw ConfigError(config.file.string() + ": key 'gateway.listen': cannot listen on " +
                          config.listenHost + ":" + std::to_string(config.listenPort) + ": " +
                          e.displayText());
    }
    auto params = Poco::Net::HTTPServerParams::Ptr(new Poco::Net::HTTPServerParams);
    params->setKeepAlive(true);
    params->setSoftwareVersion("passerelle");
    ConnectionLimits limits;
    limits.workers = http.workers;
    limits.handshakeDeadline = std::chrono::seconds(http.handshakeSeconds);
    limits.timeout = std::chrono::seconds(http.timeoutSeconds);
    limits.maxConnections = http.maxConnections;
    limits.maxConnectionsPerAddress = http.maxConnectionsPerAddress;
    // The handler holds nothing per request: one serves every worker.
    std::shared_ptr<Dispatch> shared(std::move(dispatch));
    auto handler = std::make_shared<RoutedHandler>(*shared);
    engine_ = std::make_unique<ConnectionEngine>(
        std::move(socket), limits, params,
        [shared, handler](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
            handler->handleRequest(request, response);
        });
}

ExchangeServer::~ExchangeServer() { stop(); }

void ExchangeServer::start() { engine_->start(); }

void ExchangeServer::stop() { engine_->stop(); }

std::uint16_t ExchangeServer::port() const { return engine_->port(); }

std::vector<Route> ExchangeServer::routes() const { return served_; }

}  // namespace passerelle::transport
