#pragma once
// The ledger's tables (docs/ledger.md): their schema on each engine, the migration
// of the earlier hash-chain ledgers, and the statements that Ledger's appends,
// checkpoints and reads share. Internal to the ledger concern: use ledger/ledger.h.
//
//   ledger_entries      idx, entry bytes (NULL once retention blanked them), leaf hash, root after it
//   ledger_tree         one row (id = 1): size and right edge of the tree, so appends are O(log n)
//   ledger_checkpoints  own signed checkpoints, in the order signed
//   peer_checkpoints    counterparts' checkpoints, in the order received
//
// The append-only rule is enforced by the database itself (triggers) and, on
// PostgreSQL, by the grants of the gateway's role.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "database/database.h"
#include "database/migrations.h"
#include "ledger/checkpoint.h"
#include "ledger/entry.h"
#include "ledger/leaf_hash.h"
#include "ledger/merkle.h"

namespace passerelle::ledger::tables {

Hash toHash(std::span<const std::uint8_t> bytes);  // all zeros unless 32 bytes
bool sameHash(std::span<const std::uint8_t> bytes, const Hash& h);

// SQL text of an empty byte string on this engine: what a blanked entry reads as.
std::string emptyBytes(db::Engine engine);

// The schema with its migrations. A hash-chain ledger of an earlier version, when
// found (SQLite only), is carried into the tree and an entry dated by `clock`
// records it; `carried`, when given, is then incremented.
db::Schema schema(const Clock& clock, std::uint64_t* carried);

// SQLite: recreates any dropped append-only trigger (run on every open, as the
// file is writable by whoever may drop them). Call inside a write transaction.
void restoreSqliteTriggers(db::Connection& c);

// The tree as its stored right edge says (not recomputed: verify() does that).
// `lock`: on PostgreSQL, locks the tree-state row until the transaction ends, which
// serialises every append and checkpoint of every instance.
merkle::CompactTree storedTree(db::Connection& c, bool lock);

// Appends `entry` in the caller's write transaction: sets its index, stores its
// bytes, leaf and root hashes and the new tree state. Returns the index.
std::uint64_t appendRow(db::Connection& c, LedgerEntry& entry);

// Every checkpoint of `table` (ledger_checkpoints or peer_checkpoints), oldest first;
// a malformed one is kept as a default Checkpoint and described in `problem`.
std::vector<Checkpoint> readCheckpoints(db::Connection& c, const std::string& table, std::string& problem);
// The newest own checkpoint alone; throws LedgerError when it is malformed.
std::optional<Checkpoint> newestCheckpoint(db::Connection& c);

}  // namespace passerelle::ledger::tables
