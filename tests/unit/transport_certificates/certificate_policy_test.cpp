// The rules a peer's certificate must meet beyond its chain, on certificates
// built in memory: one CN, a subjectAltName equal to it, the role's extendedKeyUsage.

#include "transport/certificate_policy.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

namespace passerelle::transport {
namespace {

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
using Certificate = std::unique_ptr<X509, X509Free>;

EVP_PKEY* key() {
    static EVP_PKEY* k = EVP_EC_gen("P-256");
    return k;
}

// Self-signed: the policy reads fields only; the chain is OpenSSL's business.
Certificate make(const std::vector<std::string>& commonNames, const std::string& subjectAltName,
                 const std::string& extendedKeyUsage) {
    Certificate cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Test"), -1, -1, 0);
    for (const auto& cn : commonNames) {
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                   -1, 0);
    }
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key());
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, subjectAltName},
                                     std::pair{NID_ext_key_usage, extendedKeyUsage}}) {
        if (value.empty()) continue;
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        EXPECT_NE(ext, nullptr) << value;
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(cert.get(), key(), EVP_sha256());
    return cert;
}

std::string violation(const Certificate& cert, PeerRole role) {
    return certificatePolicyViolation(cert.get(), role).value_or("");
}

TEST(CertificatePolicy, OneCnWithAMatchingSubjectAltNameAndTheRolesUsageIsAccepted) {
    EXPECT_EQ(violation(make({"univ-montpellier"}, "DNS:univ-montpellier, DNS:localhost", "clientAuth"),
                        PeerRole::Client), "");
    EXPECT_EQ(violation(make({"univ-montpellier"}, "DNS:localhost, DNS:UNIV-Montpellier", "clientAuth, serverAuth"),
                        PeerRole::Server), "")
        << "DNS names compare without case";
    EXPECT_EQ(violation(make({"univ-montpellier"}, "URI:univ-montpellier", "clientAuth"), PeerRole::Client), "");
}

TEST(CertificatePolicy, NoneOrTwoCommonNamesAreRefused) {
    EXPECT_NE(violation(make({}, "DNS:univ-montpellier", "clientAuth"), PeerRole::Client).find("0 common names"),
              std::string::npos);
    const auto two = violation(make({"univ-montpellier", "region-occitanie"}, "DNS:univ-montpellier", "clientAuth"),
                               PeerRole::Client);
    EXPECT_NE(two.find("2 common names"), std::string::npos) << two;
}

TEST(CertificatePolicy, ASubjectAltNameThatDoesNotNameTheCnIsRefused) {
    for (const std::string san : {"", "DNS:localhost, IP:127.0.0.1", "DNS:univ-montpellier.example",
                                  "email:univ-montpellier", "URI:https://univ-montpellier"}) {
        EXPECT_NE(violation(make({"univ-montpellier"}, san, "clientAuth"), PeerRole::Client).find("subjectAltName"),
                  std::string::npos)
            << san;
    }
}

TEST(CertificatePolicy, TheExtendedKeyUsageMustNameTheRole) {
    EXPECT_NE(violation(make({"univ-montpellier"}, "DNS:univ-montpellier", ""), PeerRole::Client)
                  .find("no extendedKeyUsage"),
              std::string::npos);
    EXPECT_NE(violation(make({"univ-montpellier"}, "DNS:univ-montpellier", "serverAuth"), PeerRole::Client)
                  .find("clientAuth"),
              std::string::npos);
    EXPECT_NE(violation(make({"region-occitanie"}, "DNS:region-occitanie", "clientAuth"), PeerRole::Server)
                  .find("serverAuth"),
              std::string::npos);
}

}  // namespace
}  // namespace passerelle::transport
