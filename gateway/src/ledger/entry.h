#pragma once
// One ledger entry and its canonical bytes. The bytes are what is hashed and
// stored, so they are defined here once and never depend on a JSON library's
// formatting choices.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/operation.h"

namespace passerelle::privacy {
struct Manifest;
}

namespace passerelle::ledger {

// What the gateway did, never what the data said. NO PERSONAL DATA goes in an
// entry: `actor` is a peer certificate subject (e.g. "univ-montpellier") or
// "operator"; `fields` are field NAMES from the purpose's schema, never
// values; `payloadDigest` is a hash of the sealed batch, never its content;
// `reason` is a code or administrator text, never a trainee's datum. A ledger
// outlives every payload purge, so anything personal written here would
// escape retention.
//
// `operation` and `outcome` hold the stored text (operation.h says why); the
// gateway sets them from Operation and Outcome, through the named
// constructors below where an entry is built in more than one place.
struct LedgerEntry {
    std::uint64_t index = 0;  // set by LedgerAppender::append, starts at 1
    std::string time;         // set by LedgerAppender::append, RFC 3339 UTC
    std::string actor, operation, purpose, legalBasis, counterpart, batchId, payloadDigest, outcome,
        reason;
    std::vector<std::string> fields;
    std::uint64_t recordCount = 0;

    bool operator==(const LedgerEntry&) const = default;

    // Whether the stored text is this operation's.
    bool is(Operation op) const { return operation == toText(op); }
    // Replaces the operation and outcome (an entry prepared before it is known how it ends).
    void set(Operation op, Outcome result) {
        operation = toText(op);
        outcome = toText(result);
    }

    // An entry of `actor` (a certificate subject, "operator", "gateway"...), nothing else set.
    static LedgerEntry of(Operation op, Outcome result, std::string actor, std::string reason = {});
    // A request of an authenticated peer: the actor is its certificate subject,
    // the counterpart its party name (transport::PeerIdentity's subject and commonName).
    static LedgerEntry fromPeer(Operation op, Outcome result, std::string peerSubject, std::string peerParty,
                                std::string reason);
    // About the batch a manifest describes: its purpose, fields, record count, id and payload digest.
    static LedgerEntry aboutBatch(Operation op, Outcome result, std::string actor,
                                  const privacy::Manifest& manifest, std::string legalBasis,
                                  std::string counterpart);
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
