#pragma once
// One HTTP(S) request and its answer, nothing more: no retry, no login. A
// fresh connection per request, so a connection the server dropped between
// two pages is never mistaken for a failing API.

#include <Poco/Net/Context.h>
#include <Poco/URI.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "source_failure.h"

namespace passerelle::rest {

struct HttpRequest {
    std::string method = "GET";
    Poco::URI uri;
    std::string contentType;  // with a body
    std::string body;
    std::string bearerToken;  // empty: no Authorization header
};

struct HttpAnswer {
    int status = 0;
    std::string retryAfter;  // the Retry-After header, if any
    std::string body;
};

// The request may succeed if tried again (timeout, refused or cut connection).
// Its message says what happened, not where: the caller names the request.
class TransientFailure : public SourceFailure {
public:
    using SourceFailure::SourceFailure;
};

struct TransportLimits {
    std::chrono::milliseconds timeout;
    std::size_t maxBodyBytes;
};

class HttpTransport {
public:
    HttpTransport(Poco::Net::Context::Ptr tls, TransportLimits limits)
        : tls_(std::move(tls)), limits_(limits) {}

    // Throws TransientFailure, or SourceFailure when trying again cannot help
    // (certificate refused, answer larger than max_page_bytes).
    HttpAnswer send(const HttpRequest& request) const;

private:
    Poco::Net::Context::Ptr tls_;
    TransportLimits limits_;
};

// scheme://host:port/path — how messages name an address: never the query
// (it may carry filter dates or a cursor) nor a token.
std::string addressForMessages(const Poco::URI& uri);

}  // namespace passerelle::rest
