#include "federation/certificate_request.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>

#include <algorithm>
#include <array>

#include "federation/ca_folder.h"

namespace passerelle::federation {

namespace {

// RSA below this is refused; EC on P-256 and P-384 and Ed25519 are taken.
constexpr int kMinimumRsaBits = 2048;

std::string acceptableKeyProblem(EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "ED25519")) return {};
    if (EVP_PKEY_is_a(key, "RSA")) {
        return EVP_PKEY_get_bits(key) >= kMinimumRsaBits
                   ? std::string()
                   : "its RSA key has " + std::to_string(EVP_PKEY_get_bits(key)) + " bits; at least " +
                         std::to_string(kMinimumRsaBits) + " are needed";
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        std::array<char, 64> curve{};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve.data(), curve.size(),
                                           &length) == 1) {
            const std::string name(curve.data(), length);
            if (name == "prime256v1" || name == "P-256" || name == "secp384r1" || name == "P-384") return {};
        }
        return "its EC key is on a curve other than P-256 or P-384";
    }
    return "its key is neither EC (P-256, P-384), Ed25519 nor RSA";
}

}  // namespace

CheckedRequest checkRequest(std::string_view pem, const std::filesystem::path& file) {
    const std::string where = file.string() + ": ";
    CertificateRequest request = requestFromPem(pem);
    if (!request) {
        throw CaError(where +
                      "not a certificate signing request in PEM form (-----BEGIN CERTIFICATE REQUEST-----)");
    }
    EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
    if (key == nullptr) {
        takeOpenSslErrors();
        throw CaError(where + "the request's public key cannot be read");
    }
    if (X509_REQ_verify(request.get(), key) != 1) {
        takeOpenSslErrors();
        throw CaError(where +
                      "the request's signature does not verify with its own key: it was altered, "
                      "or not signed by the key it carries; ask the party for a new request");
    }
    if (const auto problem = acceptableKeyProblem(key); !problem.empty()) {
        throw CaError(where + "the request is refused: " + problem);
    }
    const X509_NAME* subject = X509_REQ_get_subject_name(request.get());
    int count = 0;
    int found = -1;
    for (int at = -1; (at = X509_NAME_get_index_by_NID(subject, NID_commonName, at)) >= 0;) {
        ++count;
        found = at;
    }
    if (count != 1) {
        throw CaError(where + "the request's subject has " + std::to_string(count) +
                      " common names (CN); it must have exactly one, the party id");
    }
    unsigned char* text = nullptr;
    const int length =
        ASN1_STRING_to_UTF8(&text, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, found)));
    std::string commonName = length < 0 ? std::string() : std::string(reinterpret_cast<char*>(text), length);
    OPENSSL_free(text);
    if (length < 0 || !PartyId::isValid(commonName)) {
        throw CaError(where + "the request's common name (CN) is not a party id: a party id is " +
                      identifier_rules::Name::kRule);
    }
    EVP_PKEY_up_ref(key);
    return CheckedRequest{PartyId::parse(commonName), PrivateKey(key)};
}

std::string subjectAltNameEntry(const std::string& name) {
    std::array<unsigned char, 16> address{};
    if (::inet_pton(AF_INET, name.c_str(), address.data()) == 1 ||
        ::inet_pton(AF_INET6, name.c_str(), address.data()) == 1) {
        return "IP:" + name;
    }
    // A host name: labels of letters, digits and '-', not starting or ending with '-'.
    bool valid = !name.empty() && name.size() <= 253 && name.front() != '.' && name.back() != '.';
    std::size_t label = 0;
    for (std::size_t i = 0; valid && i < name.size(); ++i) {
        const char c = name[i];
        if (c == '.') {
            valid = label > 0 && name[i - 1] != '-';
            label = 0;
        } else {
            const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            valid = (letter || (c == '-' && label > 0)) && ++label <= 63;
        }
    }
    valid = valid && name.back() != '-';
    if (!valid) {
        throw CaError(
            "--san takes a host name (letters, digits, '-' and '.') or an IPv4 or IPv6 address; one of "
            "the names given is neither");
    }
    return "DNS:" + name;
}

}  // namespace passerelle::federation
