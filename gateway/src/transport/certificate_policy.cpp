#include "transport/certificate_policy.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace passerelle::transport {

namespace {

struct GeneralNamesFree {
    void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

// The UTF-8 text of an ASN.1 string; nullopt when it cannot be converted or
// holds a NUL (a name with a NUL could match one thing and display as another).
std::optional<std::string> utf8(const ASN1_STRING* value) {
    unsigned char* out = nullptr;
    const int length = ASN1_STRING_to_UTF8(&out, value);
    if (length < 0) return std::nullopt;
    std::string text(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    if (text.find('\0') != std::string::npos) return std::nullopt;
    return text;
}

bool equalIgnoringCase(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::optional<std::string> certificatePolicyViolation(X509* certificate, PeerRole role) {
    if (certificate == nullptr) return "no certificate";
    const X509_NAME* subject = X509_get_subject_name(certificate);
    int commonNames = 0;
    int at = -1;
    int found = -1;
    while ((at = X509_NAME_get_index_by_NID(subject, NID_commonName, at)) >= 0) {
        ++commonNames;
        found = at;
    }
    if (commonNames != 1) {
        return "its subject has " + std::to_string(commonNames) +
               " common names (CN); a peer's certificate must have exactly one, the party id";
    }
    const auto commonName = utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, found)));
    if (!commonName || commonName->empty()) return "its common name (CN) is empty or not valid text";

    int critical = 0;
    const std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> altNames(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, &critical, nullptr)));
    if (critical == -2) return "it has more than one subjectAltName extension";
    bool matched = false;
    for (int i = 0; altNames && i < sk_GENERAL_NAME_num(altNames.get()) && !matched; ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(altNames.get(), i);
        if (name->type == GEN_DNS) {
            const auto dns = utf8(name->d.dNSName);
            matched = dns && equalIgnoringCase(*dns, *commonName);
        } else if (name->type == GEN_URI) {
            const auto uri = utf8(name->d.uniformResourceIdentifier);
            matched = uri && *uri == *commonName;
        }
    }
    if (!matched) {
        return "its subjectAltName has no DNS or URI entry equal to its common name (CN); "
               "the party id must be in both";
    }

    const bool client = role == PeerRole::Client;
    const char* needed = client ? "clientAuth" : "serverAuth";
    if ((X509_get_extension_flags(certificate) & EXFLAG_XKUSAGE) == 0) {
        return std::string("it has no extendedKeyUsage; a peer's certificate must list ") + needed;
    }
    const std::uint32_t usage = X509_get_extended_key_usage(certificate);
    if ((usage & (client ? XKU_SSL_CLIENT : XKU_SSL_SERVER)) == 0) {
        return std::string("its extendedKeyUsage does not include ") + needed + " (it is used as a TLS " +
               (client ? "client" : "server") + ")";
    }
    return std::nullopt;
}

}  // namespace passerelle::transport
