#pragma once
// A mutual-TLS client that writes requests byte for byte: the listener's
// limits are about requests a well-behaved client library would not send
// (no Content-Length, a body on a GET, nothing at all).

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

namespace passerelle::integration {

struct RawResponse {
    int status = 0;                              // 0: no answer (connection refused, reset or closed)
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

inline std::ostream& operator<<(std::ostream& out, const RawResponse& r) {
    out << "HTTP " << r.status;
    for (const auto& [name, value] : r.headers) out << "\n" << name << ": " << value;
    return out << "\n\n" << r.body;
}

// "POST /v1/x HTTP/1.1" with Host, Connection: close, the extra header lines
// (each ending in \r\n) and, when withLength, a Content-Length for the body.
inline std::string rawRequest(const std::string& method, const std::string& path,
                              const std::string& body = {}, const std::string& extraHeaders = {},
                              bool withLength = true) {
    std::string request =
        method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + extraHeaders;
    if (withLength) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return request + "\r\n" + body;
}

inline RawResponse parseRawResponse(const std::string& bytes) {
    RawResponse r;
    const auto end = bytes.find("\r\n\r\n");
    if (bytes.empty() || end == std::string::npos) return r;
    std::istringstream head(bytes.substr(0, end + 4));
    Poco::Net::HTTPResponse response;
    response.read(head);
    r.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[lower] = value;
    }
    r.body = bytes.substr(end + 4);
    return r;
}

class PeerClient {
public:
    // A client presenting <pki>/<party>.crt, trusting <pki>/ca.crt.
    PeerClient(const std::filesystem::path& pki, const std::string& party) {
        static std::once_flag ssl;
        std::call_once(ssl, [] {
            Poco::Net::initializeSSL();
            // Without it, Poco would look for an application configuration on a failed verification.
            Poco::Net::SSLManager::instance().initializeClient(
                nullptr, new Poco::Net::RejectCertificateHandler(false), nullptr);
        });
        Poco::Net::Context::Params params;
        params.caLocation = (pki / "ca.crt").string();
        params.certificateFile = (pki / (party + ".crt")).string();
        params.privateKeyFile = (pki / (party + ".key")).string();
        params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
        params.loadDefaultCAs = false;
        context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    }

    // A TLS connection to 127.0.0.1:port, handshake done.
    Poco::Net::SecureStreamSocket connect(int port) const {
        Poco::Net::SecureStreamSocket socket(
            Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), "localhost", context_);
        socket.setReceiveTimeout(Poco::Timespan(20, 0));
        socket.completeHandshake();
        return socket;
    }

    // Sends the bytes on a new connection and reads the answer to the end of the connection.
    RawResponse send(int port, const std::string& request) const {
        std::string received;
        try {
            auto socket = connect(port);
            socket.sendBytes(request.data(), static_cast<int>(request.size()));
            char buffer[8192];
            for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) received.append(buffer, n);
        } catch (const Poco::Exception&) {
            // Reset or closed: whatever arrived before is the answer.
        }
        return parseRawResponse(received);
    }

    RawResponse request(int port, const std::string& method, const std::string& path,
                        const std::string& body = {}) const {
        return send(port, rawRequest(method, path, body));
    }

private:
    Poco::Net::Context::Ptr context_;
};

}  // namespace passerelle::integration
