#pragma once
// The manifest says who sent which batch to whom, for which purpose, with which
// fields, and binds the ciphertext by digest. It is signed byte for byte in its
// canonical JSON form (docs/batch-format.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::privacy {

// Who a manifest says signed it, read before its signature is checked: the lookup picks the
// sender's key the manifest names, valid at its created_at (privacy/key_history.h). It reads
// as the sender's name, so a lookup that needs only the name takes a `const std::string&`.
struct ManifestSigner {
    std::string sender;
    std::string keyId;      // sender_key_id; empty when absent (the manifest is then malformed)
    std::string createdAt;  // created_at; empty when absent
    operator const std::string&() const { return sender; }  // NOLINT(google-explicit-constructor)
};

struct Manifest {
    static constexpr int kFormatVersion = 1;
    static constexpr std::size_t kMaxBytes = 64 * 1024;

    int formatVersion = kFormatVersion;
    std::string batchId, sender, recipient, purpose;
    std::vector<std::string> fields;
    std::uint64_t recordCount = 0;
    std::string senderKeyId, recipientKeyId, payloadDigest /* "sha256:<hex>" */, createdAt;

    // Fixed key order, no whitespace, minimal escaping; UTF-8 passed through.
    std::string canonicalJson() const;
    // Throws BatchFormatError: Malformed naming the missing or wrong key,
    // UnsupportedVersion for format_version != 1.
    static Manifest parse(std::string_view json);
    // Only the "sender" member, so the signature can be checked before anything else is trusted.
    static std::string senderOf(std::string_view json);
    // Its sender, sender_key_id and created_at, before the signature is checked.
    static ManifestSigner signerOf(std::string_view json);

    bool operator==(const Manifest&) const = default;
};

// 16 random bytes as 32 hex chars.
std::string newBatchId();

}  // namespace passerelle::privacy
