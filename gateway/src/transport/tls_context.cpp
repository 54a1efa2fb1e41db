#include "transport/tls_context.h"

#include "common/encoding.h"
#include "common/errors.h"
#include "metrics/registry.h"
#include "transport/certificate_policy.h"
#include "transport/crl_store.h"

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

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace passerelle::transport {

namespace {

Poco::Logger& tlsLog() { return Poco::Logger::get("passerelle.tls"); }

// TLS 1.2: forward secrecy and AEAD only. TLS 1.3: OpenSSL's three suites.
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!PSK:!SRP:!DSS";
constexpr const char* kTls13Suites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

// ---- failed handshakes: counted, logged at a sampled rate, never in the ledger ----

constexpr std::array kFailures = {HandshakeFailure::NoCertificate,     HandshakeFailure::UntrustedCertificate,
                                  HandshakeFailure::RevokedCertificate, HandshakeFailure::RevocationUnknown,
                                  HandshakeFailure::CertificatePolicy, HandshakeFailure::Protocol,
                                  HandshakeFailure::Aborted};

// The certificate refused on this thread's handshake, reported with the
// handshake's failure (which follows it on the same thread).
struct RefusedCertificate {
    std::string subject, issuer, reason;
    HandshakeFailure kind = HandshakeFailure::UntrustedCertificate;
};
thread_local std::optional<RefusedCertificate> refusedClientOnThisThread;
thread_local std::optional<std::string> refusedServerOnThisThread;

HandshakeFailure failureOfVerifyError(int error) {
    switch (error) {
        case X509_V_ERR_CERT_REVOKED:
            return HandshakeFailure::RevokedCertificate;
        case X509_V_ERR_UNABLE_TO_GET_CRL:
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_CRL_NOT_YET_VALID:
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
        case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
        case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
        case X509_V_ERR_DIFFERENT_CRL_SCOPE:
        case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
            return HandshakeFailure::RevocationUnknown;
        case X509_V_ERR_APPLICATION_VERIFICATION:
        case X509_V_ERR_INVALID_PURPOSE:  // OpenSSL's own extendedKeyUsage check, before ours
            return HandshakeFailure::CertificatePolicy;
        default:
            return HandshakeFailure::UntrustedCertificate;
    }
}

// From OpenSSL's (or Poco's) own words, never from anything the client sent.
HandshakeFailure failureOfMessage(const std::string& failure) {
    const auto says = [&](const char* text) { return failure.find(text) != std::string::npos; };
    if (says("did not return a certificate") || says("certificate required")) return HandshakeFailure::NoCertificate;
    if (says("unexpected eof") || says("unexpectedly closed") || says("Connection reset") || says("Timeout") ||
        says("timed out") || says("Broken pipe")) {
        return HandshakeFailure::Aborted;
    }
    return HandshakeFailure::Protocol;
}

// Log text from a certificate: no control character (one line per event), bounded.
std::string printable(const std::string& text) {
    std::string out;
    for (const char c : text.substr(0, 200)) {
        const auto byte = static_cast<unsigned char>(c);
        out += (byte >= 0x20 && byte != 0x7f) ? c : '?';
    }
    return out;
}

class HandshakeFailureLog {
public:
    HandshakeFailureLog()
        : counters_(metrics::registry().counter("passerelle_tls_handshake_failures_total",
                                                "TLS handshakes refused or failed on the exchange listener, by reason",
                                                {"reason"})) {
        for (const HandshakeFailure reason : kFailures) {
            counters_.labels({std::string(handshakeFailureLabel(reason))});
        }
    }

    void note(HandshakeFailure reason, const std::string& line) {
        const auto index = static_cast<std::size_t>(reason);
        counters_.labels({std::string(handshakeFailureLabel(reason))}).inc();
        std::uint64_t notLogged = 0;
        {
            std::lock_guard lock(mutex_);
            Sample& sample = samples_[index];
            const auto now = std::chrono::steady_clock::now();
            if (sample.logged && now - sample.lastLine < std::chrono::minutes(1)) {
                ++sample.notLogged;
                return;
            }
            notLogged = sample.notLogged;
            sample = Sample{true, now, 0};
        }
        tlsLog().warning("%s (handshake failure: %s%s)", line, std::string(handshakeFailureLabel(reason)),
                         notLogged == 0 ? std::string()
                                        : "; " + std::to_string(notLogged) +
                                              " more of this reason since the last such line, counted in "
                                              "passerelle_tls_handshake_failures_total");
    }

private:
    struct Sample {
        bool logged = false;
        std::chrono::steady_clock::time_point lastLine;
        std::uint64_t notLogged = 0;
    };
    metrics::Family<metrics::Counter>& counters_;
    std::mutex mutex_;
    std::array<Sample, kFailures.size()> samples_{};
};

HandshakeFailureLog& handshakeFailures() {
    static HandshakeFailureLog log;
    return log;
}

// Refuses every certificate OpenSSL did not verify. A refused client certificate
// is logged with the handshake's failure (sampled); a refused server
// certificate is this gateway's own outgoing call, logged every time.
// A certificate's subject names an organisation, not a trainee, so it may be logged.
class RefuseCertificate final : public Poco::Net::InvalidCertificateHandler {
public:
    explicit RefuseCertificate(bool serverSide)
        : Poco::Net::InvalidCertificateHandler(serverSide), serverSide_(serverSide) {}

    void onInvalidCertificate(const void*, Poco::Net::VerificationErrorArgs& args) override {
        const auto& cert = args.certificate();
        if (serverSide_) {
            refusedClientOnThisThread = RefusedCertificate{printable(cert.subjectName()), printable(cert.issuerName()),
                                                           args.errorMessage(), failureOfVerifyError(args.errorNumber())};
        } else {
            refusedServerOnThisThread = args.errorMessage();
            tlsLog().warning("refused server certificate subject=\"%s\" issuer=\"%s\": %s",
                             printable(cert.subjectName()), printable(cert.issuerName()), args.errorMessage());
        }
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

// Connections that fail before any request (the handshake: no certificate,
// unknown CA, a scanner's probes) end up here: counted and logged, sampled.
class ConnectionErrorLogger final : public Poco::ErrorHandler {
public:
    void exception(const Poco::Exception& e) override {
        if (dynamic_cast<const Poco::Net::SSLException*>(&e) != nullptr) {
            noteHandshakeFailure(e.displayText());
        } else {
            note("connection failed: " + e.displayText());
        }
    }
    void exception(const std::exception& e) override { note("connection failed: " + std::string(e.what())); }
    void exception() override { note("connection failed: unknown error"); }

private:
    // Not a handshake failure (or not known to be one): logged, sampled the same way.
    void note(const std::string& line) {
        std::uint64_t notLogged = 0;
        {
            std::lock_guard lock(mutex_);
            const auto now = std::chrono::steady_clock::now();
            if (logged_ && now - lastLine_ < std::chrono::minutes(1)) {
                ++notLogged_;
                return;
            }
            logged_ = true;
            lastLine_ = now;
            notLogged = std::exchange(notLogged_, 0);
        }
        tlsLog().warning("%s%s", line,
                         notLogged == 0 ? std::string()
                                        : " (" + std::to_string(notLogged) + " more since the last such line)");
    }
    std::mutex mutex_;
    bool logged_ = false;
    std::chrono::steady_clock::time_point lastLine_;
    std::uint64_t notLogged_ = 0;
};

}  // namespace

std::string_view handshakeFailureLabel(HandshakeFailure reason) {
    switch (reason) {
        case HandshakeFailure::NoCertificate: return "no_certificate";
        case HandshakeFailure::UntrustedCertificate: return "untrusted_certificate";
        case HandshakeFailure::RevokedCertificate: return "revoked_certificate";
        case HandshakeFailure::RevocationUnknown: return "revocation_unknown";
        case HandshakeFailure::CertificatePolicy: return "certificate_policy";
        case HandshakeFailure::Protocol: return "protocol";
        case HandshakeFailure::Aborted: return "aborted";
    }
    return "protocol";
}

void noteHandshakeFailure(const std::string& failure) {
    std::optional<RefusedCertificate> refused = std::exchange(refusedClientOnThisThread, std::nullopt);
    if (refused) {
        handshakeFailures().note(refused->kind, "refused client certificate subject=\"" + refused->subject +
                                                    "\" issuer=\"" + refused->issuer + "\": " + refused->reason);
    } else {
        handshakeFailures().note(failureOfMessage(failure), "refused or failed TLS handshake: " + failure);
    }
}

namespace {

// ---- verification: chain, revocation, then who the peer is ----

struct VerificationSetup {
    PeerRole peerRole;
    std::unique_ptr<CrlStore> crls;  // null without tls.crl
};

void freeSetup(void*, void* setup, CRYPTO_EX_DATA*, int, long, void*) {
    delete static_cast<VerificationSetup*>(setup);
}

int setupIndex() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, freeSetup);
    return index;
}

// Replaces OpenSSL's chain verification for our contexts: the same
// X509_verify_cert (so Poco's handler still sees each error), with this
// moment's CRLs, then the certificate policy on the verified leaf.
int verifyPeer(X509_STORE_CTX* store, void* arg) {
    auto* setup = static_cast<VerificationSetup*>(arg);
    std::shared_ptr<const CrlSet> crls;
    if (setup->crls) {
        crls = setup->crls->current();  // kept alive until the verification is done
        X509_STORE_CTX_set0_crls(store, crls->stack());
        X509_STORE_CTX_set_flags(store, setup->crls->verifyFlags());
    }
    const int verified = X509_verify_cert(store);
    if (crls) X509_STORE_CTX_set0_crls(store, nullptr);
    if (verified <= 0) return verified;

    X509* leaf = X509_STORE_CTX_get0_cert(store);
    const auto violation = certificatePolicyViolation(leaf, setup->peerRole);
    if (!violation) return 1;
    const Poco::Crypto::X509Certificate cert(leaf, true);
    if (setup->peerRole == PeerRole::Client) {
        refusedClientOnThisThread = RefusedCertificate{printable(cert.subjectName()), printable(cert.issuerName()),
                                                       *violation, HandshakeFailure::CertificatePolicy};
    } else {
        refusedServerOnThisThread = *violation;
        tlsLog().warning("refused server certificate subject=\"%s\" issuer=\"%s\": %s", printable(cert.subjectName()),
                         printable(cert.issuerName()), *violation);
    }
    X509_STORE_CTX_set_error_depth(store, 0);
    X509_STORE_CTX_set_current_cert(store, leaf);
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

void requireReadable(const std::filesystem::path& file, const char* what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        throw ConfigError(std::string("TLS ") + what + " " + file.string() + " does not exist or is not a file");
    }
}

// The rule of the gateway's other secrets (its keys, the console's token): its user's alone.
void requireOwnPrivateKey(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        throw ConfigError("TLS private key (tls.private_key) " + file.string() + " cannot be read: " +
                          std::strerror(errno));
    }
    if ((st.st_mode & 077u) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777u));
        throw ConfigError("TLS private key (tls.private_key) " + file.string() +
                          " is readable or writable by group or others (mode " + mode + "); run chmod 600 " +
                          file.string());
    }
    if (st.st_uid != ::geteuid()) {
        throw ConfigError("TLS private key (tls.private_key) " + file.string() + " belongs to user id " +
                          std::to_string(st.st_uid) + ", not to the user passerelle runs as (" +
                          std::to_string(::geteuid()) + "); give it to that user (chown) with mode 0600");
    }
}

