#include "http_transport.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Timespan.h>

#include <memory>

namespace passerelle::rest {

std::string addressForMessages(const Poco::URI& uri) {
    return uri.getScheme() + "://" + uri.getAuthority() + (uri.getPath().empty() ? "/" : uri.getPath());
}

namespace {

void readBody(std::istream& in, const Poco::Net::HTTPResponse& response, std::size_t maxBytes,
              const std::string& where, std::string& body) {
    const auto tooLarge = [&] {
        return SourceFailure(where + ": the answer is larger than max_page_bytes (" +
                             std::to_string(maxBytes) +
                             " bytes); ask for smaller pages (page.size) or raise max_page_bytes");
    };
    if (response.hasContentLength() && response.getContentLength64() > static_cast<Poco::Int64>(maxBytes)) {
        throw tooLarge();
    }
    char buffer[64 * 1024];
    while (in) {
        in.read(buffer, sizeof buffer);
        const auto got = static_cast<std::size_t>(in.gcount());
        if (body.size() + got > maxBytes) throw tooLarge();
        body.append(buffer, got);
    }
    if (in.bad()) throw TransientFailure("the connection broke while reading the answer");
}

}  // namespace

HttpAnswer HttpTransport::send(const HttpRequest& request) const {
    const Poco::URI& uri = request.uri;
    const std::string where = request.method + " " + addressForMessages(uri);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
        session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), tls_);
    } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    const Poco::Timespan timeout(
        std::chrono::duration_cast<std::chrono::microseconds>(limits_.timeout).count());
    session->setTimeout(timeout, timeout, timeout);
    session->setKeepAlive(false);

    Poco::Net::HTTPRequest message(request.method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    message.set("Accept", "application/json");
    message.set("User-Agent", "passerelle source.rest");
    if (!request.bearerToken.empty()) message.set("Authorization", "Bearer " + request.bearerToken);
    if (!request.contentType.empty()) {
        message.setContentType(request.contentType);
        message.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
    }
    try {
        std::ostream& out = session->sendRequest(message);
        out << request.body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        HttpAnswer answer;
        answer.status = static_cast<int>(response.getStatus());
        answer.retryAfter = response.get("Retry-After", "");
        readBody(in, response, limits_.maxBodyBytes, where, answer.body);
        return answer;
    } catch (const Poco::Net::CertificateValidationException&) {
        throw SourceFailure(where + ": the server's TLS certificate does not name host '" + uri.getHost() +
                            "'; use the host name the certificate was issued for in the URL");
    } catch (const Poco::Net::SSLConnectionUnexpectedlyClosedException& e) {
        throw TransientFailure("the server closed the TLS connection (" + e.displayText() + ")");
    } catch (const Poco::Net::SSLException& e) {
        if (e.displayText().find("certificate verify failed") != std::string::npos) {
            throw SourceFailure(where + ": the server's TLS certificate was refused (" + e.displayText() +
                                "); set ca_file to the CA that signed the API's certificate, or check that "
                                "it has not expired");
        }
        throw SourceFailure(where + ": the TLS handshake failed (" + e.displayText() +
                            "); if the server asks for a client certificate, set client_certificate and "
                            "client_key; otherwise check ca_file");
    } catch (const Poco::TimeoutException&) {
        throw TransientFailure("no answer within timeout_seconds");
    } catch (const Poco::Exception& e) {
        throw TransientFailure(e.displayText());
    }
}

}  // namespace passerelle::rest
