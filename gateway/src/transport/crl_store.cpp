#include "transport/crl_store.h"

#include "common/errors.h"

#include <Poco/Logger.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <ctime>

namespace passerelle::transport {

namespace {

Poco::Logger& tlsLog() { return Poco::Logger::get("passerelle.tls"); }

constexpr auto kLookInterval = std::chrono::seconds(1);
constexpr auto kExpiryWarningInterval = std::chrono::minutes(1);

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};

std::string openSslError() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "no detail";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

std::chrono::system_clock::time_point toTimePoint(const ASN1_TIME* time) {
    struct tm parts {};
    if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return std::chrono::system_clock::time_point::min();
    return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string utcText(std::chrono::system_clock::time_point when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    struct tm parts {};
    gmtime_r(&t, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

[[noreturn]] void refuse(const std::filesystem::path& file, const std::string& why) {
    throw ConfigError("certificate revocation list (tls.crl) " + file.string() + " " + why);
}

// PEM or DER.
X509_CRL* readCrl(const std::filesystem::path& file) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_file(file.c_str(), "rb"));
    if (!bio) refuse(file, "cannot be read (" + openSslError() + "): check that it exists and that passerelle may read it");
    X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
    if (crl == nullptr) {
        ERR_clear_error();
        BIO_reset(bio.get());
        crl = d2i_X509_CRL_bio(bio.get(), nullptr);
    }
    if (crl == nullptr) refuse(file, "is not a certificate revocation list in PEM or DER (" + openSslError() + ")");
    return crl;
}

}  // namespace

CrlSet::CrlSet() : crls_(sk_X509_CRL_new_null()) {}

CrlSet::~CrlSet() { sk_X509_CRL_pop_free(crls_, X509_CRL_free); }

void CrlSet::add(X509_CRL* crl) {
    if (sk_X509_CRL_push(crls_, crl) <= 0) {
        X509_CRL_free(crl);
        throw std::bad_alloc();
    }
}

CrlStore::CrlStore(std::vector<std::filesystem::path> files, const std::filesystem::path& caFile)
    : files_(std::move(files)) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_file(caFile.c_str(), "rb"));
    while (bio) {
        X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (ca == nullptr) break;
        cas_.push_back(ca);
    }
    ERR_clear_error();
    if (cas_.empty()) {
        throw ConfigError("TLS CA certificate (tls.ca) " + caFile.string() +
                          " holds no PEM certificate: the revocation lists (tls.crl) cannot be checked against it");
    }
    flags_ = X509_V_FLAG_CRL_CHECK;
    for (X509* ca : cas_) {
        if ((X509_get_extension_flags(ca) & EXFLAG_SI) == 0) flags_ |= X509_V_FLAG_CRL_CHECK_ALL;
    }
    current_ = read();
    stamps_ = stamps();
    if (current_->nextUpdate < std::chrono::system_clock::now()) {
        refuse(current_->nextUpdateFile, "is past its next update (" + utcText(current_->nextUpdate) +
                                             "): install a fresh list from the CA before starting");
    }
    lastLook_ = std::chrono::steady_clock::now();
}

CrlStore::~CrlStore() {
    for (X509* ca : cas_) X509_free(ca);
}

std::shared_ptr<const CrlSet> CrlStore::read() const {
    auto set = std::make_shared<CrlSet>();
    for (const auto& file : files_) {
        X509_CRL* crl = readCrl(file);
        set->add(crl);
        const X509_NAME* issuer = X509_CRL_get_issuer(crl);
        X509* signer = nullptr;
        for (X509* ca : cas_) {
            if (X509_NAME_cmp(X509_get_subject_name(ca), issuer) == 0) signer = ca;
        }
        if (signer == nullptr) refuse(file, "is not issued by a CA of tls.ca");
        EVP_PKEY* key = X509_get0_pubkey(signer);
        if (key == nullptr || X509_CRL_verify(crl, key) != 1) {
            ERR_clear_error();
            refuse(file, "does not carry a valid signature of its CA in tls.ca");
        }
        const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
        if (next == nullptr) refuse(file, "has no next update date: passerelle cannot tell when it goes stale");
        const auto nextUpdate = toTimePoint(next);
        if (nextUpdate < set->nextUpdate) {
            set->nextUpdate = nextUpdate;
            set->nextUpdateFile = file;
        }
    }
    return set;
}

std::vector<CrlStore::Stamp> CrlStore::stamps() const {
    std::vector<Stamp> out;
    for (const auto& file : files_) {
        struct stat st {};
        Stamp stamp;
        if (::stat(file.c_str(), &st) == 0) {
            stamp.mtimeNs = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
            stamp.size = static_cast<std::int64_t>(st.st_size);
            stamp.inode = static_cast<std::uint64_t>(st.st_ino);
        }
        out.push_back(stamp);
    }
    return out;
}

std::shared_ptr<const CrlSet> CrlStore::current() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - lastLook_ < kLookInterval) return current_;
    lastLook_ = now;
    auto seen = stamps();
    if (seen != stamps_) {
        stamps_ = std::move(seen);  // a file that fails is tried again only when it changes again
        try {
            current_ = read();
            tlsLog().information("certificate revocation lists read again (a file of tls.crl changed)");
        } catch (const ConfigError& e) {
            tlsLog().error("%s; the revocation lists read before stay in force", std::string(e.what()));
        }
    }
    if (current_->nextUpdate < std::chrono::system_clock::now() && now - lastExpiryWarning_ >= kExpiryWarningInterval) {
        lastExpiryWarning_ = now;
        tlsLog().error("certificate revocation list (tls.crl) %s is past its next update (%s): every peer "
                       "certificate it covers is refused until a fresh list from the CA replaces the file",
                       current_->nextUpdateFile.string(), utcText(current_->nextUpdate));
    }
    return current_;
}

}  // namespace passerelle::transport
