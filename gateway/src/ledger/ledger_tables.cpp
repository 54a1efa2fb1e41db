#include "ledger/ledger_tables.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "common/encoding.h"
#include "common/errors.h"


namespace passerelle::ledger::tables {
namespace {

db::Value frontierBytes(const std::vector<Hash>& frontier) {
    db::Bytes bytes;
    bytes.reserve(frontier.size() * 32);
    for (const Hash& h : frontier) bytes.insert(bytes.end(), h.begin(), h.end());
    return db::Value::bytes(bytes);
}

std::vector<Hash> frontierOf(std::span<const std::uint8_t> bytes) {
    std::vector<Hash> frontier(bytes.size() / 32);
    for (std::size_t i = 0; i < frontier.size(); ++i) {
        std::copy_n(bytes.data() + 32 * i, 32, frontier[i].begin());
    }
    return frontier;
}

// Works on both engines (SQLite 3.24+).
constexpr const char* kStoreTree =
    "INSERT INTO ledger_tree (id, size, frontier) VALUES (1, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier";

// --- SQLite

// The append-only rule, in the database itself: rows are never updated or
// deleted, except that retention may blank an entry's bytes (its leaf and root
// hashes stay, so every proof still holds).
void createSqliteSchema(db::Connection& c) {
    c.execute("CREATE TABLE IF NOT EXISTS ledger_entries ("
               "idx INTEGER PRIMARY KEY, entry BLOB, leaf_hash BLOB NOT NULL, root_hash BLOB NOT NULL)");
    c.execute("CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
               "WHEN NOT (NEW.entry IS NULL AND NEW.idx = OLD.idx AND NEW.leaf_hash = OLD.leaf_hash "
               "AND NEW.root_hash = OLD.root_hash) "
               "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END");
    c.execute("CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
               "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END");
    // The tree's right edge, so appends are O(log n) across processes.
    c.execute("CREATE TABLE IF NOT EXISTS ledger_tree ("
               "id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, frontier BLOB NOT NULL)");
    for (const char* table : {"ledger_checkpoints", "peer_checkpoints"}) {
        const std::string t = table;
        c.execute("CREATE TABLE IF NOT EXISTS " + t +
                       " (seq INTEGER PRIMARY KEY, signed BLOB NOT NULL, signature BLOB NOT NULL, "
                       "UNIQUE (signed, signature))");
        c.execute("CREATE TRIGGER IF NOT EXISTS " + t + "_no_update BEFORE UPDATE ON " + t +
                       " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END");
        c.execute("CREATE TRIGGER IF NOT EXISTS " + t + "_no_delete BEFORE DELETE ON " + t +
                       " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END");
    }
}

// Ledgers written before the Merkle tree (a hash chain: chain_hash = SHA-256(previous ||
// leaf)) are carried over once: the chain is verified first, then every row gets its
// leaf hash and tree root. Returns "" when there was nothing to migrate, else what
// was migrated (for the ledger entry recording it). A chain that does not verify is
// not migrated: the file is left as it is, for inspection.
std::string migrateHashChain(db::Connection& c) {
    if (c.integer("SELECT COUNT(*) FROM pragma_table_info('ledger_entries') WHERE name = 'chain_hash'") == 0) return "";
    const db::Rows rows = c.query("SELECT idx, entry, chain_hash FROM ledger_entries ORDER BY idx",
                                  {db::ColumnType::Integer, db::ColumnType::Bytes, db::ColumnType::Bytes});
    Hash previous{};
    merkle::CompactTree tree;
    std::vector<Hash> roots;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Hash leaf = leafHash(rows.bytesAsText(i, 1));
        Hash link{};
        crypto_hash_sha256_state state;
        crypto_hash_sha256_init(&state);
        crypto_hash_sha256_update(&state, previous.data(), previous.size());
        crypto_hash_sha256_update(&state, leaf.data(), leaf.size());
        crypto_hash_sha256_final(&state, link.data());
        if (rows.integer(i, 0) != static_cast<std::int64_t>(i + 1) || !sameHash(rows.bytes(i, 2), link)) {
            throw LedgerError(
                "it is a hash-chain ledger of an earlier version and does not verify at entry " +
                std::to_string(i + 1) +
                "; it is left untouched for inspection (move it away to start "
                "a new ledger)");
        }
        previous = link;
        tree.append(leaf);
        roots.push_back(tree.root());
    }
    c.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update");
    c.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete");
    c.execute("ALTER TABLE ledger_entries RENAME TO ledger_entries_chain");
    createSqliteSchema(c);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Hash leaf = leafHash(rows.bytesAsText(i, 1));
        c.execute("INSERT INTO ledger_entries (idx, entry, leaf_hash, root_hash) VALUES (?, ?, ?, ?)",
                  {rows.integer(i, 0), rows.value(i, 1), db::Value::bytes(leaf), db::Value::bytes(roots[i])});
    }
    c.execute("DROP TABLE ledger_entries_chain");
    c.execute(kStoreTree, {tree.size(), frontierBytes(tree.frontier())});
    return "hash chain of " + std::to_string(rows.size()) + " entries (head " + toHex(previous) +
           ") verified and carried into the Merkle tree";
}

