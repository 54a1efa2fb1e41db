#pragma once
// What the CA issued and revoked: issued.jsonl in its folder, one JSON object a
// line, only ever appended (an issuance, then perhaps its revocation), so the
// file itself is the history an auditor reads next to the ledger.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "federation/revocation_reason.h"

namespace passerelle::federation {

struct Revocation {
    RevocationReason reason = RevocationReason::Unspecified;
    std::string time;  // RFC 3339 UTC
};

struct IssuedCertificate {
    std::string serial;  // upper-case hex
    std::string party;
    std::string notBefore, notAfter;  // RFC 3339 UTC
    std::string sha256;               // fingerprint of the DER certificate, lower-case hex
    bool server = false;              // serverAuth as well as clientAuth
    std::optional<Revocation> revocation;
};

class IssuedIndex {
public:
    explicit IssuedIndex(std::filesystem::path file) : file_(std::move(file)) {}

    // Every certificate issued, in order, with its revocation; CaError naming the
    // file and line for a line it cannot read. Empty when the file does not exist.
    std::vector<IssuedCertificate> read() const;
    void recordIssued(const IssuedCertificate& certificate) const;
    void recordRevoked(const std::string& serial, const Revocation& revocation) const;

private:
    std::filesystem::path file_;
};

}  // namespace passerelle::federation
