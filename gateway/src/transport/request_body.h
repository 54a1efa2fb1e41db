#pragma once
// What a listener checks and does with a request before (or instead of) its handler.

#include <Poco/Net/HTTPServerRequest.h>

namespace passerelle::transport {

// A Content-Length above 0, or any Transfer-Encoding (a chunked body or one that
// cannot be framed): what a refusal must not leave to be read as the next request.
bool hasRequestBody(const Poco::Net::HTTPServerRequest& request);

// After a refusal sent with "Connection: close": reads and drops what is left
// of a small body (at most 256 KiB, for at most 2 s), so that the client reads
// the answer rather than a connection reset. A larger body is left unread.
void discardSmallBody(Poco::Net::HTTPServerRequest& request);

// The Host header names a loopback address (or is absent, as HTTP/1.0 allows):
// the plain-HTTP listeners (console, admin) answer only those, so a web page
// that rebinds its own name to 127.0.0.1 is refused.
bool hostIsLoopback(const Poco::Net::HTTPServerRequest& request);

}  // namespace passerelle::transport