// --- PostgreSQL

// The same append-only rule as on SQLite, for the owner too (short of disabling
// the triggers); the gateway's role has moreover no DELETE or TRUNCATE grant, and
// may UPDATE only the entry column (retention's blanking).
void createPostgresSchema(db::Connection& c) {
    c.execute("CREATE TABLE ledger_entries (idx BIGINT PRIMARY KEY, entry BYTEA, leaf_hash BYTEA NOT NULL,"
               " root_hash BYTEA NOT NULL)");
    c.execute("CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$"
               " BEGIN"
               "   IF TG_OP = 'UPDATE' THEN"
               "     IF NEW.entry IS NULL AND NEW.idx = OLD.idx AND NEW.leaf_hash = OLD.leaf_hash"
               "        AND NEW.root_hash = OLD.root_hash THEN"
               "       RETURN NEW;"
               "     END IF;"
               "   END IF;"
               "   RAISE EXCEPTION 'ledger is append-only';"
               " END $body$");
    c.execute("CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries"
               " FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()");
    c.execute("CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries"
               " FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()");
    // The row exists from the start, so even the first append locks it (FOR UPDATE).
    c.execute("CREATE TABLE ledger_tree (id BIGINT PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL,"
               " frontier BYTEA NOT NULL)");
    c.execute("INSERT INTO ledger_tree (id, size, frontier) VALUES (1, 0, '\\x'::bytea)");
    c.execute("CREATE FUNCTION ledger_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$"
               " BEGIN RAISE EXCEPTION 'checkpoints are append-only'; END $body$");
    for (const char* table : {"ledger_checkpoints", "peer_checkpoints"}) {
        const std::string t = table;
        c.execute("CREATE TABLE " + t +
                       " (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, signed BYTEA NOT NULL,"
                       " signature BYTEA NOT NULL, UNIQUE (signed, signature))");
        c.execute("CREATE TRIGGER " + t + "_append_only BEFORE UPDATE OR DELETE ON " + t +
                       " FOR EACH ROW EXECUTE FUNCTION ledger_checkpoints_append_only()");
        c.execute("CREATE TRIGGER " + t + "_no_truncate BEFORE TRUNCATE ON " + t +
                       " FOR EACH STATEMENT EXECUTE FUNCTION ledger_checkpoints_append_only()");
    }
}

// What the gateway's role needs and nothing more: no DELETE, no TRUNCATE, and of
// ledger_entries only the entry column to update (to NULL: the trigger refuses the rest).
std::vector<std::string> postgresGrants() {
    const std::string role = db::kGatewayRole;
    return {
        "GRANT SELECT, INSERT ON ledger_entries, ledger_checkpoints, peer_checkpoints TO " + role,
        "GRANT UPDATE (entry) ON ledger_entries TO " + role,
        "GRANT USAGE ON SEQUENCE ledger_checkpoints_seq_seq, peer_checkpoints_seq_seq TO " + role,
        "GRANT SELECT, INSERT, UPDATE ON ledger_tree TO " + role,
    };
}

}  // namespace

Hash toHash(std::span<const std::uint8_t> bytes) {
    Hash h{};
    if (bytes.size() == h.size()) std::copy(bytes.begin(), bytes.end(), h.begin());
    return h;
}

bool sameHash(std::span<const std::uint8_t> bytes, const Hash& h) {
    return bytes.size() == h.size() && std::equal(h.begin(), h.end(), bytes.begin());
}

std::string emptyBytes(db::Engine engine) { return engine == db::Engine::PostgreSQL ? "'\\x'::bytea" : "X''"; }

