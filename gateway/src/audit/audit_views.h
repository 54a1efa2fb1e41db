#pragma once
// The ledger as the DPO's tools show it (`passerelle audit list|show|export`
// and the console): one spelling of each entry, checkpoint and proof in JSON
// and CSV, so the CLI and the console never disagree.

#include "ledger/ledger.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace passerelle::exchange {

// The entry's decoded fields: index, time, actor, operation, purpose,
// legal_basis, counterpart, fields (array), record_count, batch_id,
// payload_digest, outcome, reason.
Poco::JSON::Object::Ptr entryJson(const ledger::LedgerEntry& entry);

// {"type": type, "origin", "tree_size", "root_hash" (hex), "time", "key_id",
//  "signature" (base64), "signed_b64" (the exact signed bytes, base64)}.
Poco::JSON::Object::Ptr checkpointJson(const ledger::Checkpoint& checkpoint, const std::string& type = "checkpoint");

// {"index", "tree_size", "leaf_hash", "path": [hex...], "root_hash", "verifies": bool}.
Poco::JSON::Object::Ptr proofJson(const ledger::InclusionProof& proof);

// One entry with its proof against the newest checkpoint, signing one first when
// the entry is newer than it (as shutdown would).
struct ProvenEntry {
    ledger::LedgerEntry entry;
    ledger::InclusionProof proof;
    ledger::Checkpoint checkpoint;
    bool verifies = false;  // the proof recomputes the checkpoint's root
};
ProvenEntry proveEntry(ledger::Ledger& ledger, std::uint64_t index);

// JSON Lines: a "ledger" header naming the party and its Ed25519 keys by key id
// (current and retired: older checkpoints were signed with the latter), then per
// entry {"type":"entry","index","entry_b64","leaf_hash", ...entryJson}, then
// the own checkpoints ("checkpoint") and the counterparts' ("counterpart_checkpoint").
// Anyone can recompute every leaf, root and signature from it without passerelle.
void exportJsonLines(const ledger::LedgerReader& ledger, const std::string& party,
                     const std::map<std::string, ledger::SignKey>& signKeys, std::ostream& out);

// CSV of entries for a spreadsheet (formula injection neutralised): a header
// line, then one row per entry.
void exportCsv(const std::vector<ledger::LedgerEntry>& entries, std::ostream& out);

// Compact JSON text of an object.
std::string toJsonText(const Poco::JSON::Object::Ptr& object);

}  // namespace passerelle::exchange
