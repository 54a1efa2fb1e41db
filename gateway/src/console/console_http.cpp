#include "console/console_http.h"

#include <Poco/Exception.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>

#include "audit/audit_views.h"

namespace passerelle::console {

Reply jsonReply(const Poco::JSON::Object::Ptr& object, Status status) {
    return Reply{status, "application/json", exchange::toJsonText(object), {}};
}

Reply errorReply(const ConsoleError& error) {
    auto body = newObject();
    body->set("error", error.code());
    body->set("message", std::string(error.what()));
    return jsonReply(body, error.status());
}

Reply redirectReply(const std::string& location) {
    return Reply{Status::HTTP_SEE_OTHER, "text/plain; charset=utf-8", "", {{"Location", location}}};
}

std::string readBody(Poco::Net::HTTPServerRequest& request) {
    const auto tooLarge = [&request] {
        // Unread bytes at close make TCP reset the connection, and the client would
        // never see the 413: a bounded amount is read and discarded first.
        constexpr std::streamsize kDiscardedAtMost = 1 << 20;
        request.stream().ignore(kDiscardedAtMost);
        return ConsoleError(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "corps_trop_grand",
                            "La requête dépasse 16 Ko : elle est refusée.");
    };
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(kMaxBodyBytes)) {
        throw tooLarge();
    }
    // Read one byte past the limit: a chunked body announces no length.
    std::string body(kMaxBodyBytes + 1, '\0');
    request.stream().read(body.data(), static_cast<std::streamsize>(body.size()));
    body.resize(static_cast<std::size_t>(request.stream().gcount()));
    if (body.size() > kMaxBodyBytes) throw tooLarge();
    return body;
}

std::map<std::string, std::string> decodeForm(const std::string& text) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('&', start), text.size());
        const std::string pair = text.substr(start, end - start);
        const std::size_t eq = pair.find('=');
        std::string name, value;
        // '+' is a space in forms; URI::decode leaves it alone.
        auto plusToSpace = [](std::string s) {
            std::replace(s.begin(), s.end(), '+', ' ');
            return s;
        };
        try {
            Poco::URI::decode(plusToSpace(pair.substr(0, eq)), name);
            if (eq != std::string::npos) Poco::URI::decode(plusToSpace(pair.substr(eq + 1)), value);
        } catch (const Poco::SyntaxException&) {
            // A '%' not followed by two hex digits: the client's mistake, not a 500.
            throw ConsoleError(Status::HTTP_BAD_REQUEST, "requete_invalide",
                               "La requête contient un « % » qui n'est pas suivi de deux chiffres hexadécimaux.");
        }
        if (!name.empty()) out[name] = value;
        start = end + 1;
    }
    return out;
}

std::optional<std::string> cookie(const Poco::Net::HTTPServerRequest& request, const std::string& name) {
    Poco::Net::NameValueCollection cookies;
    request.getCookies(cookies);
    if (!cookies.has(name)) return std::nullopt;
    return cookies.get(name);
}

std::optional<std::string> bearerToken(const Poco::Net::HTTPServerRequest& request) {
    if (!request.hasCredentials()) return std::nullopt;
    std::string scheme, token;
    request.getCredentials(scheme, token);
    if (Poco::icompare(scheme, "Bearer") != 0) return std::nullopt;
    return token;
}

bool originIsSelf(const Poco::Net::HTTPServerRequest& request) {
    const std::string origin = request.get("Origin", "");
    if (!origin.empty() && origin != "null") return origin == "http://" + request.getHost();
    // Under Referrer-Policy: no-referrer a browser's form post says "Origin: null";
    // Sec-Fetch-Site, which no page can set, then tells where it came from.
    return request.get("Sec-Fetch-Site", "") == "same-origin";
}

Poco::JSON::Object::Ptr newObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Poco::JSON::Array::Ptr stringArray(const std::vector<std::string>& items) {
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    for (const auto& s : items) a->add(s);
    return a;
}

}  // namespace passerelle::console
