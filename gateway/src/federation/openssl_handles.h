#pragma once
// Owning handles for the OpenSSL objects the CA builds and reads, and the
// reading and writing of their PEM forms. Internal to the federation library.

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::federation {

template <auto Free>
struct OpenSslFree {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};

using PrivateKey = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using CertificateRequest = std::unique_ptr<X509_REQ, OpenSslFree<X509_REQ_free>>;
using RevocationList = std::unique_ptr<X509_CRL, OpenSslFree<X509_CRL_free>>;
using RevokedEntry = std::unique_ptr<X509_REVOKED, OpenSslFree<X509_REVOKED_free>>;
using Name = std::unique_ptr<X509_NAME, OpenSslFree<X509_NAME_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;
using Integer = std::unique_ptr<ASN1_INTEGER, OpenSslFree<ASN1_INTEGER_free>>;
using Time = std::unique_ptr<ASN1_TIME, OpenSslFree<ASN1_TIME_free>>;
using Enumerated = std::unique_ptr<ASN1_ENUMERATED, OpenSslFree<ASN1_ENUMERATED_free>>;
using BigNumber = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using KeyContext = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<EVP_PKEY_CTX_free>>;

// OpenSSL's error queue as text (and cleared); "no detail" when empty.
std::string takeOpenSslErrors();

// PEM text of each kind; nullptr when `pem` does not hold one (the queue is cleared).
PrivateKey privateKeyFromPem(std::string_view pem);
Certificate certificateFromPem(std::string_view pem);
CertificateRequest requestFromPem(std::string_view pem);
RevocationList revocationListFromPem(std::string_view pem);

std::string toPem(EVP_PKEY* key);  // PKCS#8, unencrypted: the file's mode protects it
std::string toPem(X509* certificate);
std::string toPem(X509_CRL* crl);
std::string toPem(X509_REQ* request);

// Every certificate of a PEM text, in order; `complete` is false when a PEM block
// of the text is not a certificate that reads (the queue is cleared).
struct PemCertificates {
    std::vector<Certificate> certificates;
    bool complete = true;
};
PemCertificates certificatesFromPem(std::string_view pem);

// True when one of `cas` is the CRL's issuer (by name) and its key verifies the CRL's signature.
bool crlSignedByOneOf(X509_CRL* crl, const std::vector<Certificate>& cas);

// Lower-case hex SHA-256 of the certificate's DER bytes.
std::string sha256Fingerprint(X509* certificate);
// Upper-case hex of a positive serial, without leading zeros (as `openssl x509 -serial`).
std::string serialHex(const ASN1_INTEGER* serial);
// RFC 3339 UTC of an ASN.1 time.
std::string utcText(const ASN1_TIME* time);

}  // namespace passerelle::federation
