#include "console/console_server.h"
#include "transport/request_body.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <sodium.h>

#include <chrono>

#include "common/errors.h"
#include "console/assets.h"

namespace passerelle::console {

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

const std::string kSessionCookie = "passerelle_console";
const std::string kAssetsPrefix = "/assets/";

Poco::Logger& log() { return Poco::Logger::get("passerelle.console"); }

// Every answer: nothing from elsewhere, no framing, no sniffing, no referrer,
// nothing cached (the views show audit data).
void addSecurityHeaders(HTTPServerResponse& response) {
    response.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "no-referrer");
    response.set("Cache-Control", "no-store");
    response.set("X-Frame-Options", "DENY");
}

void send(HTTPServerResponse& response, const Reply& reply) {
    addSecurityHeaders(response);
    for (const auto& [name, value] : reply.headers) response.add(name, value);
    response.setStatusAndReason(reply.status);
    response.setContentType(reply.contentType);
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    response.send() << reply.body;
}

Reply assetReply(std::string_view name) {
    const Asset* asset = findAsset(name);
    if (asset == nullptr) {
        throw ConsoleError(Status::HTTP_NOT_FOUND, "introuvable", "Cette page n'existe pas.");
    }
    return Reply{Status::HTTP_OK, std::string(asset->contentType), std::string(asset->body), {}};
}

ConsoleError foreignOrigin() {
    return ConsoleError(Status::HTTP_FORBIDDEN, "origine_refusee",
                        "Requête refusée : elle ne vient pas d'une page de la console.");
}

ConsoleError forgedRequest() {
    return ConsoleError(Status::HTTP_FORBIDDEN, "jeton_csrf",
                        "Requête refusée : son jeton anti-falsification manque ou n'est pas celui de votre "
                        "session. Rechargez la page.");
}

// Where the page's anti-forgery token goes in index.html (the <meta> the scripts
// read, the hidden field of the logout form).
constexpr std::string_view kCsrfPlaceholder = "{{csrf}}";

Reply pageWithCsrfToken(const std::string& csrfToken) {
    Reply reply = assetReply("index.html");
    for (auto at = reply.body.find(kCsrfPlaceholder); at != std::string::npos;
         at = reply.body.find(kCsrfPlaceholder, at + csrfToken.size())) {
        reply.body.replace(at, kCsrfPlaceholder.size(), csrfToken);
    }
    return reply;
}

// The token a state-changing request carries: the X-CSRF-Token header (the
// page's scripts), else the csrf field of a form body (the logout button).
std::string csrfTokenOf(const HTTPServerRequest& request, const std::string& body) {
    if (request.has("X-CSRF-Token")) return request.get("X-CSRF-Token");
    if (request.getContentType().starts_with("application/x-www-form-urlencoded")) {
        const auto form = decodeForm(body);
        if (const auto it = form.find("csrf"); it != form.end()) return it->second;
    }
    return {};
}

