#include "transport/exchange_client.h"

#include "common/errors.h"
#include "transport/tls_context.h"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace passerelle::transport {

ExchangeClient::ExchangeClient(const config::TlsSettings& tls, std::string baseUrl, std::chrono::seconds timeout)
    : context_(makeClientContext(tls)), baseUrl_(std::move(baseUrl)), timeout_(timeout) {
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

template <typename Fn>
HttpResult guarded(const std::string& url, Fn&& fn) {
    try {
        return fn();
    } catch (const Poco::Net::SSLException& e) {
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

}  // namespace

HttpResult ExchangeClient::post(const std::string& path, const std::string& contentType,
                                std::uint64_t contentLength,
                                const std::function<void(std::ostream&)>& writeBody) const {
    return guarded(baseUrl_ + path, [&] {
        Poco::Net::HTTPSClientSession session(host_, port_, context_);
        session.setTimeout(Poco::Timespan(static_cast<long>(timeout_.count()), 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType(contentType);
        request.setContentLength64(static_cast<Poco::Int64>(contentLength));
        std::ostream& body = session.sendRequest(request);
        writeBody(body);
        body.flush();
        if (!body.good()) {
            throw TransportError("exchange with " + baseUrl_ + path + " failed: the connection broke while sending");
        }
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        HttpResult result;
        result.status = static_cast<int>(response.getStatus());
        Poco::StreamCopier::copyToString(in, result.body);
        return result;
    });
}

HttpResult ExchangeClient::get(const std::string& path) const {
    return guarded(baseUrl_ + path, [&] {
        Poco::Net::HTTPSClientSession session(host_, port_, context_);
        session.setTimeout(Poco::Timespan(static_cast<long>(timeout_.count()), 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        HttpResult result;
        result.status = static_cast<int>(response.getStatus());
        Poco::StreamCopier::copyToString(in, result.body);
        return result;
    });
}

}  // namespace passerelle::transport
