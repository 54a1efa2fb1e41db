#pragma once
// The console's HTTP vocabulary: what a handler receives (ApiRequest), what
// it answers (Reply), its errors (ConsoleError: a status, a code and a French
// message for the DPO), and the few request readers the server needs.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/errors.h"

namespace passerelle::console {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

// Refused or failed request: {"error": code, "message": French text}. The
// message never holds a value the user typed.
class ConsoleError : public Error {
public:
    ConsoleError(Status status, std::string code, const std::string& message)
        : Error(message), status_(status), code_(std::move(code)) {}
    Status status() const { return status_; }
    const std::string& code() const { return code_; }

private:
    Status status_;
    std::string code_;
};

struct ApiRequest {
    std::string method;
    std::string path;                          // without the query
    std::map<std::string, std::string> query;  // decoded; a repeated name keeps its last value
    std::string body;                          // at most kMaxBodyBytes
};

struct Reply {
    Status status = Status::HTTP_OK;
    std::string contentType = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

inline constexpr std::size_t kMaxBodyBytes = 16 * 1024;

Reply jsonReply(const Poco::JSON::Object::Ptr& object, Status status = Status::HTTP_OK);
Reply errorReply(const ConsoleError& error);
Reply redirectReply(const std::string& location);

// The request body; throws ConsoleError 413 past kMaxBodyBytes.
std::string readBody(Poco::Net::HTTPServerRequest& request);
// Decoded name=value pairs of a query string or an x-www-form-urlencoded body;
// throws ConsoleError 400 on a "%" not followed by two hex digits.
std::map<std::string, std::string> decodeForm(const std::string& text);
// A cookie's value, or nullopt.
std::optional<std::string> cookie(const Poco::Net::HTTPServerRequest& request, const std::string& name);
// The token of an "Authorization: Bearer <token>" header, or nullopt.
std::optional<std::string> bearerToken(const Poco::Net::HTTPServerRequest& request);
// (Whether the Host header names the loopback interface: transport/request_body.h.)
// True when the request comes from a page of this server: its Origin is
// http:// + Host, or (for "Origin: null") its Sec-Fetch-Site is same-origin.
bool originIsSelf(const Poco::Net::HTTPServerRequest& request);

// Poco JSON helpers for building answers.
Poco::JSON::Object::Ptr newObject();
Poco::JSON::Array::Ptr stringArray(const std::vector<std::string>& items);

}  // namespace passerelle::console
