#pragma once
// The exchange ledger (docs/ledger.md): append-only entries in
// the gateway's database (SQLite or PostgreSQL, database/database.h), hashed into
// an RFC 9162 Merkle tree, with signed checkpoints of the tree and the
// counterparts' checkpoints received in receipts.
//
// Each row keeps the entry's canonical bytes, its leaf hash and the tree's root
// after it, so `verify` can name the first row that does not match; signed
// checkpoints catch what rewriting all three of a row's columns would hide,
// and truncation.
//
// NO PERSONAL DATA is ever written here: see LedgerEntry in entry.h.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "ledger/checkpoint.h"
#include "ledger/entry.h"
#include "ledger/leaf_hash.h"

namespace Poco::Data {
class Session;
template <typename T>
class LOB;
}  // namespace Poco::Data

namespace passerelle::db {
class Database;
struct Schema;
}  // namespace passerelle::db

namespace passerelle::ledger {

// A process-wide SystemClock, for callers that do not inject one.
const Clock& systemClock();

// The ledger's tables, append-only triggers and grants, and their migrations
// (db::migrate, part "ledger"; include database/migrations.h to use it).
const db::Schema& ledgerSchema();

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

// Retention's record that it blanked entries (Operation::LedgerPurged): whether
// an entry's operation is one retention never blanks (they account for what is
// gone), and the reason it writes, which names the last entry it covers. verify()
// reads it back: bytes blanked where no such entry accounts for them are an
// alarm (docs/ledger.md).
bool keptByRetention(const LedgerEntry& entry);
std::string ledgerPurgeReason(std::uint32_t retentionDays, std::uint64_t throughIndex);

// Resolves the Ed25519 key with this id for this party (own or a peer's,
// current or retired); nullopt when it is not known.
using KeyResolver = std::function<std::optional<SignKey>(const std::string& party, const std::string& keyId)>;

class Ledger {
public:
    // Opens the ledger in `database`, applying missing migrations first (on SQLite,
    // also restoring any dropped append-only trigger). `clock` must outlive the Ledger.
    // Throws LedgerError naming the database.
    explicit Ledger(std::shared_ptr<db::Database> database, const Clock& clock = systemClock());
    // The same on an SQLite file (created if needed; its folder must exist).
    explicit Ledger(const std::filesystem::path& sqliteFile, const Clock& clock = systemClock());
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // Sets entry.index (next index, from 1) and entry.time (clock, RFC 3339
    // UTC), adds its leaf to the tree (O(log n)) and stores both durably in one
    // transaction; returns the index. Thread-safe, and safe against other
    // processes appending to the same database (SQLite: BEGIN IMMEDIATE;
    // PostgreSQL: the tree-state row locked FOR UPDATE). When a checkpoint policy is set and
    // its entry count is reached, signs a checkpoint afterwards.
    // Throws LedgerError (entry without actor/operation, invalid UTF-8, I/O).
    std::uint64_t append(LedgerEntry entry);

    // --- checkpoints
    // Who signs this ledger's checkpoints, and after how many new entries
    // `append` makes one by itself (0: only when asked).
    void setCheckpointSigner(std::string origin, std::string keyId, Signer signer,
                             std::uint64_t everyEntries = 0);
    // Signs and stores a checkpoint of the current tree unless the newest one
    // already covers it (then returns that one). Throws LedgerError without a signer.
    Checkpoint checkpoint();
    // Entries appended since the newest checkpoint (0 when the ledger holds fewer
    // entries than that checkpoint: verify() reports it, nothing is signed over it).
    std::uint64_t uncheckpointed() const;
    // Entries this object appended: a process signs a closing checkpoint only
    // over entries it wrote, never over a ledger it merely read.
    std::uint64_t appendedHere() const { return appendedHere_; }
    std::vector<Checkpoint> checkpoints() const;  // oldest first
    std::optional<Checkpoint> latestCheckpoint() const;

    // Counterparts' checkpoints (received in receipts), kept to prove later what
    // they had recorded. Returns false when this exact checkpoint is already held.
    bool storePeerCheckpoint(const Checkpoint& checkpoint);
    std::vector<Checkpoint> peerCheckpoints() const;  // in the order received

    // Retention: blanks the bytes of entries older than `cutoff` (RFC 3339 UTC),
    // except those whose operation retention keeps (keptByRetention), keeping
    // their leaf and root hashes so every checkpoint and proof still holds.
    // `record` is called with what is about to be blanked (when there is any) before
    // anything is: it appends the `ledger-purged` entry whose reason is
    // ledgerPurgeReason(days, throughIndex), so bytes are never gone without the entry
    // that accounts for them, even if the process stops in between (verify() alarms
    // on blanked bytes no such entry covers). If `record` throws, nothing is blanked.
    struct Blanked {
        std::uint64_t count = 0;         // entries blanked now
        std::uint64_t throughIndex = 0;  // every entry up to this one that retention does not keep is now blank
    };
    Blanked blankEntriesBefore(const std::string& cutoff, const std::function<void(const Blanked&)>& record);

    // --- reading
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

    // --- verification
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

    // The database as error messages name it: the SQLite file, or the PostgreSQL
    // conninfo without its password.
    const std::string& name() const;

private:
    Verification verifyIn(Poco::Data::Session& session, const KeyResolver& keys) const;
    std::vector<Hash> leafHashes(std::uint64_t count) const;
    // One column (an SQL expression over the row) of entry `index`; nullopt when there is no such row.
    std::optional<Poco::Data::LOB<unsigned char>> rowColumn(std::uint64_t index,
                                                            const std::string& column) const;
    // Runs fn(Session&) on a session of the database, turning a Poco error into
    // LedgerError("cannot WHAT ledger NAME: ...").
    template <typename Fn>
    auto reading(const char* what, Fn&& fn) const;

    std::shared_ptr<db::Database> db_;
    const Clock* clock_;
    mutable std::mutex mutex_;  // guards the checkpoint signer and its policy
    std::string origin_, keyId_;
    Signer signer_;
    std::uint64_t checkpointEvery_ = 0;
    std::atomic<std::uint64_t> appendedHere_{0};
};

}  // namespace passerelle::ledger
