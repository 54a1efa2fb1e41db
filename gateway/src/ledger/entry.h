#pragma once
// One ledger entry and its canonical bytes. The bytes are what is hashed and
// stored, so they are defined here once and never depend on a JSON library's
// formatting choices.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::ledger {

// What the gateway did, never what the data said. NO PERSONAL DATA goes in an
// entry: `actor` is a peer certificate subject (e.g. "univ-montpellier") or
// "operator"; `fields` are field NAMES from the purpose's schema, never
// values; `payload_digest` is a hash of the sealed batch, never its content;
// `reason` is a code or administrator text, never a trainee's datum. A ledger
// outlives every payload purge, so anything personal written here would
// escape retention.
struct LedgerEntry {
    std::uint64_t index = 0;  // set by Ledger::append, starts at 1
    std::string time;         // set by Ledger::append, RFC 3339 UTC
    std::string actor, operation, purpose, legal_basis, counterpart, batch_id, payload_digest, outcome,
        reason;
    std::vector<std::string> fields;
    std::uint64_t record_count = 0;

    bool operator==(const LedgerEntry&) const = default;
};

// Canonical JSON: one object, keys in a fixed (lexicographic) order, no
// whitespace, strings as raw UTF-8 with only '"', '\\' and control characters
// escaped (short forms \b \t \n \f \r, else \u00xx). For these value types this
// is exactly RFC 8785 (JCS) output, so an outside verifier can rebuild it.
// Throws LedgerError when a string is not valid UTF-8.
std::string canonicalBytes(const LedgerEntry& entry);

// Strict inverse of canonicalBytes: throws LedgerError unless `bytes` is
// exactly the canonical form of some entry (no extra, missing or duplicated
// key, no other spacing or escaping). So parse(b) succeeding implies
// canonicalBytes(parse(b)) == b.
LedgerEntry parseEntry(std::string_view bytes);

}  // namespace passerelle::ledger
