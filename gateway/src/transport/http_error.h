#pragma once
// Errors the exchange API returns: JSON {"error": code, "message": text} with
// the matching HTTP status, both from the table of wire errors (wire_error.h).
// Messages name what was wrong, never a data value.

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

#include "common/errors.h"
#include "transport/wire_error.h"

namespace passerelle::transport {

class HttpError : public Error {
public:
    HttpError(WireError error, const std::string& message) : Error(message), error_(error) {}
    WireError error() const { return error_; }
    Poco::Net::HTTPResponse::HTTPStatus status() const { return statusOf(error_); }
    std::string code() const { return std::string(codeOf(error_)); }

private:
    WireError error_;
};

void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& body);
void sendError(Poco::Net::HTTPServerResponse& response, WireError error, const std::string& message);

}  // namespace passerelle::transport
