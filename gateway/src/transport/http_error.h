#pragma once
// Errors the exchange API returns: JSON {"error": code, "message": text} with
// the matching HTTP status. Messages name what was wrong, never a data value.

#include "common/errors.h"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

namespace passerelle::transport {

class HttpError : public Error {
public:
    HttpError(Poco::Net::HTTPResponse::HTTPStatus status, std::string code, const std::string& message)
        : Error(message), status_(status), code_(std::move(code)) {}
    Poco::Net::HTTPResponse::HTTPStatus status() const { return status_; }
    const std::string& code() const { return code_; }

private:
    Poco::Net::HTTPResponse::HTTPStatus status_;
    std::string code_;
};

void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& body);
void sendError(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const std::string& code, const std::string& message);

}  // namespace passerelle::transport
