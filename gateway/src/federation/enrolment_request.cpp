#include "federation/enrolment_request.h"

#include <Poco/JSON/Object.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>

#include "common/identifiers.h"
#include "common/json_text.h"
#include "common/strict_json.h"

namespace passerelle::federation {

namespace {

std::array<unsigned char, 32> sha256(std::string_view bytes) {
    std::array<unsigned char, 32> digest{};
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
    return digest;
}

std::string squeezed(std::string_view fingerprint) {
    std::string out;
    for (char c : fingerprint) {
        if (c == '-' || c == ' ' || c == ':') continue;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::string EnrolmentRequest::toJson() const {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("format", std::string(kEnrolmentRequestFormat));
    o.set("party", party);
    o.set("uai", uai);
    o.set("name", name);
    o.set("contact", contact);
    o.set("csr", csrPem);
    o.set("public_keys", publicKeys);
    o.set("created", created);
    return compactJson(o) + "\n";
}

EnrolmentError EnrolmentRequest::refusal(const std::filesystem::path& file, const std::string& why) {
    return EnrolmentError(file.string() + ": " + why + "; nothing was changed");
}

EnrolmentRequest EnrolmentRequest::parse(std::string_view text, const std::filesystem::path& file) {
    StrictJsonObject o(text, [&file](const JsonRefusal& r) {
        using P = JsonRefusal::Problem;
        switch (r.problem) {
            case P::NotJson:
            case P::NotObject:
                throw refusal(file, "not an enrolment request (a JSON object made by passerelle enrol)");
            case P::Missing:
                throw refusal(file, "the enrolment request has no '" + r.member + "'");
            case P::Unknown:
                throw refusal(file, "the enrolment request has an unknown member" +
                                        (r.member.empty() ? std::string() : " '" + r.member + "'"));
            default:
                throw refusal(file, "the enrolment request's '" + r.member + "' is not a string");
        }
    });
    if (o.text("format") != kEnrolmentRequestFormat) {
        throw refusal(file, "not an enrolment request of format " + std::string(kEnrolmentRequestFormat));
    }
    EnrolmentRequest request;
    request.party = o.text("party");
    request.uai = o.text("uai");
    request.name = o.text("name");
    request.contact = o.text("contact");
    request.csrPem = o.text("csr");
    request.publicKeys = o.text("public_keys");
    request.created = o.text("created");
    o.refuseOtherMembers();
    // It names a key file and a configuration section on the Region: checked here, never quoted.
    if (!PartyId::isValid(request.party)) {
        throw refusal(file, std::string("the enrolment request's 'party' is not a party id (") +
                                identifier_rules::Name::kRule + ")");
    }
    return request;
}

std::string enrolmentFingerprint(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const auto digest = sha256(bytes);
    // 80 bits = 10 bytes = 16 base32 digits of 5 bits.
    std::string text;
    for (int digit = 0; digit < 16; ++digit) {
        unsigned value = 0;
        for (int bit = 0; bit < 5; ++bit) {
            const int at = digit * 5 + bit;
            value = (value << 1) | ((digest[static_cast<std::size_t>(at / 8)] >> (7 - at % 8)) & 1u);
        }
        if (digit > 0 && digit % 4 == 0) text += '-';
        text += kAlphabet[value];
    }
    return text;
}

bool fingerprintMatches(std::string_view typed, std::string_view expected) {
    const std::string a = squeezed(typed);
    return !a.empty() && a == squeezed(expected);
}

std::string sha256Hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : sha256(bytes)) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

}  // namespace passerelle::federation
