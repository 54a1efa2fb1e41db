#include "api_session.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <thread>

#include "tls_client_context.h"

namespace passerelle::rest {

namespace {

constexpr std::chrono::milliseconds kMaxBackoff{30'000};
constexpr std::chrono::seconds kMaxRetryAfter{60};

Poco::Logger& log() { return Poco::Logger::get("passerelle.source.rest"); }

bool worthRetrying(int status) { return status == 429 || status >= 500; }

std::chrono::milliseconds backoff(std::chrono::milliseconds base, unsigned attempt,
                                  const std::string& retryAfter) {
    unsigned seconds = 0;
    const auto [end, ec] = std::from_chars(retryAfter.data(), retryAfter.data() + retryAfter.size(), seconds);
    if (!retryAfter.empty() && ec == std::errc() && end == retryAfter.data() + retryAfter.size()) {
        return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), kMaxRetryAfter);
    }
    const auto delay = base * (1LL << std::min(attempt, 16u));
    return std::min<std::chrono::milliseconds>(delay, kMaxBackoff);
}

// The standard phrase, not the server's: the server's text is not ours to repeat.
std::string statusText(const HttpAnswer& a) {
    return std::to_string(a.status) + " " +
           Poco::Net::HTTPResponse::getReasonForStatus(
               static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
}

// A token goes into a header: printable ASCII without spaces, so a hostile
// answer cannot inject header lines.
bool isTokenText(const std::string& token) {
    return !token.empty() && token.size() <= 16 * 1024 &&
           std::all_of(token.begin(), token.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

ApiSession::ApiSession(const RestSettings& settings)
    : settings_(settings),
      transport_(makeTlsClientContext(settings), TransportLimits{settings.timeout, settings.maxPageBytes}) {
    if (!settings.tokenFile.empty()) {
        token_ = readSecretFile(settings.tokenFile, "token_file");
        if (!isTokenText(token_)) {
            throw SettingError("token_file",
                               "the token must be one line of printable characters without spaces");
        }
    }
    if (settings.login) {
        // Logging in waits for the first page: opening the source checks its
        // settings and files without the network (check-config runs anywhere).
        password_ = readSecretFile(settings.login->passwordFile, "login.password_file");
    }
}

void ApiSession::logIn() {
    const LoginSettings& login = *settings_.login;
    HttpRequest request;
    request.method = "POST";
    request.uri = Poco::URI(login.url);
    if (login.format == LoginFormat::Json) {
        Poco::JSON::Object body;
        body.set(login.usernameField, login.username);
        body.set(login.passwordField, password_);
        std::ostringstream out;
        body.stringify(out);
        request.contentType = "application/json";
        request.body = out.str();
    } else {
        Poco::URI form;
        form.addQueryParameter(login.usernameField, login.username);
        form.addQueryParameter(login.passwordField, password_);
        request.contentType = "application/x-www-form-urlencoded";
        request.body = form.getRawQuery();
    }
    const std::string where = "login (POST " + addressForMessages(request.uri) + ")";
    const HttpAnswer answer = sendWithRetries(std::move(request), "login");
    if (answer.status < 200 || answer.status > 299) {
        throw SourceFailure(where + " was refused with status " + statusText(answer) +
                            "; check login.username, the password in login.password_file and login.format");
    }
    std::string token;
    try {
        const Poco::Dynamic::Var json = Poco::JSON::Parser().parse(answer.body);
        const Poco::Dynamic::Var found = login.tokenPath.find(json);
        if (!found.isString()) {
            throw SourceFailure(where + ": the answer is JSON but holds no string at '" +
                                login.tokenPath.text() +
                                "'; set login.token_path to where the answer puts the token");
        }
        token = found.extract<std::string>();
    } catch (const Poco::Exception&) {
        token = trimmed(answer.body);  // not JSON: the body is the token (a CAS-style ticket)
    }
    if (!isTokenText(token)) {
        throw SourceFailure(where +
                            ": the answer holds no usable token (empty, or with spaces or line breaks); "
                            "set login.token_path to where the answer puts the token");
    }
    token_ = std::move(token);
}

HttpAnswer ApiSession::sendWithRetries(HttpRequest request, const std::string& what) {
    const std::string where = what + " (" + request.method + " " + addressForMessages(request.uri) + ")";
    std::string lastProblem;
    bool connectionFailed = false;
    for (unsigned attempt = 0;; ++attempt) {
        std::string retryAfter;
        try {
            HttpAnswer answer = transport_.send(request);
            if (!worthRetrying(answer.status)) return answer;
            lastProblem = "the server answered " + statusText(answer);
            connectionFailed = false;
            retryAfter = answer.retryAfter;
        } catch (const TransientFailure& e) {
            lastProblem = e.what();
            connectionFailed = true;
        } catch (const SourceFailure& e) {
            throw SourceFailure(what + ": " + e.what());  // trying again cannot help
        }
        if (attempt >= settings_.retries) break;
        const auto delay = backoff(settings_.retryDelay, attempt, retryAfter);
        log().warning("source.rest: " + where + " failed (" + lastProblem + "); attempt " +
                      std::to_string(attempt + 2) + " of " + std::to_string(settings_.retries + 1) + " in " +
                      std::to_string(delay.count()) + " ms");
        std::this_thread::sleep_for(delay);
    }
    const unsigned attempts = settings_.retries + 1;
    // A server that demands a client certificate may just drop the connection
    // (TLS 1.3 says so only after the handshake), which looks like a network fault.
    const std::string clientCertificateHint =
        !connectionFailed || request.uri.getScheme() != "https" || !settings_.clientCertificate.empty()
            ? ""
            : " If the API requires a client certificate, set client_certificate and client_key.";
    throw SourceFailure(
        where + " failed after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts") +
        "; last: " + lastProblem +
        ". The API may be down or overloaded: try again later, or raise retries or timeout_seconds." +
        clientCertificateHint);
}

HttpAnswer ApiSession::get(const Poco::URI& uri, const std::string& what) {
    const std::string where = what + " (GET " + addressForMessages(uri) + ")";
    if (settings_.login && token_.empty()) logIn();
    bool loggedInAgain = false;
    while (true) {
        HttpRequest request;
        request.uri = uri;
        request.bearerToken = token_;
        HttpAnswer answer = sendWithRetries(request, what);
        if (answer.status >= 200 && answer.status <= 299) return answer;
        if (answer.status == 401 && settings_.login && !loggedInAgain) {
            log().information("source.rest: " + where + " answered 401; logging in again");
            logIn();
            loggedInAgain = true;
            continue;
        }
        if (answer.status == 401) {
            throw SourceFailure(
                where + " answered " + statusText(answer) +
                (settings_.login ? " even after logging in again; check that the service account may "
                                   "read this API"
                 : settings_.tokenFile.empty() ? "; the API needs credentials: set login.* or token_file"
                                               : "; the token in token_file was refused: renew it"));
        }
        if (answer.status >= 300 && answer.status <= 399) {
            throw SourceFailure(where + " answered " + statusText(answer) +
                                " (a redirection, not followed); set url to the API's final address");
        }
        if (answer.status == 403) {
            throw SourceFailure(
                where + " answered " + statusText(answer) +
                "; the account is not allowed to read this API: ask the API's administrator for "
                "the right, or check url");
        }
        throw SourceFailure(where + " answered " + statusText(answer) +
                            "; check url and the query settings (page.*, cursor.*, filter.*)");
    }
}

}  // namespace passerelle::rest