void hardenContext(SSL_CTX* ctx, bool server) {
    // No compression (CRIME), no renegotiation, no session resumption: each
    // connection is a full handshake, so a revoked certificate is refused at
    // the next connection and no client meets a ticket the server cannot take back.
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (server) SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    if (SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 || SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
        throw ConfigError("the TLS library refuses passerelle's TLS 1.3 suites or key-exchange groups");
    }
}

Poco::Net::Context::Ptr makeContext(Poco::Net::Context::Usage usage, const config::TlsSettings& tls) {
    requireReadable(tls.certificate, "certificate (tls.certificate)");
    requireReadable(tls.privateKey, "private key (tls.private_key)");
    requireReadable(tls.ca, "CA certificate (tls.ca)");
    requireOwnPrivateKey(tls.privateKey);
    installCertificatePolicy();
    const bool server = usage == Poco::Net::Context::TLS_SERVER_USE;
    auto setup = std::make_unique<VerificationSetup>();
    setup->peerRole = server ? PeerRole::Client : PeerRole::Server;
    if (!tls.crls.empty()) setup->crls = std::make_unique<CrlStore>(tls.crls, tls.ca);

    Poco::Net::Context::Params params;
    params.certificateFile = tls.certificate.string();
    params.privateKeyFile = tls.privateKey.string();
    params.caLocation = tls.ca.string();
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 4;
    params.loadDefaultCAs = false;
    params.cipherList = kTls12Ciphers;
    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(usage, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& e) {
        throw ConfigError("cannot set up TLS with certificate " + tls.certificate.string() + ", key " +
                          tls.privateKey.string() + " and CA " + tls.ca.string() + ": " + e.displayText());
    }
    if (server) context->preferServerCiphers();
    SSL_CTX* ctx = context->sslContext();
    hardenContext(ctx, server);
    // The context owns the setup from here (freed with it).
    if (SSL_CTX_set_ex_data(ctx, setupIndex(), setup.get()) != 1) {
        throw ConfigError("cannot attach passerelle's certificate checks to the TLS context");
    }
    SSL_CTX_set_cert_verify_callback(ctx, verifyPeer, setup.release());
    return context;
}

}  // namespace

