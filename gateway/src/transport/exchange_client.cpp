#include "transport/exchange_client.h"

#include "common/encoding.h"
#include "common/errors.h"
#include "transport/tls_context.h"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/URI.h>

namespace passerelle::transport {

ExchangeClient::ExchangeClient(const config::TlsSettings& tls, std::string baseUrl, std::string pinnedSha256,
                               std::chrono::seconds timeout, std::size_t maxResponseBytes)
    : context_(makeClientContext(tls)),
      baseUrl_(std::move(baseUrl)),
      pinnedSha256_(std::move(pinnedSha256)),
      timeout_(timeout),
      maxResponseBytes_(maxResponseBytes) {
    try {
        Poco::URI uri(baseUrl_);
        if (uri.getScheme() != "https") {
            throw TransportError("peer URL " + baseUrl_ + " is not https://");
        }
        host_ = uri.getHost();
        port_ = uri.getPort();
    } catch (const Poco::Exception& e) {
        throw TransportError("peer URL " + baseUrl_ + " is not a valid URL: " + e.displayText());
    }
}

namespace {

// `fn` sets `established` once the TLS handshake is done: a TLS error after it is
// a connection cut mid-exchange, not a certificate problem.
template <typename Fn>
HttpResult guarded(const std::string& url, Fn&& fn) {
    bool established = false;
    try {
        return fn(established);
    } catch (const Poco::Net::SSLException& e) {
        if (established) {
            throw TransportError("the connection to " + url + " was cut during the exchange (" + e.displayText() +
                                 "); the batch stays queued and is sent again");
        }
        if (const auto refusal = takeServerCertificateRefusal()) {
            throw TransportError("TLS with " + url + " failed: its certificate was refused: " + *refusal);
        }
        throw TransportError("TLS with " + url + " failed: " + e.displayText() +
                             " (check that both sides' certificates come from the exchange CA)");
    } catch (const Poco::TimeoutException& e) {
        throw TransportError("no answer from " + url + " in time: " + e.displayText());
    } catch (const Poco::Net::ConnectionRefusedException& e) {
        throw TransportError("cannot connect to " + url + ": connection refused (is the peer's gateway running?)");
    } catch (const Poco::Exception& e) {
        throw TransportError("exchange with " + url + " failed: " + e.displayText());
    } catch (const std::ios_base::failure& e) {
        throw TransportError("exchange with " + url + " failed while streaming: " + e.what());
    }
}

// The pin is checked once the handshake is done and before the body leaves:
// only the request line and headers (path, length) reach an unpinned server.
void checkPin(Poco::Net::HTTPSClientSession& session, const std::string& pinnedSha256, const std::string& url) {
    if (pinnedSha256.empty()) return;
    const auto digest = session.serverCertificate().fingerprint("SHA256");
    const std::string actual = toHex(std::span<const std::uint8_t>(digest.data(), digest.size()));
    if (actual != pinnedSha256) {
        session.abort();
        throw TransportError("the certificate of " + url + " (SHA-256 " + actual +
                             ") is not the one pinned in certificate_sha256; nothing was sent");
    }
}

// The body, up to `limit` bytes: one byte more and the answer is refused whole.
std::string readBody(std::istream& in, std::size_t limit, const std::string& url) {
    std::string body;
    char chunk[16384];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        body.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (body.size() > limit) {
            throw TransportError("response_too_large: the answer of " + url + " is larger than " +
                                 std::to_string(limit) + " bytes, more than any exchange answer; it was not read");
        }
    }
    return body;
}

}  // namespace

HttpResult ExchangeClient::post(const std::string& path, const std::string& contentType,
                                std::uint64_t contentLength,
                                const std::function<void(std::ostream&)>& writeBody) const {
    return guarded(baseUrl_ + path, [&](bool& established) {
        Poco::Net::HTTPSClientSession session(host_, port_, context_);
        session.setTimeout(Poco::Timespan(static_cast<long>(timeout_.count()), 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType(contentType);
        request.setContentLength64(static_cast<Poco::Int64>(contentLength));
        std::ostream& body = session.sendRequest(request);
        checkPin(session, pinnedSha256_, baseUrl_);
        established = true;
        const std::string broken = "the connection to " + baseUrl_ + path +
                                   " broke while sending: the peer closed it or the network cut it (under TLS 1.3 "
                                   "a refused client certificate also shows this way; the peer's log says which)";
        try {
            writeBody(body);
        } catch (const Error&) {
            if (!body.good()) throw TransportError(broken);
            throw;
        }
        body.flush();
        if (!body.good()) throw TransportError(broken);
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        HttpResult result;
        result.status = static_cast<int>(response.getStatus());
        result.body = readBody(in, maxResponseBytes_, baseUrl_ + path);
        return result;
    });
}

HttpResult ExchangeClient::get(const std::string& path) const {
    return guarded(baseUrl_ + path, [&](bool& established) {
        Poco::Net::HTTPSClientSession session(host_, port_, context_);
        session.setTimeout(Poco::Timespan(static_cast<long>(timeout_.count()), 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        checkPin(session, pinnedSha256_, baseUrl_);
        established = true;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        HttpResult result;
        result.status = static_cast<int>(response.getStatus());
        result.body = readBody(in, maxResponseBytes_, baseUrl_ + path);
        return result;
    });
}

}  // namespace passerelle::transport
