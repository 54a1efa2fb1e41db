#include "transport/request_body.h"

#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

#include <cstdint>
#include <istream>

namespace passerelle::transport {

namespace {

constexpr std::int64_t kDiscardLimitBytes = 256 << 10;
constexpr Poco::Timestamp::TimeDiff kDiscardMaxMicroseconds = 2'000'000;

}  // namespace

bool hasRequestBody(const Poco::Net::HTTPServerRequest& request) {
    return request.has("Transfer-Encoding") || (request.hasContentLength() && request.getContentLength64() > 0);
}

void discardSmallBody(Poco::Net::HTTPServerRequest& request) {
    if (request.hasContentLength() && request.getContentLength64() > kDiscardLimitBytes) return;
    // A coding other than chunked alone has no end but the connection's: nothing to skip to.
    if (request.has("Transfer-Encoding") && !request.getChunkedTransferEncoding()) return;
    try {
        std::istream& body = request.stream();
        const Poco::Timestamp started;
        char buffer[8192];
        std::int64_t left = kDiscardLimitBytes;
        while (left > 0 && body.good() && !started.isElapsed(kDiscardMaxMicroseconds)) {
            body.read(buffer, sizeof buffer);
            left -= body.gcount();
        }
    } catch (const Poco::Exception&) {
        // The client went away or stalled: the connection is closed anyway.
    }
}

bool hostIsLoopback(const Poco::Net::HTTPServerRequest& request) {
    if (!request.has("Host")) return true;
    const std::string host = request.getHost();
    std::string name = host;
    if (host.starts_with("[")) {
        name = host.substr(0, host.find(']') + 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string::npos) {
        name = host.substr(0, colon);
    }
    return name == "127.0.0.1" || name == "localhost" || name == "[::1]";
}

}  // namespace passerelle::transport
