#include "ledger/ledger_tables.h"

#include <Poco/Data/Statement.h>
#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "common/encoding.h"
#include "common/errors.h"

using namespace Poco::Data::Keywords;

namespace passerelle::ledger::tables {
namespace {

BLOB frontierBlob(const std::vector<Hash>& frontier) {
    std::vector<unsigned char> bytes;
    bytes.reserve(frontier.size() * 32);
    for (const Hash& h : frontier) bytes.insert(bytes.end(), h.begin(), h.end());
    return BLOB(bytes);
}

std::vector<Hash> frontierOf(const BLOB& blob) {
    std::vector<Hash> frontier(blob.size() / 32);
    for (std::size_t i = 0; i < frontier.size(); ++i) {
        std::copy_n(blob.rawContent() + 32 * i, 32, frontier[i].begin());
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
void createSqliteSchema(Session& session) {
    session << "CREATE TABLE IF NOT EXISTS ledger_entries ("
               "idx INTEGER PRIMARY KEY, entry BLOB, leaf_hash BLOB NOT NULL, root_hash BLOB NOT NULL)",
        now;
    session << "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
               "WHEN NOT (NEW.entry IS NULL AND NEW.idx = OLD.idx AND NEW.leaf_hash = OLD.leaf_hash "
               "AND NEW.root_hash = OLD.root_hash) "
               "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
        now;
    session << "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
               "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
        now;
    // The tree's right edge, so appends are O(log n) across processes.
    session << "CREATE TABLE IF NOT EXISTS ledger_tree ("
               "id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, frontier BLOB NOT NULL)",
        now;
    for (const char* table : {"ledger_checkpoints", "peer_checkpoints"}) {
        const std::string t = table;
        session << "CREATE TABLE IF NOT EXISTS " + t +
                       " (seq INTEGER PRIMARY KEY, signed BLOB NOT NULL, signature BLOB NOT NULL, "
                       "UNIQUE (signed, signature))",
            now;
        session << "CREATE TRIGGER IF NOT EXISTS " + t + "_no_update BEFORE UPDATE ON " + t +
                       " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END",
            now;
        session << "CREATE TRIGGER IF NOT EXISTS " + t + "_no_delete BEFORE DELETE ON " + t +
                       " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END",
            now;
    }
}

// Ledgers written before the Merkle tree (a hash chain: chain_hash = SHA-256(previous ||
// leaf)) are carried over once: the chain is verified first, then every row gets its
// leaf hash and tree root. Returns "" when there was nothing to migrate, else what
// was migrated (for the ledger entry recording it). A chain that does not verify is
// not migrated: the file is left as it is, for inspection.
std::string migrateHashChain(Session& session) {
    Poco::Int64 chainColumn = 0;
    session << "SELECT COUNT(*) FROM pragma_table_info('ledger_entries') WHERE name = 'chain_hash'",
        into(chainColumn), now;
    if (chainColumn == 0) return "";
    std::vector<Poco::Int64> indices;
    std::vector<BLOB> stored, chained;
    session << "SELECT idx, entry, chain_hash FROM ledger_entries ORDER BY idx", into(indices), into(stored),
        into(chained), now;
    Hash previous{};
    merkle::CompactTree tree;
    std::vector<Hash> roots;
    for (std::size_t i = 0; i < indices.size(); ++i) {
        const Hash leaf = leafHash(view(stored[i]));
        Hash link{};
        crypto_hash_sha256_state state;
        crypto_hash_sha256_init(&state);
        crypto_hash_sha256_update(&state, previous.data(), previous.size());
        crypto_hash_sha256_update(&state, leaf.data(), leaf.size());
        crypto_hash_sha256_final(&state, link.data());
        if (indices[i] != static_cast<Poco::Int64>(i + 1) || !sameHash(chained[i], link)) {
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
    session << "DROP TRIGGER IF EXISTS ledger_entries_no_update", now;
    session << "DROP TRIGGER IF EXISTS ledger_entries_no_delete", now;
    session << "ALTER TABLE ledger_entries RENAME TO ledger_entries_chain", now;
    createSqliteSchema(session);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        const Hash leaf = leafHash(view(stored[i]));
        BLOB leafBlob(leaf.data(), leaf.size());
        BLOB rootBlob(roots[i].data(), roots[i].size());
        session << "INSERT INTO ledger_entries (idx, entry, leaf_hash, root_hash) VALUES (?, ?, ?, ?)",
            use(indices[i]), use(stored[i]), use(leafBlob), use(rootBlob), now;
    }
    session << "DROP TABLE ledger_entries_chain", now;
    BLOB frontier = frontierBlob(tree.frontier());
    Poco::Int64 size = static_cast<Poco::Int64>(tree.size());
    session << kStoreTree, use(size), use(frontier), now;
    return "hash chain of " + std::to_string(indices.size()) + " entries (head " + toHex(previous) +
           ") verified and carried into the Merkle tree";
}

// --- PostgreSQL

// The same append-only rule as on SQLite, for the owner too (short of disabling
// the triggers); the gateway's role has moreover no DELETE or TRUNCATE grant, and
// may UPDATE only the entry column (retention's blanking).
void createPostgresSchema(Session& session) {
    session << "CREATE TABLE ledger_entries (idx BIGINT PRIMARY KEY, entry BYTEA, leaf_hash BYTEA NOT NULL,"
               " root_hash BYTEA NOT NULL)",
        now;
    session << "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$"
               " BEGIN"
               "   IF TG_OP = 'UPDATE' THEN"
               "     IF NEW.entry IS NULL AND NEW.idx = OLD.idx AND NEW.leaf_hash = OLD.leaf_hash"
               "        AND NEW.root_hash = OLD.root_hash THEN"
               "       RETURN NEW;"
               "     END IF;"
               "   END IF;"
               "   RAISE EXCEPTION 'ledger is append-only';"
               " END $body$",
        now;
    session << "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries"
               " FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()",
        now;
    session << "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries"
               " FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()",
        now;
    // The row exists from the start, so even the first append locks it (FOR UPDATE).
    session << "CREATE TABLE ledger_tree (id BIGINT PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL,"
               " frontier BYTEA NOT NULL)",
        now;
    session << "INSERT INTO ledger_tree (id, size, frontier) VALUES (1, 0, '\\x'::bytea)", now;
    session << "CREATE FUNCTION ledger_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$"
               " BEGIN RAISE EXCEPTION 'checkpoints are append-only'; END $body$",
        now;
    for (const char* table : {"ledger_checkpoints", "peer_checkpoints"}) {
        const std::string t = table;
        session << "CREATE TABLE " + t +
                       " (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, signed BYTEA NOT NULL,"
                       " signature BYTEA NOT NULL, UNIQUE (signed, signature))",
            now;
        session << "CREATE TRIGGER " + t + "_append_only BEFORE UPDATE OR DELETE ON " + t +
                       " FOR EACH ROW EXECUTE FUNCTION ledger_checkpoints_append_only()",
            now;
        session << "CREATE TRIGGER " + t + "_no_truncate BEFORE TRUNCATE ON " + t +
                       " FOR EACH STATEMENT EXECUTE FUNCTION ledger_checkpoints_append_only()",
            now;
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

std::string_view view(const BLOB& blob) {
    if (blob.size() == 0) return {};
    return {reinterpret_cast<const char*>(blob.rawContent()), blob.size()};
}

BLOB toBlob(std::string_view bytes) {
    return BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

Hash toHash(const BLOB& blob) {
    Hash h{};
    if (blob.size() == h.size()) std::copy_n(blob.rawContent(), h.size(), h.begin());
    return h;
}

bool sameHash(const BLOB& blob, const Hash& h) {
    return blob.size() == h.size() && std::equal(h.begin(), h.end(), blob.rawContent());
}

std::string emptyBytes(const db::Database& db) { return db.postgres() ? "'\\x'::bytea" : "X''"; }

db::Schema schema(const Clock& clock, std::uint64_t* carried) {
    auto version1 = [&clock, carried](db::Database& db, Session& session) {
        if (db.postgres()) {
            createPostgresSchema(session);
            return;
        }
        // Exactly what every earlier version did on opening its file.
        const std::string migrated = migrateHashChain(session);
        createSqliteSchema(session);
        if (migrated.empty()) return;
        LedgerEntry entry =
            LedgerEntry::of(Operation::LedgerMigrated, Outcome::Migrated, "gateway", migrated);
        entry.time = formatUtc(clock.now());
        appendRow(db, session, entry);
        if (carried != nullptr) ++*carried;
    };
    return db::Schema{
        "ledger",
        {{1, "entries, tree state, own and counterpart checkpoints, append-only triggers", version1}},
        postgresGrants()};
}

void restoreSqliteTriggers(Session& session) { createSqliteSchema(session); }

merkle::CompactTree storedTree(const db::Database& db, Session& session, bool lock) {
    std::vector<Poco::Int64> sizes;
    std::vector<BLOB> frontiers;
    std::string sql = "SELECT size, frontier FROM ledger_tree WHERE id = 1";
    if (lock && db.postgres()) sql += " FOR UPDATE";
    session << sql, into(sizes), into(frontiers), now;
    if (sizes.empty()) return {};
    try {
        return merkle::CompactTree(static_cast<std::uint64_t>(sizes.front()), frontierOf(frontiers.front()));
    } catch (const std::invalid_argument&) {
        throw LedgerError("its tree state is malformed; run `passerelle audit verify`");
    }
}

std::uint64_t appendRow(const db::Database& db, Session& session, LedgerEntry& entry) {
    // The tree-state row first: on PostgreSQL its lock orders this append after every
    // other one, and the statements below (READ COMMITTED) see what those committed.
    merkle::CompactTree tree = storedTree(db, session, true);
    Poco::Int64 newest = 0;
    session << "SELECT COALESCE(MAX(idx), 0) FROM ledger_entries", into(newest), now;
    if (static_cast<Poco::Int64>(tree.size()) != newest) {
        throw LedgerError("its tree state (" + std::to_string(tree.size()) + " entries) disagrees with its " +
                          std::to_string(newest) + " rows; run `passerelle audit verify`");
    }
    entry.index = tree.size() + 1;
    const std::string bytes = canonicalBytes(entry);
    const Hash leaf = leafHash(bytes);
    tree.append(leaf);
    const Hash root = tree.root();
    Poco::Int64 idx = static_cast<Poco::Int64>(entry.index);
    BLOB entryBlob = toBlob(bytes);
    BLOB leafBlob(leaf.data(), leaf.size());
    BLOB rootBlob(root.data(), root.size());
    session << db.sql("INSERT INTO ledger_entries (idx, entry, leaf_hash, root_hash) VALUES (?, ?, ?, ?)"),
        use(idx), use(entryBlob), use(leafBlob), use(rootBlob), now;
    BLOB frontier = frontierBlob(tree.frontier());
    session << db.sql(kStoreTree), use(idx), use(frontier), now;
    return entry.index;
}

std::vector<Checkpoint> readCheckpoints(Session& session, const std::string& table, std::string& problem) {
    std::vector<Poco::Int64> seqs;
    std::vector<BLOB> signedBytes, signatures;
    session << "SELECT seq, signed, signature FROM " + table + " ORDER BY seq", into(seqs), into(signedBytes),
        into(signatures), now;
    std::vector<Checkpoint> out;
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        try {
            out.push_back(
                parseCheckpoint(view(signedBytes[i]), {signatures[i].rawContent(), signatures[i].size()}));
        } catch (const LedgerError& e) {
            if (problem.empty())
                problem = "checkpoint " + std::to_string(seqs[i]) + " is malformed: " + e.what();
            out.emplace_back();  // keeps positions; never matches
        }
    }
    return out;
}

std::optional<Checkpoint> newestCheckpoint(Session& session) {
    std::vector<Poco::Int64> seqs;
    std::vector<BLOB> signedBytes, signatures;
    session << "SELECT seq, signed, signature FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1", into(seqs),
        into(signedBytes), into(signatures), now;
    if (seqs.empty()) return std::nullopt;
    try {
        return parseCheckpoint(view(signedBytes.front()),
                               {signatures.front().rawContent(), signatures.front().size()});
    } catch (const LedgerError& e) {
        throw LedgerError("checkpoint " + std::to_string(seqs.front()) + " is malformed: " + e.what() +
                          "; run `passerelle audit verify`");
    }
}

}  // namespace passerelle::ledger::tables
