#include "transport/http_error.h"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace passerelle::transport {

void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& body) {
    response.setStatusAndReason(status);
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
}

void sendError(Poco::Net::HTTPServerResponse& response, WireError error, const std::string& message) {
    Poco::JSON::Object body;
    body.set("error", std::string(codeOf(error)));
    body.set("message", message);
    std::ostringstream out;
    body.stringify(out);
    sendJson(response, statusOf(error), out.str());
}

}  // namespace passerelle::transport
