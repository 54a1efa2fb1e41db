#pragma once
// The exchange ledger (DESIGN.md §5), first version: an append-only hash chain
// in SQLite. Entry bytes (entry.h) and hashing (chain.h) are separate from
// storage so the later Merkle tree can replace the chain without touching them.
//
// NO PERSONAL DATA is ever written here: see LedgerEntry in entry.h.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "ledger/entry.h"

namespace Poco::Data {
class Session;
}

namespace passerelle::ledger {

// A process-wide SystemClock, for callers that do not inject one.
const Clock& systemClock();

class Ledger {
public:
    // Opens (creating if needed) the ledger file: WAL, synchronous=FULL,
    // append-only triggers. `clock` must outlive the Ledger.
    // Throws LedgerError naming the file.
    explicit Ledger(const std::filesystem::path& sqliteFile, const Clock& clock = systemClock());
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // Sets entry.index (next index, from 1) and entry.time (clock, RFC 3339
    // UTC), chains and stores it durably; returns the index. Thread-safe, and
    // safe against other processes appending to the same file.
    // Throws LedgerError (entry without actor/operation, invalid UTF-8, I/O).
    std::uint64_t append(LedgerEntry entry);

    struct Verification {
        bool intact = true;
        std::uint64_t entries = 0;                   // rows stored in the file
        std::optional<std::uint64_t> firstBadIndex;  // set when !intact
        std::string problem;                         // e.g. "entry 17: stored hash does not match ..."
        std::string headHash;                        // hex, recomputed over the entries that verified
    };
    // Recomputes the whole chain from the stored entry bytes, on its own
    // connection and snapshot, trusting no stored hash or index. It cannot see
    // entries removed from the END of the file: compare headHash with a copy
    // kept elsewhere (signed checkpoints, a later issue).
    // Throws LedgerError only when the file cannot be read at all.
    Verification verify() const;

    // Entries with index >= fromIndex, oldest first, at most `limit` of them.
    // Throws LedgerError if a stored entry does not parse (run verify()).
    std::vector<LedgerEntry> entries(std::uint64_t fromIndex = 1, std::uint64_t limit = UINT64_MAX) const;

    // Stored chain hash of the newest entry, hex (64 zeros when empty). Not
    // recomputed: use verify() to trust it.
    std::string headHash() const;

    // Index of the newest entry (0 when empty); the entry count when intact.
    std::uint64_t size() const;

    const std::filesystem::path& file() const { return file_; }

private:
    std::filesystem::path file_;
    const Clock* clock_;
    mutable std::mutex mutex_;  // guards session_: a Poco Session is not thread-safe
    std::unique_ptr<Poco::Data::Session> session_;
};

}  // namespace passerelle::ledger