void installCertificatePolicy() {
    static std::once_flag once;
    std::call_once(once, [] {
        handshakeFailures();  // the counters read 0 from the start
        static ConnectionErrorLogger errorLogger;
        Poco::ErrorHandler::set(&errorLogger);
        auto& manager = Poco::Net::SSLManager::instance();
        manager.initializeServer(new NoPassphrase(true), new RefuseCertificate(true), nullptr);
        manager.initializeClient(new NoPassphrase(false), new RefuseCertificate(false), nullptr);
    });
}

Poco::Net::Context::Ptr makeServerContext(const config::TlsSettings& tls) {
    auto context = makeContext(Poco::Net::Context::TLS_SERVER_USE, tls);
    // Poco's extended check would match the client's certificate against the
    // client's IP address, which says nothing about an institution: the peer
    // is authorised from its verified certificate instead.
    context->enableExtendedCertificateVerification(false);
    return context;
}

Poco::Net::Context::Ptr makeClientContext(const config::TlsSettings& tls) {
    auto context = makeContext(Poco::Net::Context::TLS_CLIENT_USE, tls);
    context->enableExtendedCertificateVerification(true);  // the server's name must match its URL
    return context;
}

std::optional<std::string> takeServerCertificateRefusal() {
    return std::exchange(refusedServerOnThisThread, std::nullopt);
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
