#pragma once
// The Region's gateway running with what a TLS test needs: an admin listener
// for /metrics, optionally a CRL, and raw OpenSSL clients that choose their
// certificate, protocol version, ciphers and session.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "../support/exchange_fixture.h"

namespace passerelle::integration {

struct ProbeOptions {
    std::optional<fs::path> certificate;  // with its .key next to it
    int maxVersion = TLS1_3_VERSION;
    std::string tls12Ciphers;  // empty: OpenSSL's default
    SSL_SESSION* resume = nullptr;
};

struct SessionFree {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};

struct ProbeResult {
    bool answered = false;  // an HTTP status line came back
    int status = 0;
    bool reused = false;                                   // the session was resumed
    std::unique_ptr<SSL_SESSION, SessionFree> session;     // the session to resume with
};

// A TCP connection to 127.0.0.1:port, -1 on failure.
inline int connectLoopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

// One TLS connection sending GET /v1/health; the server is verified against `ca`.
inline ProbeResult probeHealth(int port, const fs::path& ca, const ProbeOptions& options) {
    ProbeResult result;
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx, options.maxVersion);
    SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
    if (!options.tls12Ciphers.empty()) SSL_CTX_set_cipher_list(ctx, options.tls12Ciphers.c_str());
    if (options.certificate) {
        fs::path key = *options.certificate;
        key.replace_extension(".key");
        SSL_CTX_use_certificate_chain_file(ctx, options.certificate->c_str());
        SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
    }
    const int fd = connectLoopback(port);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    if (options.resume != nullptr) SSL_set_session(ssl, options.resume);
    if (fd >= 0 && SSL_connect(ssl) == 1) {
        const std::string request = "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        std::string response;
        if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
            char buffer[4096];
            int n = 0;
            while ((n = SSL_read(ssl, buffer, sizeof buffer)) > 0) response.append(buffer, static_cast<std::size_t>(n));
        }
        if (response.starts_with("HTTP/1.1 ")) {
            result.answered = true;
            result.status = std::stoi(response.substr(9, 3));
        }
        result.reused = SSL_session_reused(ssl) == 1;
        result.session.reset(SSL_get1_session(ssl));
    }
    ERR_clear_error();
    SSL_free(ssl);
    if (fd >= 0) ::close(fd);
    SSL_CTX_free(ctx);
    return result;
}

// Bytes that are not TLS, then wait for the server to close.
inline void sendGarbage(int port, unsigned seed) {
    const int fd = connectLoopback(port);
    if (fd < 0) return;
    std::string bytes(64, '\0');
    for (auto& b : bytes) b = static_cast<char>((seed = seed * 1103515245u + 12345u) >> 16);
    bytes[0] = 'G';  // not a TLS record type
    (void)!::write(fd, bytes.data(), bytes.size());
    char buffer[256];
    while (::read(fd, buffer, sizeof buffer) > 0) {
    }
    ::close(fd);
}

class TlsTest : public ExchangeTest {
protected:
    // The Region (EC certificate) with univ-montpellier as its peer, /metrics on an
    // admin listener, and the CRL files given (tls.crl) when not empty.
    void startRegionWith(const std::vector<std::string>& parties, const std::string& crl = {}) {
        writeConfigsAndKeys(parties);
        std::string ini = readFile(regionConfig());
        if (!crl.empty()) {
            const std::string ca = "\nca = " + (pki() / "ca.crt").string() + "\n";
            ini.insert(ini.find(ca) + ca.size(), "crl = " + crl + "\n");
        }
        ini += "[admin]\nlisten = 127.0.0.1:0\n";
        writeFile(regionConfig(), ini);
        ASSERT_FALSE(HasFailure());
        region_ = startRegion();
        ASSERT_TRUE(region_);
        static const std::regex admin(R"(admin listener on http://127\.0\.0\.1:(\d+))");
        std::smatch match;
        std::string out;
        ASSERT_TRUE(waitUntil([&] { return std::regex_search(out = region_->process().out(), match, admin); }, 10s))
            << out;
        adminPort_ = std::stoi(match[1].str());
    }

    // The PKI, the Region's configuration (univ-montpellier its peer) and both parties' keys.
    void writeConfigsAndKeys(const std::vector<std::string>& parties) {
        makePki(parties);
        writeRegionConfig({{"univ-montpellier", kSurveyPurpose}});
        keysInit(regionConfig(), "region");
        const Institution inst =
            writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, root() / "exports" / "none.csv");
        keysInit(inst.config, "univ-montpellier");
    }

    void TearDown() override {
        if (region_) stopGateway(region_->process());
        ExchangeTest::TearDown();
    }

    ProbeResult probe(const std::string& party, ProbeOptions options = {}) {
        if (!party.empty()) options.certificate = party.starts_with("/") ? fs::path(party) : pki() / (party + ".crt");
        return probeHealth(region_->port(), pki() / "ca.crt", options);
    }

    // passerelle_tls_handshake_failures_total{reason="<reason>"} on /metrics.
    double handshakeFailures(const std::string& reason) {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(adminPort_));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/metrics", Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string text;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
        const std::string series = "passerelle_tls_handshake_failures_total{reason=\"" + reason + "\"} ";
        const auto at = text.find(series);
        if (at == std::string::npos) {
            ADD_FAILURE() << "no " << series << "on /metrics:\n" << text;
            return -1;
        }
        return std::stod(text.substr(at + series.size()));
    }

    bool regionLogSays(const std::string& text, std::chrono::milliseconds within = 5s) {
        return waitUntil([&] { return region_->log().find(text) != std::string::npos; }, within);
    }

    // Every ledger entry of the Region, as `audit list --json` counts them.
    std::size_t ledgerEntries() {
        const auto r = passerelle({"audit", "list", "--config", regionConfig().string(), "--json"}, "audit-list");
        EXPECT_EQ(r.exitCode, 0) << r;
        return parseArray(r.out)->size();
    }

    Poco::JSON::Array::Ptr parseArray(const std::string& text) {
        try {
            return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "not a JSON array (" << e.displayText() << "): " << text;
            return new Poco::JSON::Array;
        }
    }

    // A certificate from the exchange CA with these openssl extension lines and subject.
    fs::path issue(const std::string& name, const std::string& subject, const std::string& extensions) {
        const fs::path key = pki() / (name + ".key"), csr = pki() / (name + ".csr"), crt = pki() / (name + ".crt");
        const fs::path ext = pki() / (name + ".ext");
        writeFile(ext, "[x]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n" +
                           extensions + "\n");
        for (const auto& argv : std::vector<std::vector<std::string>>{
                 {"/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                  key.string()},
                 {"/usr/bin/openssl", "req", "-new", "-key", key.string(), "-subj", subject, "-out", csr.string()},
                 {"/usr/bin/openssl", "x509", "-req", "-in", csr.string(), "-CA", (pki() / "ca.crt").string(),
                  "-CAkey", (pki() / "ca.key").string(), "-set_serial", "0x" + std::to_string(++serial_) + "abc",
                  "-days", "30", "-extfile", ext.string(), "-extensions", "x", "-out", crt.string()}}) {
            const auto r = runCommand(argv, logs() / ("issue-" + name));
            EXPECT_EQ(r.exitCode, 0) << r;
        }
        fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
        return crt;
    }

    std::unique_ptr<RunningRegion> region_;
    int adminPort_ = 0;
    int serial_ = 0;
};

}  // namespace passerelle::integration
