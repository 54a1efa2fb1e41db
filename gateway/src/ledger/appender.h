#pragma once
// Writing the ledger (docs/ledger.md): appending entries, signing checkpoints of
// the tree, keeping the counterparts' checkpoints, and retention's blanking of old
// entry bytes. Nothing here rewrites a stored row's hashes; the database refuses
// it anyway (append-only triggers, and grants on PostgreSQL).
//
// NO PERSONAL DATA is ever written here: see LedgerEntry in entry.h.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "ledger/checkpoint.h"
#include "ledger/entry.h"
#include "ledger/reader.h"

namespace passerelle::ledger {

class LedgerStorage;

class LedgerAppender {
public:
    explicit LedgerAppender(std::shared_ptr<const LedgerStorage> storage);

    // Sets entry.index (next index, from 1) and entry.time (clock, RFC 3339
    // UTC), adds its leaf to the tree (O(log n)) and stores both durably in one
    // transaction; returns the index. Thread-safe, and safe against other
    // processes appending to the same database (SQLite: BEGIN IMMEDIATE;
    // PostgreSQL: the tree-state row locked FOR UPDATE). When a checkpoint policy is set and
    // its entry count is reached, signs a checkpoint afterwards.
    // Throws LedgerError (entry without actor/operation, invalid UTF-8, I/O).
    std::uint64_t append(LedgerEntry entry);

    // Who signs this ledger's checkpoints, and after how many new entries
    // `append` makes one by itself (0: only when asked).
    void setCheckpointSigner(std::string origin, std::string keyId, Signer signer,
                             std::uint64_t everyEntries = 0);
    // Signs and stores a checkpoint of the current tree unless the newest one
    // already covers it (then returns that one). Throws LedgerError without a signer.
    Checkpoint checkpoint();
    // Entries this object appended: a process signs a closing checkpoint only
    // over entries it wrote, never over a ledger it merely read.
    std::uint64_t appendedHere() const { return appendedHere_; }

    // Keeps a counterpart's checkpoint (received in a receipt) to prove later what it
    // had recorded. Returns false when this exact checkpoint is already held.
    bool storePeerCheckpoint(const Checkpoint& checkpoint);

    // Retention: blanks the bytes of entries older than `cutoff` (RFC 3339 UTC),
    // except those whose operation retention keeps (keptByRetention), keeping
    // their leaf and root hashes so every checkpoint and proof still holds.
    // `record` is called with what is about to be blanked (when there is any) before
    // anything is: it appends the `ledger-purged` entry whose reason is
    // ledgerPurgeReason(days, throughIndex), so bytes are never gone without the entry
    // that accounts for them, even if the process stops in between (the verifier alarms
    // on blanked bytes no such entry covers). If `record` throws, nothing is blanked.
    struct Blanked {
        std::uint64_t count = 0;         // entries blanked now
        std::uint64_t throughIndex = 0;  // every entry up to this one that retention does not keep is now blank
    };
    Blanked blankEntriesBefore(const std::string& cutoff, const std::function<void(const Blanked&)>& record);

private:
    std::shared_ptr<const LedgerStorage> storage_;
    LedgerReader reader_;  // the policy's count of uncheckpointed entries, retention's walk
    mutable std::mutex mutex_;  // guards the checkpoint signer and its policy
    std::string origin_, keyId_;
    Signer signer_;
    std::uint64_t checkpointEvery_ = 0;
    std::atomic<std::uint64_t> appendedHere_{0};
};

}  // namespace passerelle::ledger
