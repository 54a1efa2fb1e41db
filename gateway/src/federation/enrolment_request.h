#pragma once
// The enrolment request an institution writes (`passerelle enrol`) and the Region
// reads (`passerelle peers add`): one JSON file with the party id, its UAI, its
// certificate signing request and its public.keys, and the short fingerprint of the
// file's exact bytes the two read to each other over the phone (docs/federation.md).

#include <filesystem>
#include <string>
#include <string_view>

#include "common/errors.h"

namespace passerelle::federation {

// An enrolment cannot go on; the message names the file or the check that failed,
// and nothing was changed.
class EnrolmentError : public Error {
public:
    using Error::Error;
};

inline constexpr std::string_view kEnrolmentRequestFormat = "passerelle-enrolment-request/1";

struct EnrolmentRequest {
    std::string party;
    std::string uai;
    std::string name;        // the institution's name
    std::string contact;     // a service address (never a person's)
    std::string csrPem;      // CN = party
    std::string publicKeys;  // the public.keys file's text
    std::string created;     // RFC 3339 UTC

    // The file's bytes: compact JSON, members in this order, then a newline.
    std::string toJson() const;
    // EnrolmentError naming `file` when `text` is not such a document (a member
    // missing, not a string, unknown, or the format tag another).
    static EnrolmentError refusal(const std::filesystem::path& file, const std::string& why);
    static EnrolmentRequest parse(std::string_view text, const std::filesystem::path& file);
};

// What is read over the phone: SHA-256 of the bytes, its first 80 bits in base32
// (RFC 4648), in four groups of four: "ABCD-EFGH-IJKL-MNOP".
std::string enrolmentFingerprint(std::string_view bytes);
// True when `typed` is that fingerprint, ignoring case, spaces and dashes.
bool fingerprintMatches(std::string_view typed, std::string_view expected);

// Lower-case hex SHA-256 of `bytes`.
std::string sha256Hex(std::string_view bytes);

}  // namespace passerelle::federation
