#pragma once
// Hermetic helpers for the CA tests: a clock the test moves, a temporary folder,
// requests made with OpenSSL for the test, and verification the way a TLS peer does it.

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../ledger/test_support.h"
#include "common/clock.h"
#include "federation/certificate_authority.h"
#include "federation/openssl_handles.h"
#include "ledger/ledger.h"

namespace passerelle::federation::testing {

// The ledger tests' clock the test moves (2026-11-29T08:36:38Z first) and temporary folder.
using TestClock = ledger::testing::SteppedClock;
using ledger::testing::TempDir;

inline std::string readText(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void writeText(const std::filesystem::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

inline unsigned modeOf(const std::filesystem::path& file) {
    return static_cast<unsigned>(std::filesystem::status(file).permissions()) & 0777u;
}

inline PrivateKey makeP256Key() { return PrivateKey(EVP_EC_gen("P-256")); }

// A request with these common names (none, one or several), signed by `key`.
inline std::string makeRequestPem(EVP_PKEY* key, const std::vector<std::string>& commonNames,
                                  const std::string& organisation = {}) {
    CertificateRequest request(X509_REQ_new());
    X509_REQ_set_version(request.get(), 0);
    X509_NAME* name = X509_REQ_get_subject_name(request.get());
    for (const auto& cn : commonNames) {
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    }
    if (!organisation.empty()) {
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(organisation.c_str()), -1, -1, 0);
    }
    X509_REQ_set_pubkey(request.get(), key);
    X509_REQ_sign(request.get(), key, EVP_PKEY_is_a(key, "ED25519") ? nullptr : EVP_sha256());
    return toPem(request.get());
}

// Every certificate of a PEM file, in order.
inline std::vector<Certificate> certificatesIn(const std::string& pem) { return certificatesFromPem(pem).certificates; }

struct Verification {
    bool ok = false;
    int error = X509_V_OK;
};

// X509_verify_cert of `leaf` with `untrusted` as the chain, `root` the only trust anchor,
// strict checks, at time `at`, for `purpose` (X509_PURPOSE_SSL_CLIENT...), with the CRLs given.
// With `checkWholeChain`, every CA of the chain needs a CRL (X509_V_FLAG_CRL_CHECK_ALL).
inline Verification verify(X509* leaf, const std::vector<X509*>& untrusted, X509* root, std::time_t at,
                           int purpose, const std::vector<X509_CRL*>& lists = {},
                           bool checkWholeChain = false) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, root);
    STACK_OF(X509)* chain = sk_X509_new_null();
    for (X509* c : untrusted) sk_X509_push(chain, c);
    STACK_OF(X509_CRL)* crls = sk_X509_CRL_new_null();
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    X509_STORE_CTX_init(context, store, leaf, chain);
    unsigned long flags = X509_V_FLAG_X509_STRICT;
    if (!lists.empty()) {
        for (X509_CRL* crl : lists) sk_X509_CRL_push(crls, crl);
        X509_STORE_CTX_set0_crls(context, crls);
        flags |= X509_V_FLAG_CRL_CHECK | (checkWholeChain ? X509_V_FLAG_CRL_CHECK_ALL : 0);
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context);
    X509_VERIFY_PARAM_set_flags(param, flags);
    X509_VERIFY_PARAM_set_time(param, at);
    X509_STORE_CTX_set_purpose(context, purpose);
    Verification result;
    result.ok = X509_verify_cert(context) == 1;
    result.error = X509_STORE_CTX_get_error(context);
    X509_STORE_CTX_free(context);
    sk_X509_CRL_free(crls);
    sk_X509_free(chain);
    X509_STORE_free(store);
    return result;
}

// A CA made in a temporary folder, with its own ledger, at a fixed time.
class CaTest : public ::testing::Test {
protected:
    void initialise(KeyType type = KeyType::P256) {
        CertificateAuthority::initialise(folder, type, CaOperator{"region-occitanie", "Région Occitanie"},
                                         clock);
        root = certificateFromPem(readText(folder.rootCertificate()));
        issuing = certificateFromPem(readText(folder.issuingCertificate()));
    }
    CertificateAuthority& ca() {
        if (!ca_) ca_ = std::make_unique<CertificateAuthority>(settings(), ledger, clock);
        return *ca_;
    }
    config::CaSettings settings() const {
        config::CaSettings s;
        s.folder = folder.dir;
        s.certificateDays = 397;
        s.crlDays = 7;
        return s;
    }
    // Writes a request for `party` made with a fresh P-256 key; returns its file.
    std::filesystem::path requestFor(const std::string& party) {
        const auto key = makeP256Key();
        return requestFile(makeRequestPem(key.get(), {party}));
    }
    std::filesystem::path requestFile(const std::string& pem) {
        const auto file = dir.path() / ("request-" + std::to_string(++requests_) + ".csr");
        writeText(file, pem);
        return file;
    }
    std::time_t inAnHour() const {
        return std::chrono::system_clock::to_time_t(clock.at + std::chrono::hours(1));
    }

    TempDir dir;
    TestClock clock;
    CaFolder folder{dir.path() / "ca"};
    ledger::Ledger ledger{dir.path() / "ledger.db", clock};
    Certificate root, issuing;

private:
    std::unique_ptr<CertificateAuthority> ca_;
    int requests_ = 0;
};

}  // namespace passerelle::federation::testing
