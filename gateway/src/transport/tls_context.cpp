#include "transport/tls_context.h"

#include "common/encoding.h"
#include "common/errors.h"

#include <Poco/Crypto/X509Certificate.h>
#include <Poco/ErrorHandler.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/InvalidCertificateHandler.h>
#include <Poco/Net/PrivateKeyPassphraseHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/VerificationErrorArgs.h>

#include <filesystem>
#include <mutex>

namespace passerelle::transport {

namespace {

Poco::Logger& tlsLog() { return Poco::Logger::get("passerelle.tls"); }

std::mutex observerMutex;
HandshakeRefusalObserver refusalObserver;

// The certificate refused on this thread's handshake, reported with the
// handshake's failure (which follows it on the same thread).
struct RefusedCertificate {
    std::string subject, issuer, reason;
};
thread_local std::optional<RefusedCertificate> refusedOnThisThread;

void reportRefusal(const std::string& failure) {
    HandshakeRefusalObserver observer;
    {
        std::lock_guard lock(observerMutex);
        observer = refusalObserver;
    }
    const RefusedCertificate refused = refusedOnThisThread.value_or(RefusedCertificate{"", "", failure});
    refusedOnThisThread.reset();
    if (observer) observer(refused.subject, refused.issuer, refused.reason);
}

// Refuses every certificate OpenSSL did not verify, and says so in the log.
// A certificate's subject names an organisation, not a trainee, so it may be logged.
class RefuseAndLogCertificate final : public Poco::Net::InvalidCertificateHandler {
public:
    explicit RefuseAndLogCertificate(bool serverSide)
        : Poco::Net::InvalidCertificateHandler(serverSide), serverSide_(serverSide) {}

    void onInvalidCertificate(const void*, Poco::Net::VerificationErrorArgs& args) override {
        const auto& cert = args.certificate();
        tlsLog().warning("refused %s certificate subject=\"%s\" issuer=\"%s\": %s",
                         std::string(serverSide_ ? "client" : "server"), cert.subjectName(), cert.issuerName(),
                         args.errorMessage());
        if (serverSide_) refusedOnThisThread = RefusedCertificate{cert.subjectName(), cert.issuerName(), args.errorMessage()};
        args.setIgnoreError(false);
    }

private:
    bool serverSide_;
};

class NoPassphrase final : public Poco::Net::PrivateKeyPassphraseHandler {
public:
    explicit NoPassphrase(bool server) : Poco::Net::PrivateKeyPassphraseHandler(server) {}
    void onPrivateKeyRequested(const void*, std::string& passphrase) override {
        passphrase.clear();
        tlsLog().error("the TLS private key is encrypted; passerelle expects an unencrypted key file readable "
                       "only by its user (mode 0600)");
    }
};

// Connections refused during the handshake (no certificate, unknown CA) end
// up here, outside any request: log them instead of losing them.
class ConnectionErrorLogger final : public Poco::ErrorHandler {
public:
    void exception(const Poco::Exception& e) override {
        tlsLog().warning("connection refused or failed: %s", e.displayText());
        if (dynamic_cast<const Poco::Net::SSLException*>(&e) != nullptr) reportRefusal(e.displayText());
    }
    void exception(const std::exception& e) override {
        tlsLog().warning("connection failed: %s", std::string(e.what()));
    }
    void exception() override { tlsLog().warning("connection failed: unknown error"); }
};

}  // namespace

void onHandshakeRefused(HandshakeRefusalObserver observer) {
    std::lock_guard lock(observerMutex);
    refusalObserver = std::move(observer);
}

namespace {

void requireReadable(const std::filesystem::path& file, const char* what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        throw ConfigError(std::string("TLS ") + what + " " + file.string() + " does not exist or is not a file");
    }
}

Poco::Net::Context::Ptr makeContext(Poco::Net::Context::Usage usage, const config::TlsSettings& tls) {
    requireReadable(tls.certificate, "certificate (tls.certificate)");
    requireReadable(tls.privateKey, "private key (tls.private_key)");
    requireReadable(tls.ca, "CA certificate (tls.ca)");
    installCertificatePolicy();
    Poco::Net::Context::Params params;
    params.certificateFile = tls.certificate.string();
    params.privateKeyFile = tls.privateKey.string();
    params.caLocation = tls.ca.string();
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 4;
    params.loadDefaultCAs = false;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!SHA1";
    try {
        Poco::Net::Context::Ptr context = new Poco::Net::Context(usage, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        return context;
    } catch (const Poco::Exception& e) {
        throw ConfigError("cannot set up TLS with certificate " + tls.certificate.string() + ", key " +
                          tls.privateKey.string() + " and CA " + tls.ca.string() + ": " + e.displayText());
    }
}

}  // namespace

void installCertificatePolicy() {
    static std::once_flag once;
    std::call_once(once, [] {
        static ConnectionErrorLogger errorLogger;
        Poco::ErrorHandler::set(&errorLogger);
        auto& manager = Poco::Net::SSLManager::instance();
        manager.initializeServer(new NoPassphrase(true), new RefuseAndLogCertificate(true), nullptr);
        manager.initializeClient(new NoPassphrase(false), new RefuseAndLogCertificate(false), nullptr);
    });
}

Poco::Net::Context::Ptr makeServerContext(const config::TlsSettings& tls) {
    auto context = makeContext(Poco::Net::Context::TLS_SERVER_USE, tls);
    // Poco's extended check would match the client's certificate against the
    // client's IP address, which says nothing about an institution: the peer
    // is authorised from its verified certificate instead.
    context->enableExtendedCertificateVerification(false);
    context->enableSessionCache(false);
    return context;
}

Poco::Net::Context::Ptr makeClientContext(const config::TlsSettings& tls) {
    auto context = makeContext(Poco::Net::Context::TLS_CLIENT_USE, tls);
    context->enableExtendedCertificateVerification(true);  // the server's name must match its URL
    return context;
}

std::optional<PeerIdentity> peerIdentity(Poco::Net::HTTPServerRequest& request) {
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (impl == nullptr) {
        return std::nullopt;
    }
    try {
        Poco::Net::SecureStreamSocket socket(impl->socket());
        if (!socket.havePeerCertificate()) {
            return std::nullopt;
        }
        const Poco::Crypto::X509Certificate cert = socket.peerCertificate();
        const auto digest = cert.fingerprint("SHA256");
        return PeerIdentity{cert.commonName(), cert.subjectName(), cert.issuerName(),
                            toHex(std::span<const std::uint8_t>(digest.data(), digest.size()))};
    } catch (const Poco::Exception&) {
        return std::nullopt;  // not a TLS connection
    }
}

}  // namespace passerelle::transport
