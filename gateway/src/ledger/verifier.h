#pragma once
// Verifying the ledger (docs/ledger.md, `passerelle audit verify`): the tree is
// recomputed from the stored entry bytes, trusting no stored hash, index or tree
// state, and checked against every own signed checkpoint; counterparts'
// checkpoints are checked for their signatures; bytes blanked where no retention
// entry accounts for them are an alarm.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "ledger/checkpoint.h"

namespace passerelle::ledger {

class LedgerStorage;

// The answer of a KeyResolver: the key, or why there is none (naming the party and key id).
struct ResolvedKey {
    ResolvedKey(std::optional<SignKey> key = std::nullopt, std::string refusal = {})  // NOLINT: implicit on purpose
        : key(key), refusal(std::move(refusal)) {}
    std::optional<SignKey> key;
    std::string refusal;
    explicit operator bool() const { return key.has_value(); }
    const SignKey& operator*() const { return *key; }
};
// Resolves the Ed25519 key with this id for this party (own or a peer's, current or
// retired) that was valid when a document dated `signedAt` (RFC 3339 UTC) was signed
// (party/peer_keys.h: checkpointKeyResolver, with the parties' key histories).
using KeyResolver =
    std::function<ResolvedKey(const std::string& party, const std::string& keyId, const std::string& signedAt)>;

class LedgerVerifier {
public:
    explicit LedgerVerifier(std::shared_ptr<const LedgerStorage> storage);

    struct Verification {
        bool intact = true;
        std::uint64_t entries = 0;                   // rows stored in the database
        std::uint64_t checkpoints = 0;               // own checkpoints whose signature and root were checked
        std::uint64_t peerCheckpoints = 0;           // counterparts' checkpoints whose signature was checked
        std::optional<std::uint64_t> firstBadIndex;  // set when an entry is at fault
        std::string problem;   // e.g. "entry 17: stored leaf hash does not match its bytes"
        std::string rootHash;  // hex, recomputed over the entries that verified
    };
    // Recomputes the tree from the stored entry bytes on its own connection and
    // snapshot (SQLite: a new connection to the file; PostgreSQL: a pooled session
    // in a REPEATABLE READ READ ONLY transaction), trusting no stored hash, index or tree state; checks that
    // each own checkpoint is signed by `keys` and matches the recomputed root at its size (so a rewritten or
    // truncated ledger is caught even when every stored hash was recomputed), and that each counterpart
    // checkpoint's signature holds. Throws LedgerError only when the database cannot be read at all (or, for
    // SQLite, when the file is missing).
    Verification verify(const KeyResolver& keys) const;

private:
    std::shared_ptr<const LedgerStorage> storage_;
};

}  // namespace passerelle::ledger
