#include "privacy/manifest.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sodium.h>

#include <algorithm>
#include <limits>

#include "common/encoding.h"
#include "common/identifiers.h"
#include "common/json_text.h"
#include "privacy/batch_errors.h"
#include "privacy/sodium_init.h"

namespace passerelle::privacy {

namespace {


void appendKey(std::string& out, std::string_view key) {
    appendJsonString(out, key);
    out += ':';
}

[[noreturn]] void malformed(const std::string& what) {
    throw BatchFormatError(BatchProblem::Malformed, "manifest: " + what);
}

Poco::JSON::Object::Ptr parseObject(std::string_view json) {
    if (json.size() > Manifest::kMaxBytes) {
        malformed("larger than " + std::to_string(Manifest::kMaxBytes) + " bytes");
    }
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var root = parser.parse(std::string(json));
        if (root.type() != typeid(Poco::JSON::Object::Ptr)) {
            malformed("top level is not a JSON object");
        }
        return root.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        malformed("not valid JSON (" + e.message() + ")");
    }
}

std::string getString(const Poco::JSON::Object& obj, const std::string& key) {
    if (!obj.has(key)) {
        malformed("missing key \"" + key + "\"");
    }
    const Poco::Dynamic::Var v = obj.get(key);
    if (!v.isString()) {
        malformed("key \"" + key + "\" must be a string");
    }
    return v.extract<std::string>();
}

// A string key whose value becomes a folder name, a ledger entry or a lookup key:
// checked here, where it is read, by the identifier's own rule.
template <typename Id>
std::string getIdentifier(const Poco::JSON::Object& obj, const std::string& key) {
    std::string value = getString(obj, key);
    try {
        Id::parse(value);
    } catch (const IdentifierError& e) {
        malformed("key \"" + key + "\": " + e.what());
    }
    return value;
}

bool isLowerHex(std::string_view s, std::size_t size) {
    return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::int64_t getInteger(const Poco::JSON::Object& obj, const std::string& key, std::int64_t min) {
    if (!obj.has(key)) {
        malformed("missing key \"" + key + "\"");
    }
    const Poco::Dynamic::Var v = obj.get(key);
    if (!v.isInteger()) {
        malformed("key \"" + key + "\" must be an integer");
    }
    try {
        const std::int64_t n = v.convert<std::int64_t>();
        if (n < min) {
            malformed("key \"" + key + "\" must be at least " + std::to_string(min));
        }
        return n;
    } catch (const Poco::Exception&) {
        malformed("key \"" + key + "\" is out of range");
    }
}

}  // namespace

std::string Manifest::canonicalJson() const {
    std::string out;
    out.reserve(256 + fields.size() * 24);
    out += '{';
    appendKey(out, "format_version");
    out += std::to_string(format_version);
    out += ',';
    appendKey(out, "batch_id");
    appendJsonString(out, batch_id);
    out += ',';
    appendKey(out, "sender");
    appendJsonString(out, sender);
    out += ',';
    appendKey(out, "recipient");
    appendJsonString(out, recipient);
    out += ',';
    appendKey(out, "purpose");
    appendJsonString(out, purpose);
    out += ',';
    appendKey(out, "fields");
    out += '[';
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        appendJsonString(out, fields[i]);
    }
    out += "],";
    appendKey(out, "record_count");
    out += std::to_string(record_count);
    out += ',';
    appendKey(out, "sender_key_id");
    appendJsonString(out, sender_key_id);
    out += ',';
    appendKey(out, "recipient_key_id");
    appendJsonString(out, recipient_key_id);
    out += ',';
    appendKey(out, "payload_digest");
    appendJsonString(out, payload_digest);
    out += ',';
    appendKey(out, "created_at");
    appendJsonString(out, created_at);
    out += '}';
    return out;
}

std::string Manifest::senderOf(std::string_view json) { return getString(*parseObject(json), "sender"); }

Manifest Manifest::parse(std::string_view json) {
    const Poco::JSON::Object::Ptr obj = parseObject(json);
    Manifest m;
    const std::int64_t version = getInteger(*obj, "format_version", 0);
    if (version != kFormatVersion) {
        throw BatchFormatError(BatchProblem::UnsupportedVersion,
                               "unsupported batch format version " + std::to_string(version) +
                                   " (this gateway reads " + std::to_string(kFormatVersion) + ")");
    }
    m.format_version = static_cast<int>(version);
    m.batch_id = getIdentifier<BatchId>(*obj, "batch_id");
    m.sender = getIdentifier<PartyId>(*obj, "sender");
    m.recipient = getIdentifier<PartyId>(*obj, "recipient");
    m.purpose = getIdentifier<PurposeId>(*obj, "purpose");
    if (!obj->has("fields") || !obj->isArray("fields")) {
        malformed(obj->has("fields") ? "key \"fields\" must be an array of strings"
                                     : "missing key \"fields\"");
    }
    const Poco::JSON::Array::Ptr fields = obj->getArray("fields");
    for (std::size_t i = 0; i < fields->size(); ++i) {
        const Poco::Dynamic::Var v = fields->get(static_cast<unsigned>(i));
        if (!v.isString()) {
            malformed("key \"fields\" must be an array of strings");
        }
        m.fields.push_back(v.extract<std::string>());
    }
    if (m.fields.empty()) {
        malformed("key \"fields\" must not be empty");
    }
    m.record_count = static_cast<std::uint64_t>(getInteger(*obj, "record_count", 0));
    m.sender_key_id = getString(*obj, "sender_key_id");
    m.recipient_key_id = getString(*obj, "recipient_key_id");
    m.payload_digest = getString(*obj, "payload_digest");
    m.created_at = getString(*obj, "created_at");
    if (!isLowerHex(m.sender_key_id, 16)) {
        malformed("key \"sender_key_id\" must be a key id: 16 lower-case hex characters");
    }
    if (!isLowerHex(m.recipient_key_id, 16)) {
        malformed("key \"recipient_key_id\" must be a key id: 16 lower-case hex characters");
    }
    if (m.payload_digest.rfind("sha256:", 0) != 0 || !isLowerHex(std::string_view(m.payload_digest).substr(7), 64)) {
        malformed("key \"payload_digest\" must be \"sha256:\" followed by 64 hex characters");
    }
    // Only the canonical form is accepted: no duplicate keys, extra keys or
    // alternative encodings that two parsers could read differently.
    if (m.canonicalJson() != json) {
        malformed("not in canonical form (unknown keys, key order, whitespace or escaping)");
    }
    return m;
}

std::string newBatchId() {
    ensureSodium();
    std::uint8_t id[16];
    randombytes_buf(id, sizeof id);
    return toHex(id);
}

}  // namespace passerelle::privacy
