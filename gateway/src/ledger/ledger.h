#pragma once
// The exchange ledger (docs/ledger.md): append-only entries in
// the gateway's database (SQLite or PostgreSQL, database/database.h), hashed into
// an RFC 9162 Merkle tree, with signed checkpoints of the tree and the
// counterparts' checkpoints received in receipts.
//
// Each row keeps the entry's canonical bytes, its leaf hash and the tree's root
// after it, so the verifier can name the first row that does not match; signed
// checkpoints catch what rewriting all three of a row's columns would hide,
// and truncation.
//
// A Ledger opens the database (migrating it) and is three roles over it, each in
// its own header, so a service takes only the role it uses:
//   LedgerAppender  (ledger/appender.h)  appends, checkpoints, counterparts' checkpoints, retention
//   LedgerReader    (ledger/reader.h)    entries, queries, proofs, checkpoints held
//   LedgerVerifier  (ledger/verifier.h)  `audit verify`
//
// NO PERSONAL DATA is ever written here: see LedgerEntry in entry.h.

#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "ledger/appender.h"
#include "ledger/purge_record.h"
#include "ledger/reader.h"
#include "ledger/verifier.h"

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

class Ledger : public LedgerAppender, public LedgerReader, public LedgerVerifier {
public:
    // Opens the ledger in `database`, applying missing migrations first (on SQLite,
    // also restoring any dropped append-only trigger). `clock` must outlive the Ledger.
    // Throws LedgerError naming the database.
    explicit Ledger(std::shared_ptr<db::Database> database, const Clock& clock = systemClock());
    // The same on an SQLite file (created if needed; its folder must exist).
    explicit Ledger(const std::filesystem::path& sqliteFile, const Clock& clock = systemClock());
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

private:
    explicit Ledger(std::shared_ptr<const LedgerStorage> storage);
};

}  // namespace passerelle::ledger
