#pragma once
// Talks to the API on behalf of the reader: retries what may pass when tried
// again (5xx, 429, timeouts, cut connections) with a capped exponential
// back-off, holds the bearer token, logs in again once when a page answers 401,
// and turns every other refusal into a SourceFailure naming status and address.

#include <Poco/URI.h>

#include <string>

#include "http_transport.h"
#include "rest_settings.h"

namespace passerelle::rest {

class ApiSession {
public:
    // Reads the secret files; throws SourceFailure. With login.* set, the first
    // get() logs in.
    explicit ApiSession(const RestSettings& settings);

    // A 2xx answer to GET `uri`; `what` names it in messages ("page 3").
    HttpAnswer get(const Poco::URI& uri, const std::string& what);

private:
    void logIn();
    HttpAnswer sendWithRetries(HttpRequest request, const std::string& what);

    const RestSettings& settings_;
    HttpTransport transport_;
    std::string password_;
    std::string token_;
};

}  // namespace passerelle::rest
