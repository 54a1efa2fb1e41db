#pragma once
// A Pégase-like JSON API for the tests: a real Poco HTTPS server on
// 127.0.0.1 with an ephemeral port and a certificate of the test's PKI. Each
// path answers from a script the test writes; every request is recorded.

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace passerelle::integration::rest {

struct SeenRequest {
    std::string method;
    std::string path;
    std::map<std::string, std::string> query;
    std::string authorization;
    std::string contentType;
    std::string body;
};

struct Reply {
    Reply(int status_, std::string body_, std::string contentType_ = "application/json",
          std::map<std::string, std::string> headers_ = {})
        : status(status_),
          body(std::move(body_)),
          contentType(std::move(contentType_)),
          headers(std::move(headers_)) {}
    int status = 200;
    std::string body;
    std::string contentType = "application/json";
    std::map<std::string, std::string> headers;
    std::chrono::milliseconds delay{0};  // before answering: longer than the client's timeout = a timeout
};

// call: 0 for the first request to this path, 1 for the second, ...
using Script = std::function<Reply(const SeenRequest& request, int call)>;

class FakeRestApi {
public:
    // certificate/key: the server's; ca: the CA its clients' certificates must
    // chain to when requireClientCertificate.
    FakeRestApi(const std::filesystem::path& certificate, const std::filesystem::path& key,
                const std::filesystem::path& ca, bool requireClientCertificate = false) {
        Poco::Net::Context::Params params;
        params.certificateFile = certificate.string();
        params.privateKeyFile = key.string();
        params.caLocation = ca.string();
        params.loadDefaultCAs = false;
        params.verificationMode =
            requireClientCertificate ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::SERVER_USE, params);
        context->enableSessionCache(false);
        context->enableExtendedCertificateVerification(false);
        Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 16, context);
        port_ = socket.address().port();
        auto* serverParams = new Poco::Net::HTTPServerParams;
        serverParams->setMaxThreads(4);
        serverParams->setKeepAlive(false);
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), threads_, socket, serverParams);
        server_->start();
    }
    // Waits for handlers still running (one sleeping through a scripted delay): they
    // use this object, and Poco's statics once the test program exits (ASan saw both).
    ~FakeRestApi() {
        server_->stopAll(true);
        threads_.joinAll();
    }

    void on(const std::string& path, Script script) {
        std::lock_guard lock(mutex_);
        scripts_[path] = std::move(script);
    }

    // https://localhost:<port><path>: the certificate names localhost.
    std::string url(const std::string& path) const {
        return "https://localhost:" + std::to_string(port_) + path;
    }

    std::vector<SeenRequest> requests(const std::string& path) const {
        std::lock_guard lock(mutex_);
        std::vector<SeenRequest> out;
        for (const SeenRequest& r : seen_) {
            if (r.path == path) out.push_back(r);
        }
        return out;
    }

private:
    Reply answer(const SeenRequest& request) {
        Script script;
        int call = 0;
        {
            std::lock_guard lock(mutex_);
            seen_.push_back(request);
            call = calls_[request.path]++;
            auto it = scripts_.find(request.path);
            if (it == scripts_.end()) return Reply{404, R"({"error":"no such path in the test"})"};
            script = it->second;
        }
        return script(request, call);
    }

    class Handler final : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(FakeRestApi& api) : api_(api) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            SeenRequest seen;
            const Poco::URI uri(request.getURI());
            seen.method = request.getMethod();
            seen.path = uri.getPath();
            for (const auto& [name, value] : uri.getQueryParameters()) seen.query[name] = value;
            seen.authorization = request.get("Authorization", "");
            seen.contentType = request.getContentType();
            Poco::StreamCopier::copyToString(request.stream(), seen.body);
            const Reply reply = api_.answer(seen);
            if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
            response.setContentType(reply.contentType);
            for (const auto& [name, value] : reply.headers) response.set(name, value);
            response.sendBuffer(reply.body.data(), reply.body.size());
        }

    private:
        FakeRestApi& api_;
    };

    class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(FakeRestApi& api) : api_(api) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(api_);
        }

    private:
        FakeRestApi& api_;
    };

    mutable std::mutex mutex_;
    std::map<std::string, Script> scripts_;
    std::map<std::string, int> calls_;
    std::vector<SeenRequest> seen_;
    Poco::ThreadPool threads_{1, 8};  // the server's own, so the destructor can join them
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    int port_ = 0;
};

// A script that answers the same reply to every call.
inline Script always(Reply reply) {
    return [reply](const SeenRequest&, int) { return reply; };
}

}  // namespace passerelle::integration::rest
