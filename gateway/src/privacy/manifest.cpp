#include "privacy/manifest.h"

#include "common/encoding.h"
#include "common/identifiers.h"
#include "common/json_text.h"
#include "common/random_id.h"
#include "common/strict_json.h"
#include "privacy/batch_errors.h"

#include <utility>

namespace passerelle::privacy {

namespace {

[[noreturn]] void malformed(const std::string& what) {
    throw BatchFormatError(BatchProblem::Malformed, "manifest: " + what);
}

void refuse(const JsonRefusal& r) {
    using P = JsonRefusal::Problem;
    const std::string key = "key \"" + r.member + "\"";
    switch (r.problem) {
        case P::NotJson: malformed("not valid JSON (" + r.parserMessage + ")");
        case P::NotObject: malformed("top level is not a JSON object");
        case P::Missing: malformed("missing key \"" + r.member + "\"");
        case P::NotString: malformed(key + " must be a string");
        case P::NotInteger: malformed(key + " must be an integer");
        case P::OutOfRange: malformed(key + " is out of range");
        case P::NotArray:
        case P::NotStringArray: malformed(key + " must be an array of strings");
        case P::Unknown: break;  // refused below, by the canonical form
    }
    malformed("not in canonical form (unknown keys, key order, whitespace or escaping)");
}

StrictJsonObject parseObject(std::string_view json) {
    if (json.size() > Manifest::kMaxBytes) {
        malformed("larger than " + std::to_string(Manifest::kMaxBytes) + " bytes");
    }
    return StrictJsonObject(json, refuse);
}

std::int64_t atLeast(StrictJsonObject& obj, const std::string& key, std::int64_t min) {
    const std::int64_t n = obj.integer(key);
    if (n < min) {
        malformed("key \"" + key + "\" must be at least " + std::to_string(min));
    }
    return n;
}

// A string key whose value becomes a folder name, a ledger entry or a lookup key:
// checked here, where it is read, by the identifier's own rule.
template <typename Id>
std::string getIdentifier(StrictJsonObject& obj, const std::string& key) {
    std::string value = obj.text(key);
    try {
        Id::parse(value);
    } catch (const IdentifierError& e) {
        malformed("key \"" + key + "\": " + e.what());
    }
    return value;
}

}  // namespace

std::string Manifest::canonicalJson() const {
    std::string out;
    out.reserve(256 + fields.size() * 24);
    out += '{';
    appendJsonMemberName(out, "format_version");
    out += std::to_string(formatVersion);
    out += ',';
    appendJsonMemberName(out, "batch_id");
    appendJsonString(out, batchId);
    out += ',';
    appendJsonMemberName(out, "sender");
    appendJsonString(out, sender);
    out += ',';
    appendJsonMemberName(out, "recipient");
    appendJsonString(out, recipient);
    out += ',';
    appendJsonMemberName(out, "purpose");
    appendJsonString(out, purpose);
    out += ',';
    appendJsonMemberName(out, "fields");
    out += '[';
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        appendJsonString(out, fields[i]);
    }
    out += "],";
    appendJsonMemberName(out, "record_count");
    out += std::to_string(recordCount);
    out += ',';
    appendJsonMemberName(out, "sender_key_id");
    appendJsonString(out, senderKeyId);
    out += ',';
    appendJsonMemberName(out, "recipient_key_id");
    appendJsonString(out, recipientKeyId);
    out += ',';
    appendJsonMemberName(out, "payload_digest");
    appendJsonString(out, payloadDigest);
    out += ',';
    appendJsonMemberName(out, "created_at");
    appendJsonString(out, createdAt);
    out += '}';
    return out;
}

std::string Manifest::senderOf(std::string_view json) { return parseObject(json).text("sender"); }

ManifestSigner Manifest::signerOf(std::string_view json) {
    StrictJsonObject obj = parseObject(json);
    ManifestSigner signer;
    signer.sender = obj.text("sender");
    // Their shape is checked after the signature (Manifest::parse); only strings are used here.
    for (auto [member, out] : {std::pair{"sender_key_id", &signer.keyId}, std::pair{"created_at", &signer.createdAt}}) {
        try {
            if (obj.has(member)) *out = obj.text(member);
        } catch (const BatchFormatError&) {
        }
    }
    return signer;
}

Manifest Manifest::parse(std::string_view json) {
    StrictJsonObject obj = parseObject(json);
    Manifest m;
    const std::int64_t version = atLeast(obj, "format_version", 0);
    if (version != kFormatVersion) {
        throw BatchFormatError(BatchProblem::UnsupportedVersion,
                               "unsupported batch format version " + std::to_string(version) +
                                   " (this gateway reads " + std::to_string(kFormatVersion) + ")");
    }
    m.formatVersion = static_cast<int>(version);
    m.batchId = getIdentifier<BatchId>(obj, "batch_id");
    m.sender = getIdentifier<PartyId>(obj, "sender");
    m.recipient = getIdentifier<PartyId>(obj, "recipient");
    m.purpose = getIdentifier<PurposeId>(obj, "purpose");
    m.fields = obj.texts("fields");
    if (m.fields.empty()) {
        malformed("key \"fields\" must not be empty");
    }
    m.recordCount = static_cast<std::uint64_t>(atLeast(obj, "record_count", 0));
    m.senderKeyId = obj.text("sender_key_id");
    m.recipientKeyId = obj.text("recipient_key_id");
    m.payloadDigest = obj.text("payload_digest");
    m.createdAt = obj.text("created_at");
    if (!isLowerHex(m.senderKeyId, 16)) {
        malformed("key \"sender_key_id\" must be a key id: 16 lower-case hex characters");
    }
    if (!isLowerHex(m.recipientKeyId, 16)) {
        malformed("key \"recipient_key_id\" must be a key id: 16 lower-case hex characters");
    }
    if (m.payloadDigest.rfind("sha256:", 0) != 0 || !isLowerHex(std::string_view(m.payloadDigest).substr(7), 64)) {
        malformed("key \"payload_digest\" must be \"sha256:\" followed by 64 hex characters");
    }
    // Only the canonical form is accepted: no duplicate keys, extra keys or
    // alternative encodings that two parsers could read differently.
    if (m.canonicalJson() != json) {
        malformed("not in canonical form (unknown keys, key order, whitespace or escaping)");
    }
    return m;
}

std::string newBatchId() { return randomHex(16); }

}  // namespace passerelle::privacy
