#include "ledger/entry.h"

#include "common/errors.h"
#include "common/json_text.h"
#include "common/strict_json.h"
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
    appendJsonMemberName(out, key);
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

void refuse(const JsonRefusal& r) {
    using P = JsonRefusal::Problem;
    const std::string key = "key '" + r.member + "'";
    switch (r.problem) {
        case P::NotJson: refuse("not valid JSON (" + r.parserMessage + ")");
        case P::NotObject: refuse("not a JSON object");
        case P::Missing:
        case P::NotArray:
            if (r.member == "fields") refuse("key 'fields' is missing or not an array");
            if (r.problem == P::Missing) refuse(key + " is missing");
            break;
        case P::NotString: refuse(key + " is not a string");
        case P::NotInteger: refuse(key + " is not an integer");
        case P::OutOfRange: refuse(key + " is not an unsigned 64-bit integer");
        case P::NotStringArray: refuse("an element of '" + r.member + "' is not a string");
        case P::Unknown: break;
    }
    refuse("bytes differ from the canonical form of their content");
}

constexpr std::size_t kMemberCount = 13;

}  // namespace

std::string canonicalBytes(const LedgerEntry& e) {
    // Keys in lexicographic order (RFC 8785 sorts them; this fixes the order).
    std::string out;
    out.reserve(256);
    out += '{';
    appendStringMember(out, "actor", e.actor, true);
    appendStringMember(out, "batch_id", e.batchId);
    appendStringMember(out, "counterpart", e.counterpart);
    appendKey(out, "fields");
    out += '[';
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
        if (i != 0) out += ',';
        appendString(out, "fields", e.fields[i]);
    }
    out += ']';
    appendNumberMember(out, "index", e.index);
    appendStringMember(out, "legal_basis", e.legalBasis);
    appendStringMember(out, "operation", e.operation);
    appendStringMember(out, "outcome", e.outcome);
    appendStringMember(out, "payload_digest", e.payloadDigest);
    appendStringMember(out, "purpose", e.purpose);
    appendStringMember(out, "reason", e.reason);
    appendNumberMember(out, "record_count", e.recordCount);
    appendStringMember(out, "time", e.time);
    out += '}';
    return out;
}

LedgerEntry parseEntry(std::string_view bytes) {
    StrictJsonObject object(bytes, [](const JsonRefusal& r) { refuse(r); });
    if (object.size() != kMemberCount)
        refuse("it does not have exactly " + std::to_string(kMemberCount) + " keys");

    LedgerEntry e;
    e.actor = object.text("actor");
    e.batchId = object.text("batch_id");
    e.counterpart = object.text("counterpart");
    e.index = object.count("index");
    e.legalBasis = object.text("legal_basis");
    e.operation = object.text("operation");
    e.outcome = object.text("outcome");
    e.payloadDigest = object.text("payload_digest");
    e.purpose = object.text("purpose");
    e.reason = object.text("reason");
    e.recordCount = object.count("record_count");
    e.time = object.text("time");
    e.fields = object.texts("fields");

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
    entry.legalBasis = std::move(legalBasis);
    entry.counterpart = std::move(counterpart);
    entry.fields = manifest.fields;
    entry.recordCount = manifest.recordCount;
    entry.batchId = manifest.batchId;
    entry.payloadDigest = manifest.payloadDigest;
    return entry;
}

}  // namespace passerelle::ledger