db::Schema schema(const Clock& clock, std::uint64_t* carried) {
    auto version1 = [&clock, carried](db::Connection& c) {
        if (c.postgres()) {
            createPostgresSchema(c);
            return;
        }
        // Exactly what every earlier version did on opening its file.
        const std::string migrated = migrateHashChain(c);
        createSqliteSchema(c);
        if (migrated.empty()) return;
        LedgerEntry entry =
            LedgerEntry::of(Operation::LedgerMigrated, Outcome::Migrated, "gateway", migrated);
        entry.time = formatUtc(clock.now());
        appendRow(c, entry);
        if (carried != nullptr) ++*carried;
    };
    return db::Schema{
        "ledger",
        {{1, "entries, tree state, own and counterpart checkpoints, append-only triggers", version1}},
        postgresGrants()};
}

void restoreSqliteTriggers(db::Connection& c) { createSqliteSchema(c); }

merkle::CompactTree storedTree(db::Connection& c, bool lock) {
    std::string sql = "SELECT size, frontier FROM ledger_tree WHERE id = 1";
    if (lock && c.postgres()) sql += " FOR UPDATE";
    const db::Rows rows = c.query(sql, {db::ColumnType::Integer, db::ColumnType::Bytes});
    if (rows.empty()) return {};
    try {
        return merkle::CompactTree(static_cast<std::uint64_t>(rows.integer(0, 0)), frontierOf(rows.bytes(0, 1)));
    } catch (const std::invalid_argument&) {
        throw LedgerError("its tree state is malformed; run `passerelle audit verify`");
    }
}

std::uint64_t appendRow(db::Connection& c, LedgerEntry& entry) {
    // The tree-state row first: on PostgreSQL its lock orders this append after every
    // other one, and the statements below (READ COMMITTED) see what those committed.
    merkle::CompactTree tree = storedTree(c, true);
    const std::int64_t newest = c.integer("SELECT COALESCE(MAX(idx), 0) FROM ledger_entries");
    if (static_cast<std::int64_t>(tree.size()) != newest) {
        throw LedgerError("its tree state (" + std::to_string(tree.size()) + " entries) disagrees with its " +
                          std::to_string(newest) + " rows; run `passerelle audit verify`");
    }
    entry.index = tree.size() + 1;
    const std::string bytes = canonicalBytes(entry);
    const Hash leaf = leafHash(bytes);
    tree.append(leaf);
    const Hash root = tree.root();
    c.execute("INSERT INTO ledger_entries (idx, entry, leaf_hash, root_hash) VALUES (?, ?, ?, ?)",
              {entry.index, db::Value::bytes(bytes), db::Value::bytes(leaf), db::Value::bytes(root)});
    c.execute(kStoreTree, {entry.index, frontierBytes(tree.frontier())});
    return entry.index;
}

namespace {

// Checkpoint rows: seq, signed bytes, signature.
db::Rows checkpointRows(db::Connection& c, const std::string& query) {
    return c.query(query, {db::ColumnType::Integer, db::ColumnType::Bytes, db::ColumnType::Bytes});
}

Checkpoint checkpointAt(const db::Rows& rows, std::size_t row) {
    return parseCheckpoint(rows.bytesAsText(row, 1), rows.bytes(row, 2));
}

}  // namespace

std::vector<Checkpoint> readCheckpoints(db::Connection& c, const std::string& table, std::string& problem) {
    const db::Rows rows = checkpointRows(c, "SELECT seq, signed, signature FROM " + table + " ORDER BY seq");
    std::vector<Checkpoint> out;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        try {
            out.push_back(checkpointAt(rows, i));
        } catch (const LedgerError& e) {
            if (problem.empty())
                problem = "checkpoint " + std::to_string(rows.integer(i, 0)) + " is malformed: " + e.what();
            out.emplace_back();  // keeps positions; never matches
        }
    }
    return out;
}

std::optional<Checkpoint> newestCheckpoint(db::Connection& c) {
    const db::Rows rows =
        checkpointRows(c, "SELECT seq, signed, signature FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1");
    if (rows.empty()) return std::nullopt;
    try {
        return checkpointAt(rows, 0);
    } catch (const LedgerError& e) {
        throw LedgerError("checkpoint " + std::to_string(rows.integer(0, 0)) + " is malformed: " + e.what() +
                          "; run `passerelle audit verify`");
    }
}

}  // namespace passerelle::ledger::tables
