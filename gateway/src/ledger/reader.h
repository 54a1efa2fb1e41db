#pragma once
// Reading the ledger (docs/ledger.md): entries, filtered queries, the stored bytes
// and hashes of one entry, inclusion and consistency proofs, the tree's size and
// root as stored, and the checkpoints held. Reads trust the stored hashes; the
// verifier (ledger/verifier.h) is what recomputes them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/entry.h"
#include "ledger/leaf_hash.h"

namespace passerelle::ledger {

class LedgerStorage;

// Which entries `query` returns; an empty member does not filter.
struct EntryFilter {
    std::string purpose, counterpart, operation, batchId;
    std::string from, to;  // RFC 3339 UTC bounds on the entry time, inclusive (a date alone is a whole day)
};

struct InclusionProof {
    std::uint64_t index = 0;     // the entry (from 1)
    std::uint64_t treeSize = 0;  // the tree it is proven in
    Hash leafHash{};
    std::vector<Hash> path;  // RFC 9162 §2.1.3 audit path, leaf to root
    Hash rootHash{};
};

class LedgerReader {
public:
    explicit LedgerReader(std::shared_ptr<const LedgerStorage> storage);

    // Entries with index >= fromIndex, oldest first, at most `limit` of them.
    // Throws LedgerError if a stored entry does not parse (run verify()).
    std::vector<LedgerEntry> entries(std::uint64_t fromIndex = 1, std::uint64_t limit = UINT64_MAX) const;
    // Entries matching the filter, oldest first.
    std::vector<LedgerEntry> query(const EntryFilter& filter) const;
    std::optional<LedgerEntry> entry(std::uint64_t index) const;
    // The exact bytes stored for an entry (what its leaf hash commits to); empty
    // when retention purged them.
    std::optional<std::string> entryBytes(std::uint64_t index) const;
    // The stored leaf hash of an entry (kept when its bytes are purged).
    std::optional<Hash> leafHashAt(std::uint64_t index) const;

    // Proof that entry `index` is in the tree of the first `treeSize` entries,
    // computed from the stored leaf hashes (O(treeSize)). Throws LedgerError when
    // index is not in 1..treeSize or treeSize exceeds the ledger.
    InclusionProof inclusionProof(std::uint64_t index, std::uint64_t treeSize) const;
    // RFC 9162 §2.1.4 proof that the tree of oldSize entries is a prefix of the one of newSize.
    std::vector<Hash> consistencyProof(std::uint64_t oldSize, std::uint64_t newSize) const;

    // Merkle root of the current tree as stored (not recomputed: use verify()).
    Hash rootHash() const;
    // Index of the newest entry (0 when empty); the entry count when intact.
    std::uint64_t size() const;

    // Own signed checkpoints, oldest first, and the newest alone.
    std::vector<Checkpoint> checkpoints() const;
    std::optional<Checkpoint> latestCheckpoint() const;
    // Entries appended since the newest checkpoint (0 when the ledger holds fewer
    // entries than that checkpoint: verify() reports it, nothing is signed over it).
    std::uint64_t uncheckpointed() const;
    // Counterparts' checkpoints (received in receipts), in the order received.
    std::vector<Checkpoint> peerCheckpoints() const;

    // The database as error messages name it: the SQLite file, or the PostgreSQL
    // conninfo without its password.
    const std::string& name() const;

private:
    std::vector<Hash> leafHashes(std::uint64_t count) const;

    std::shared_ptr<const LedgerStorage> storage_;
};

}  // namespace passerelle::ledger
