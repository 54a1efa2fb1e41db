#include "federation/openssl_handles.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <ctime>

namespace passerelle::federation {

namespace {

using Bio = std::unique_ptr<BIO, OpenSslFree<BIO_free>>;

// The first object of its kind in `pem`, or nullptr (and a clean error queue).
template <typename Handle, auto Read>
Handle fromPem(std::string_view pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Handle object(Read(bio.get(), nullptr, nullptr, nullptr));
    if (!object) ERR_clear_error();
    return object;
}

template <typename Write>
std::string pemOf(Write write) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

std::string takeOpenSslErrors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        std::array<char, 256> buffer{};
        ERR_error_string_n(code, buffer.data(), buffer.size());
        text += (text.empty() ? "" : "; ") + std::string(buffer.data());
    }
    return text.empty() ? "no detail" : text;
}

PrivateKey privateKeyFromPem(std::string_view pem) {
    return fromPem<PrivateKey, PEM_read_bio_PrivateKey>(pem);
}

Certificate certificateFromPem(std::string_view pem) { return fromPem<Certificate, PEM_read_bio_X509>(pem); }

CertificateRequest requestFromPem(std::string_view pem) {
    return fromPem<CertificateRequest, PEM_read_bio_X509_REQ>(pem);
}

RevocationList revocationListFromPem(std::string_view pem) {
    return fromPem<RevocationList, PEM_read_bio_X509_CRL>(pem);
}

std::string toPem(EVP_PKEY* key) {
    return pemOf([key](BIO* bio) {
        return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    });
}

std::string toPem(X509* certificate) {
    return pemOf([certificate](BIO* bio) { return PEM_write_bio_X509(bio, certificate); });
}

std::string toPem(X509_CRL* crl) {
    return pemOf([crl](BIO* bio) { return PEM_write_bio_X509_CRL(bio, crl); });
}

std::string toPem(X509_REQ* request) {
    return pemOf([request](BIO* bio) { return PEM_write_bio_X509_REQ(bio, request); });
}

PemCertificates certificatesFromPem(std::string_view pem) {
    PemCertificates read;
    std::unique_ptr<BIO, OpenSslFree<BIO_free>> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw std::bad_alloc();
    while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        read.certificates.emplace_back(certificate);
    ERR_clear_error();  // the end of the text reads as an error
    std::size_t blocks = 0;
    for (auto at = pem.find("-----BEGIN"); at != std::string_view::npos; at = pem.find("-----BEGIN", at + 1)) ++blocks;
    read.complete = blocks == read.certificates.size();
    return read;
}

bool crlSignedByOneOf(X509_CRL* crl, const std::vector<Certificate>& cas) {
    for (const auto& ca : cas) {
        EVP_PKEY* key = X509_get0_pubkey(ca.get());
        if (key != nullptr && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca.get())) == 0 &&
            X509_CRL_verify(crl, key) == 1) {
            return true;
        }
    }
    ERR_clear_error();
    return false;
}

std::string sha256Fingerprint(X509* certificate) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    X509_digest(certificate, EVP_sha256(), digest.data(), &size);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 0xf];
    }
    return hex;
}

std::string serialHex(const ASN1_INTEGER* serial) {
    BigNumber number(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!number) return {};
    char* hex = BN_bn2hex(number.get());
    std::string text(hex);
    OPENSSL_free(hex);
    return text;
}

std::string utcText(const ASN1_TIME* time) {
    std::tm parts{};
    if (ASN1_TIME_to_tm(time, &parts) != 1) return {};
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buffer;
}

}  // namespace passerelle::federation
