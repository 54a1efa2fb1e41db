#include "ledger/entry.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "common/errors.h"

namespace passerelle::ledger {
namespace {

// Accepts only well-formed UTF-8: no overlong forms, no surrogates, nothing
// above U+10FFFF. Canonical bytes must have exactly one spelling.
bool isValidUtf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) return false;  // truncated sequence
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

void appendString(std::string& out, std::string_view key, std::string_view value) {
    if (!isValidUtf8(value)) {
        throw LedgerError("ledger entry field '" + std::string(key) +
                          "' is not valid UTF-8; fix the caller that built this entry");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0x0F];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

void appendKey(std::string& out, std::string_view key, bool first = false) {
    if (!first) out += ',';
    out += '"';
    out += key;
    out += "\":";
}

void appendStringMember(std::string& out, std::string_view key, const std::string& value,
                        bool first = false) {
    appendKey(out, key, first);
    appendString(out, key, value);
}

void appendNumberMember(std::string& out, std::string_view key, std::uint64_t value) {
    appendKey(out, key);
    out += std::to_string(value);
}

[[noreturn]] void refuse(const std::string& why) {
    throw LedgerError("not a canonical ledger entry: " + why);
}

std::string stringMember(const Poco::JSON::Object& object, const std::string& key) {
    if (!object.has(key)) refuse("key '" + key + "' is missing");
    const Poco::Dynamic::Var value = object.get(key);
    if (!value.isString()) refuse("key '" + key + "' is not a string");
    return value.extract<std::string>();
}

std::uint64_t numberMember(const Poco::JSON::Object& object, const std::string& key) {
    if (!object.has(key)) refuse("key '" + key + "' is missing");
    const Poco::Dynamic::Var value = object.get(key);
    if (!value.isInteger() || value.isBoolean()) refuse("key '" + key + "' is not an integer");
    try {
        return value.convert<std::uint64_t>();
    } catch (const Poco::Exception&) {
        refuse("key '" + key + "' is not an unsigned 64-bit integer");
    }
}

constexpr std::size_t kMemberCount = 13;

}  // namespace

std::string canonicalBytes(const LedgerEntry& e) {
    // Keys in lexicographic order (RFC 8785 sorts them; this fixes the order).
    std::string out;
    out.reserve(256);
    out += '{';
    appendStringMember(out, "actor", e.actor, true);
    appendStringMember(out, "batch_id", e.batch_id);
    appendStringMember(out, "counterpart", e.counterpart);
    appendKey(out, "fields");
    out += '[';
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
        if (i != 0) out += ',';
        appendString(out, "fields", e.fields[i]);
    }
    out += ']';
    appendNumberMember(out, "index", e.index);
    appendStringMember(out, "legal_basis", e.legal_basis);
    appendStringMember(out, "operation", e.operation);
    appendStringMember(out, "outcome", e.outcome);
    appendStringMember(out, "payload_digest", e.payload_digest);
    appendStringMember(out, "purpose", e.purpose);
    appendStringMember(out, "reason", e.reason);
    appendNumberMember(out, "record_count", e.record_count);
    appendStringMember(out, "time", e.time);
    out += '}';
    return out;
}

LedgerEntry parseEntry(std::string_view bytes) {
    Poco::JSON::Object::Ptr object;
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(std::string(bytes));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) refuse("not a JSON object");
        object = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const LedgerError&) {
        throw;
    } catch (const Poco::Exception& ex) {
        refuse("not valid JSON (" + ex.message() + ")");
    }
    if (object->size() != kMemberCount)
        refuse("it does not have exactly " + std::to_string(kMemberCount) + " keys");

    LedgerEntry e;
    e.actor = stringMember(*object, "actor");
    e.batch_id = stringMember(*object, "batch_id");
    e.counterpart = stringMember(*object, "counterpart");
    e.index = numberMember(*object, "index");
    e.legal_basis = stringMember(*object, "legal_basis");
    e.operation = stringMember(*object, "operation");
    e.outcome = stringMember(*object, "outcome");
    e.payload_digest = stringMember(*object, "payload_digest");
    e.purpose = stringMember(*object, "purpose");
    e.reason = stringMember(*object, "reason");
    e.record_count = numberMember(*object, "record_count");
    e.time = stringMember(*object, "time");

    const Poco::JSON::Array::Ptr fields = object->getArray("fields");
    if (fields.isNull()) refuse("key 'fields' is missing or not an array");
    for (std::size_t i = 0; i < fields->size(); ++i) {
        const Poco::Dynamic::Var field = fields->get(static_cast<unsigned>(i));
        if (!field.isString()) refuse("an element of 'fields' is not a string");
        e.fields.push_back(field.extract<std::string>());
    }

    // Same value, different spelling (spacing, escapes, key order, duplicate
    // keys) is refused: only one byte string may stand for an entry.
    if (canonicalBytes(e) != bytes) refuse("bytes differ from the canonical form of their content");
    return e;
}

}  // namespace passerelle::ledger
