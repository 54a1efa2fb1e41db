#include "ledger/checkpoint.h"

#include "common/encoding.h"
#include "common/errors.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>

namespace passerelle::ledger {
namespace {

constexpr std::string_view kHeader = "passerelle-checkpoint v1\n";

// Reads "key: value\n" at the front of `rest`, returning the value.
std::string_view takeLine(std::string_view& rest, std::string_view key) {
    const std::string prefix = std::string(key) + ": ";
    const auto end = rest.find('\n');
    if (!rest.starts_with(prefix) || end == std::string_view::npos) {
        throw LedgerError("checkpoint: expected the line '" + std::string(key) + ": ...'");
    }
    const std::string_view value = rest.substr(prefix.size(), end - prefix.size());
    rest.remove_prefix(end + 1);
    return value;
}

}  // namespace

std::string Checkpoint::signedBytes() const {
    std::string out(kHeader);
    out += "origin: " + origin + "\n";
    out += "tree_size: " + std::to_string(treeSize) + "\n";
    out += "root_hash: " + toHex(rootHash) + "\n";
    out += "time: " + time + "\n";
    out += "key_id: " + keyId + "\n";
    return out;
}

bool Checkpoint::signatureVerifies(const SignKey& key) const {
    const std::string bytes = signedBytes();
    return crypto_sign_verify_detached(signature.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                       bytes.size(), key.data()) == 0;
}

Checkpoint parseCheckpoint(std::string_view bytes, std::span<const std::uint8_t> signature) {
    if (!bytes.starts_with(kHeader)) {
        throw LedgerError("checkpoint: not a passerelle-checkpoint v1 text");
    }
    std::string_view rest = bytes.substr(kHeader.size());
    Checkpoint c;
    c.origin = std::string(takeLine(rest, "origin"));
    const std::string_view size = takeLine(rest, "tree_size");
    const auto parsed = std::from_chars(size.data(), size.data() + size.size(), c.treeSize);
    if (size.empty() || parsed.ec != std::errc() || parsed.ptr != size.data() + size.size() ||
        (size.size() > 1 && size.front() == '0')) {
        throw LedgerError("checkpoint: tree_size is not a decimal number");
    }
    const std::string_view root = takeLine(rest, "root_hash");
    if (!isLowerHex(root, 64)) throw LedgerError("checkpoint: root_hash is not 64 lower-case hex");
    const auto rootBytes = fromHex(root, 32);
    std::copy(rootBytes.begin(), rootBytes.end(), c.rootHash.begin());
    c.time = std::string(takeLine(rest, "time"));
    c.keyId = std::string(takeLine(rest, "key_id"));
    if (!isLowerHex(c.keyId, 16)) throw LedgerError("checkpoint: key_id is not 16 lower-case hex");
    if (!rest.empty()) throw LedgerError("checkpoint: unexpected text after key_id");
    if (signature.size() != c.signature.size()) throw LedgerError("checkpoint: a signature has 64 bytes");
    std::copy(signature.begin(), signature.end(), c.signature.begin());
    if (c.signedBytes() != bytes) throw LedgerError("checkpoint: not in canonical form");
    return c;
}

std::string describe(const Checkpoint& checkpoint) {
    return std::to_string(checkpoint.treeSize) + " " + toHex(checkpoint.rootHash);
}

}  // namespace passerelle::ledger
