#include "ledger/entry.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "common/errors.h"
#include "common/json_text.h"
#include "privacy/manifest.h"

namespace passerelle::ledger {
namespace {


void appendString(std::string& out, std::string_view key, std::string_view value) {
    if (!isValidUtf8(value)) {
        throw LedgerError("ledger entry field '" + std::string(key) +
                          "' is not valid UTF-8; fix the caller that built this entry");
    }
    appendJsonString(out, value);
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

LedgerEntry LedgerEntry::of(Operation op, Outcome result, std::string actor, std::string reason) {
    LedgerEntry entry;
    entry.actor = std::move(actor);
    entry.set(op, result);
    entry.reason = std::move(reason);
    return entry;
}

LedgerEntry LedgerEntry::fromPeer(Operation op, Outcome result, std::string peerSubject,
                                  std::string peerParty, std::string reason) {
    LedgerEntry entry = of(op, result, std::move(peerSubject), std::move(reason));
    entry.counterpart = std::move(peerParty);
    return entry;
}

LedgerEntry LedgerEntry::aboutBatch(Operation op, Outcome result, std::string actor,
                                    const privacy::Manifest& manifest, std::string legalBasis,
                                    std::string counterpart) {
    LedgerEntry entry = of(op, result, std::move(actor));
    entry.purpose = manifest.purpose;
    entry.legal_basis = std::move(legalBasis);
    entry.counterpart = std::move(counterpart);
    entry.fields = manifest.fields;
    entry.record_count = manifest.record_count;
    entry.batch_id = manifest.batch_id;
    entry.payload_digest = manifest.payload_digest;
    return entry;
}

}  // namespace passerelle::ledger
