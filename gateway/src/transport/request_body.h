#pragma once
// What a listener does with a request body its handler never read.

#include <Poco/Net/HTTPServerRequest.h>

namespace passerelle::transport {

// A Content-Length above 0, or a chunked body.
bool hasRequestBody(const Poco::Net::HTTPServerRequest& request);

// After a refusal sent with "Connection: close": reads and drops what is left
// of a small body (at most 256 KiB, for at most 2 s), so that the client reads
// the answer rather than a connection reset. A larger body is left unread.
void discardSmallBody(Poco::Net::HTTPServerRequest& request);

}  // namespace passerelle::transport