bool sameSecret(const std::string& a, const std::string& b) {
    return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// One request: checks, routes, answers, and writes one access line that holds
// the method, the path and the status only (no query, no body, no cookie).
class ConsoleRequestHandler final : public Poco::Net::HTTPRequestHandler {
public:
    ConsoleRequestHandler(ConsoleApi& api, SessionRegistry& sessions, const AccessToken& token)
        : api_(api), sessions_(sessions), token_(token) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        const auto started = std::chrono::steady_clock::now();
        const std::string path = request.getURI().substr(0, request.getURI().find_first_of("?#"));
        Reply reply;
        try {
            reply = route(request, path);
        } catch (const ConsoleError& e) {
            reply = errorReply(e);
        } catch (const std::exception& e) {
            log().error("%s %s failed: %s", request.getMethod(), path, std::string(e.what()));
            reply = errorReply(
                ConsoleError(Status::HTTP_INTERNAL_SERVER_ERROR, "erreur_interne",
                             "La passerelle n'a pas pu répondre ; son journal en donne la raison."));
        }
        send(response, reply);
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        log().information("%s %s -> %d (%d ms)", request.getMethod(), path, static_cast<int>(reply.status),
                          static_cast<int>(ms.count()));
    }

private:
    Reply route(HTTPServerRequest& request, const std::string& path) {
        // A page from a DNS name rebound to 127.0.0.1 would carry that name here.
        if (!transport::hostIsLoopback(request)) {
            throw ConsoleError(Status::HTTP_MISDIRECTED_REQUEST, "hote_refuse",
                               "La console ne répond qu'aux adresses 127.0.0.1, [::1] et localhost.");
        }
        const std::string& method = request.getMethod();
        if (path == "/login" && method == "GET") return assetReply("login.html");
        if (path == "/login" && method == "POST") return login(request);
        if (path.starts_with(kAssetsPrefix) && method == "GET")
            return assetReply(path.substr(kAssetsPrefix.size()));
        const bool bearer = bearerToken(request).has_value();
        // Read even when refused: bytes left unread would be taken for the next request on the connection.
        std::string body;
        if (method == "POST") body = readBody(request);
        const auto caller = authenticated(request);
        if (!caller) return refuseUnauthenticated(path);
        // A script with the token (bearer) needs none of this: no browser sends it on its own.
        if (method == "POST" && !bearer) {
            if (!originIsSelf(request)) throw foreignOrigin();
            if (!sameSecret(csrfTokenOf(request, body), caller->csrfToken)) throw forgedRequest();
        }
        if (path == "/logout" && method == "POST") return logout(request);
        if (path == "/" && method == "GET") return pageWithCsrfToken(caller->csrfToken);
        if (path.starts_with("/api/")) return api_.handle(apiRequest(request, path, std::move(body)));
        throw ConsoleError(Status::HTTP_NOT_FOUND, "introuvable", "Cette page n'existe pas.");
    }

    struct Caller {
        std::string csrfToken;  // the session's; empty for a bearer
    };

    std::optional<Caller> authenticated(const HTTPServerRequest& request) {
        if (const auto token = bearerToken(request)) {
            if (token_.matches(*token)) return Caller{};
            return std::nullopt;
        }
        const auto id = cookie(request, kSessionCookie);
        if (!id) return std::nullopt;
        if (auto csrf = sessions_.touch(*id)) return Caller{std::move(*csrf)};
        return std::nullopt;
    }

    static Reply refuseUnauthenticated(const std::string& path) {
        if (!path.starts_with("/api/")) return redirectReply("/login");
        return errorReply(ConsoleError(Status::HTTP_UNAUTHORIZED, "authentification_requise",
                                       "Connectez-vous à la console avec son jeton d'accès."));
    }

    // The login form: the token trades for a session cookie the page's scripts cannot read.
    Reply login(HTTPServerRequest& request) {
        if (!originIsSelf(request)) throw foreignOrigin();
        const auto form = decodeForm(readBody(request));
        const auto token = form.find("token");
        if (token == form.end() || !token_.matches(token->second)) {
            log().warning("console login refused: wrong token");
            return redirectReply("/login?erreur=jeton");
        }
        Reply reply = redirectReply("/");
        reply.headers.emplace_back("Set-Cookie",
                                   kSessionCookie + "=" + sessions_.open().id +
                                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                       std::to_string(SessionRegistry::kIdleLimit.count() * 60));
        return reply;
    }

    Reply logout(const HTTPServerRequest& request) {
        if (const auto id = cookie(request, kSessionCookie)) sessions_.close(*id);
        Reply reply = redirectReply("/login");
        reply.headers.emplace_back("Set-Cookie",
                                   kSessionCookie + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        return reply;
    }

    static ApiRequest apiRequest(const HTTPServerRequest& request, const std::string& path, std::string body) {
        ApiRequest out;
        out.method = request.getMethod();
        out.path = path;
        const auto q = request.getURI().find('?');
        if (q != std::string::npos) out.query = decodeForm(request.getURI().substr(q + 1));
        out.body = std::move(body);
        return out;
    }

    ConsoleApi& api_;
    SessionRegistry& sessions_;
    const AccessToken& token_;
};

class ConsoleHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    ConsoleHandlerFactory(ConsoleApi& api, SessionRegistry& sessions, const AccessToken& token)
        : api_(api), sessions_(sessions), token_(token) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
        return new ConsoleRequestHandler(api_, sessions_, token_);
    }

private:
    ConsoleApi& api_;
    SessionRegistry& sessions_;
    const AccessToken& token_;
};

const config::ConsoleSettings& consoleSettings(const config::GatewayConfig& config) {
    if (!config.console) {
        throw ConfigError(
            config.file.string() +
            ": key 'console.listen': no [console] section; add one with listen = 127.0.0.1:PORT "
            "and token_file = FILE to use the DPO console (docs/console.md)");
    }
    return *config.console;
}

}  // namespace

ConsoleServer::ConsoleServer(exchange::Gateway& gateway) {
    const auto& config = gateway.config();
    const auto& settings = consoleSettings(config);
    tokenFile_ = settings.tokenFile;
    host_ = settings.listenHost;
    token_ = std::make_unique<AccessToken>(AccessToken::loadOrCreate(settings.tokenFile, config.file));
    api_ = std::make_unique<ConsoleApi>(gateway);
    sessions_ = std::make_unique<SessionRegistry>(std::chrono::hours(settings.sessionHours));
    Poco::Net::ServerSocket socket;
    try {
        socket.bind(Poco::Net::SocketAddress(settings.listenHost, settings.listenPort), true);
        socket.listen(16);
    } catch (const Poco::Exception& e) {
        throw ConfigError(config.file.string() + ": key 'console.listen': cannot listen on " +
                          settings.listenHost + ":" + std::to_string(settings.listenPort) + ": " +
                          e.displayText());
    }
    // A few DPOs at a time: a small pool is plenty.
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    params->setMaxQueued(16);
    params->setTimeout(Poco::Timespan(30, 0));
    params->setKeepAlive(true);
    params->setServerName("passerelle-console");
    server_ = std::make_unique<Poco::Net::HTTPServer>(new ConsoleHandlerFactory(*api_, *sessions_, *token_),
                                                      socket, params);
}

ConsoleServer::~ConsoleServer() { stop(); }

void ConsoleServer::start() {
    server_->start();
    running_ = true;
}

void ConsoleServer::stop() {
    if (running_) {
        server_->stopAll(true);
        running_ = false;
    }
}

std::uint16_t ConsoleServer::port() const { return server_->port(); }

std::string ConsoleServer::url() const {
    const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    return "http://" + host + ":" + std::to_string(port()) + "/";
}

}  // namespace passerelle::console
