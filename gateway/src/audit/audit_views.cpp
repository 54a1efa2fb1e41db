#include "audit/audit_views.h"

#include "common/csv_text.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "ledger/merkle.h"

#include <Poco/JSON/Array.h>

#include <sstream>

namespace passerelle::exchange {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr entryJson(const ledger::LedgerEntry& e) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("index", e.index);
    o->set("time", e.time);
    o->set("actor", e.actor);
    o->set("operation", e.operation);
    o->set("purpose", e.purpose);
    o->set("legal_basis", e.legalBasis);
    o->set("counterpart", e.counterpart);
    Array::Ptr fields = new Array;
    for (const std::string& f : e.fields) fields->add(f);
    o->set("fields", fields);
    o->set("record_count", e.recordCount);
    o->set("batch_id", e.batchId);
    o->set("payload_digest", e.payloadDigest);
    o->set("outcome", e.outcome);
    o->set("reason", e.reason);
    return o;
}

Object::Ptr checkpointJson(const ledger::Checkpoint& c, const std::string& type) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("type", type);
    o->set("origin", c.origin);
    o->set("tree_size", c.treeSize);
    o->set("root_hash", toHex(c.rootHash));
    o->set("time", c.time);
    o->set("key_id", c.keyId);
    o->set("signature", toBase64(c.signature));
    o->set("signed_b64", toBase64(asBytes(c.signedBytes())));
    return o;
}

Object::Ptr proofJson(const ledger::InclusionProof& p) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("index", p.index);
    o->set("tree_size", p.treeSize);
    o->set("leaf_hash", toHex(p.leafHash));
    Array::Ptr path = new Array;
    for (const auto& h : p.path) path->add(toHex(h));
    o->set("path", path);
    o->set("root_hash", toHex(p.rootHash));
    o->set("verifies", ledger::merkle::verifyInclusion(p.leafHash, p.index - 1, p.treeSize, p.path, p.rootHash));
    return o;
}

ProvenEntry proveEntry(ledger::Ledger& ledger, std::uint64_t index) {
    ProvenEntry out;
    const auto entry = ledger.entry(index);
    if (!entry) {
        throw LedgerError("ledger " + ledger.name() + " has no entry " + std::to_string(index) + " (it holds " +
                          std::to_string(ledger.size()) + ")");
    }
    out.entry = *entry;
    auto checkpoint = ledger.latestCheckpoint();
    if (!checkpoint || checkpoint->treeSize < index) checkpoint = ledger.checkpoint();
    out.checkpoint = *checkpoint;
    out.proof = ledger.inclusionProof(index, checkpoint->treeSize);
    out.verifies = out.proof.rootHash == checkpoint->rootHash &&
                   ledger::merkle::verifyInclusion(out.proof.leafHash, index - 1, out.proof.treeSize, out.proof.path,
                                                   checkpoint->rootHash);
    return out;
}

std::string toJsonText(const Object::Ptr& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

void exportJsonLines(const ledger::LedgerReader& ledger, const std::string& party,
                     const std::map<std::string, ledger::SignKey>& signKeys, std::ostream& out) {
    Object::Ptr header = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    header->set("type", "ledger");
    header->set("party", party);
    header->set("tree", "RFC 9162 SHA-256: leaf = H(0x00 || entry bytes), node = H(0x01 || left || right)");
    Object::Ptr keys = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [id, key] : signKeys) keys->set(id, toHex(key));
    header->set("sign_public_keys", keys);
    out << toJsonText(header) << "\n";
    constexpr std::uint64_t kChunk = 4096;
    for (std::uint64_t from = 1;;) {
        const auto chunk = ledger.entries(from, kChunk);
        for (const auto& e : chunk) {
            const std::string bytes = ledger.entryBytes(e.index).value_or("");
            Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            o->set("type", "entry");
            o->set("index", e.index);
            // A purged entry keeps only its leaf hash: entry_b64 is then empty.
            o->set("entry_b64", toBase64(asBytes(bytes)));
            o->set("leaf_hash", toHex(bytes.empty() ? ledger.leafHashAt(e.index).value_or(ledger::Hash{})
                                                    : ledger::leafHash(bytes)));
            const Object::Ptr decoded = entryJson(e);
            for (const auto& [key, value] : *decoded) {
                if (key != "index") o->set(key, value);
            }
            out << toJsonText(o) << "\n";
        }
        if (chunk.size() < kChunk) break;
        from = chunk.back().index + 1;
    }
    for (const auto& c : ledger.checkpoints()) out << toJsonText(checkpointJson(c)) << "\n";
    for (const auto& c : ledger.peerCheckpoints()) out << toJsonText(checkpointJson(c, "counterpart_checkpoint")) << "\n";
}

void exportCsv(const std::vector<ledger::LedgerEntry>& entries, std::ostream& out) {
    out << "index,time,actor,operation,purpose,legal_basis,counterpart,fields,record_count,batch_id,payload_digest,"
           "outcome,reason\r\n";
    for (const auto& e : entries) {
        std::string fields;
        for (const auto& f : e.fields) fields += (fields.empty() ? "" : " ") + f;
        out << e.index << "," << csvCell(e.time) << "," << csvCell(e.actor) << "," << csvCell(e.operation) << ","
            << csvCell(e.purpose) << "," << csvCell(e.legalBasis) << "," << csvCell(e.counterpart) << ","
            << csvCell(fields) << "," << e.recordCount << "," << csvCell(e.batchId) << ","
            << csvCell(e.payloadDigest) << "," << csvCell(e.outcome) << "," << csvCell(e.reason) << "\r\n";
    }
}

}  // namespace passerelle::exchange
