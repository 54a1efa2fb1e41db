#include "ledger/ledger.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <string_view>

#include "common/encoding.h"
#include "common/errors.h"
#include "ledger/chain.h"
#include "ledger/merkle.h"

using Poco::Data::BLOB;
using Poco::Data::Session;
using namespace Poco::Data::Keywords;

namespace passerelle::ledger {
namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr std::size_t kOpenTimeoutSeconds = 5;
constexpr Poco::Int64 kVerifyChunk = 1024;

void registerSqliteOnce() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

// Poco's message is the SQLite text ("disk I/O error"); fall back to the class name.
// Poco's SQLite errors often read "disk I/O error: disk I/O error"; say it once.
std::string describe(const Poco::Exception& ex) {
    std::string text = ex.message().empty() ? ex.displayText() : ex.message();
    const std::size_t half = text.size() / 2;
    if (text.size() > 2 && text.size() % 2 == 0 && text.compare(half - 1, 2, ": ") == 0 &&
        text.compare(0, half - 1, text, half + 1) == 0) {
        text.resize(half - 1);
    }
    return text;
}

std::string_view view(const BLOB& blob) {
    if (blob.size() == 0) return {};
    return {reinterpret_cast<const char*>(blob.rawContent()), blob.size()};
}

BLOB toBlob(std::string_view bytes) {
    return BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::unique_ptr<Session> openSession(const std::filesystem::path& file) {
    // Poco waits out its whole login timeout when sqlite3_open fails, so the
    // likely cause is checked first and the timeout kept short.
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
    if (std::error_code ec; !std::filesystem::is_directory(folder, ec)) {
        throw Poco::FileNotFoundException("folder " + folder.string() + " does not exist; create it first");
    }
    auto session = std::make_unique<Session>("SQLite", file.string(), kOpenTimeoutSeconds);
    *session << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
    std::string mode;
    *session << "PRAGMA journal_mode = WAL", into(mode), now;
    if (mode != "wal") {
        throw Poco::IOException("the file system does not support write-ahead logging (journal mode is " +
                                mode + ")");
    }
    *session << "PRAGMA synchronous = FULL", now;
    return session;
}

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back if it throws.
template <typename Body>
void inWriteTransaction(Session& session, Body&& body) {
    session << "BEGIN IMMEDIATE", now;
    try {
        body();
        session << "COMMIT", now;
    } catch (...) {
        try {
            session << "ROLLBACK", now;
        } catch (const Poco::Exception&) {
            // SQLite may already have rolled back (e.g. disk full); the
            // original error is the one worth reporting.
        }
        throw;
    }
}

Hash toHash(const BLOB& blob) {
    Hash h{};
    if (blob.size() == h.size()) std::copy_n(blob.rawContent(), h.size(), h.begin());
    return h;
}

bool sameHash(const BLOB& blob, const Hash& h) {
    return blob.size() == h.size() && std::equal(h.begin(), h.end(), blob.rawContent());
}

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

// The append-only rule, in the database itself: rows are never updated or
// deleted, except that retention may blank an entry's bytes (its leaf and root
// hashes stay, so every proof still holds).
void createSchema(Session& session) {
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
            throw LedgerError("it is a hash-chain ledger of an earlier version and does not verify at entry " +
                              std::to_string(i + 1) + "; it is left untouched for inspection (move it away to start "
                              "a new ledger)");
        }
        previous = link;
        tree.append(leaf);
        roots.push_back(tree.root());
    }
    session << "DROP TRIGGER IF EXISTS ledger_entries_no_update", now;
    session << "DROP TRIGGER IF EXISTS ledger_entries_no_delete", now;
    session << "ALTER TABLE ledger_entries RENAME TO ledger_entries_chain", now;
    createSchema(session);
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
    session << "INSERT OR REPLACE INTO ledger_tree (id, size, frontier) VALUES (1, ?, ?)", use(size), use(frontier),
        now;
    return "hash chain of " + std::to_string(indices.size()) + " entries (head " + toHex(previous) +
           ") verified and carried into the Merkle tree";
}

std::vector<Checkpoint> readCheckpoints(Session& session, const std::string& table, std::string& problem) {
    std::vector<Poco::Int64> seqs;
    std::vector<BLOB> signedBytes, signatures;
    session << "SELECT seq, signed, signature FROM " + table + " ORDER BY seq", into(seqs), into(signedBytes),
        into(signatures), now;
    std::vector<Checkpoint> out;
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        try {
            out.push_back(parseCheckpoint(view(signedBytes[i]),
                                          {signatures[i].rawContent(), signatures[i].size()}));
        } catch (const LedgerError& e) {
            if (problem.empty()) problem = "checkpoint " + std::to_string(seqs[i]) + " is malformed: " + e.what();
            out.emplace_back();  // keeps positions; never matches
        }
    }
    return out;
}

// The newest own checkpoint alone: what appends and checkpoint() compare with,
// so their cost does not grow with the number of checkpoints.
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

// The tree as its stored right edge says (not recomputed: verify() does that).
merkle::CompactTree storedTree(Session& session) {
    std::vector<Poco::Int64> sizes;
    std::vector<BLOB> frontiers;
    session << "SELECT size, frontier FROM ledger_tree WHERE id = 1", into(sizes), into(frontiers), now;
    if (sizes.empty()) return {};
    try {
        return merkle::CompactTree(static_cast<std::uint64_t>(sizes.front()), frontierOf(frontiers.front()));
    } catch (const std::invalid_argument&) {
        throw LedgerError("its tree state is malformed; run `passerelle audit verify`");
    }
}

}  // namespace

const Clock& systemClock() {
    static const SystemClock clock;
    return clock;
}

Ledger::Ledger(const std::filesystem::path& sqliteFile, const Clock& clock) : file_(sqliteFile), clock_(&clock) {
    registerSqliteOnce();
    try {
        session_ = openSession(file_);
        std::string migrated;
        inWriteTransaction(*session_, [&] {
            migrated = migrateHashChain(*session_);
            createSchema(*session_);
        });
        if (!migrated.empty()) {
            LedgerEntry entry;
            entry.actor = "gateway";
            entry.operation = "ledger-migrated";
            entry.outcome = "migrated";
            entry.reason = migrated;
            append(entry);
        }
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot open ledger " + file_.string() + ": " + describe(ex));
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot open ledger " + file_.string() + ": " + ex.what());
    }
}

Ledger::~Ledger() = default;

std::uint64_t Ledger::append(LedgerEntry entry) {
    if (entry.actor.empty() || entry.operation.empty()) {
        throw LedgerError("cannot append to ledger " + file_.string() + ": an entry needs an actor and an operation");
    }
    entry.time = formatUtc(clock_->now());
    try {
        // Refuses bad UTF-8 before the transaction; only the index changes below.
        (void)canonicalBytes(entry);
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot append to ledger " + file_.string() + ": " + ex.what());
    }

    bool checkpointDue = false;
    {
        std::lock_guard lock(mutex_);
        try {
            inWriteTransaction(*session_, [&] {
                Poco::Int64 newest = 0;
                *session_ << "SELECT COALESCE(MAX(idx), 0) FROM ledger_entries", into(newest), now;
                merkle::CompactTree tree = storedTree(*session_);
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
                *session_ << "INSERT INTO ledger_entries (idx, entry, leaf_hash, root_hash) VALUES (?, ?, ?, ?)",
                    use(idx), use(entryBlob), use(leafBlob), use(rootBlob), now;
                BLOB frontier = frontierBlob(tree.frontier());
                *session_ << "INSERT OR REPLACE INTO ledger_tree (id, size, frontier) VALUES (1, ?, ?)", use(idx),
                    use(frontier), now;
            });
        } catch (const Poco::Exception& ex) {
            throw LedgerError("cannot append to ledger " + file_.string() + ": " + describe(ex));
        } catch (const LedgerError& ex) {
            throw LedgerError("cannot append to ledger " + file_.string() + ": " + ex.what());
        }
        checkpointDue = signer_ && checkpointEvery_ > 0;
    }
    ++appendedHere_;
    if (checkpointDue && uncheckpointed() >= checkpointEvery_) checkpoint();
    return entry.index;
}

void Ledger::setCheckpointSigner(std::string origin, std::string keyId, Signer signer, std::uint64_t everyEntries) {
    std::lock_guard lock(mutex_);
    origin_ = std::move(origin);
    keyId_ = std::move(keyId);
    signer_ = std::move(signer);
    checkpointEvery_ = everyEntries;
}

Checkpoint Ledger::checkpoint() {
    std::lock_guard lock(mutex_);
    if (!signer_) throw LedgerError("ledger " + file_.string() + ": no key to sign checkpoints with");
    Checkpoint made;
    try {
        inWriteTransaction(*session_, [&] {
            const merkle::CompactTree tree = storedTree(*session_);
            const auto newest = newestCheckpoint(*session_);
            if (newest && newest->treeSize == tree.size() && newest->rootHash == tree.root()) {
                made = *newest;
                return;
            }
            if (newest && newest->treeSize > tree.size()) {
                throw LedgerError("it holds fewer entries (" + std::to_string(tree.size()) +
                                  ") than its last checkpoint signed (" + std::to_string(newest->treeSize) +
                                  "); run `passerelle audit verify`");
            }
            made.origin = origin_;
            made.treeSize = tree.size();
            made.rootHash = tree.root();
            made.time = formatUtc(clock_->now());
            made.keyId = keyId_;
            const std::string bytes = made.signedBytes();
            made.signature = signer_(asBytes(bytes));
            BLOB signedBlob = toBlob(bytes);
            BLOB signatureBlob(made.signature.data(), made.signature.size());
            *session_ << "INSERT INTO ledger_checkpoints (signed, signature) VALUES (?, ?)", use(signedBlob),
                use(signatureBlob), now;
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot write a checkpoint to ledger " + file_.string() + ": " + describe(ex));
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot write a checkpoint to ledger " + file_.string() + ": " + ex.what());
    }
    return made;
}

std::uint64_t Ledger::uncheckpointed() const {
    const auto latest = latestCheckpoint();
    const std::uint64_t entries = size();
    if (!latest) return entries;
    return latest->treeSize <= entries ? entries - latest->treeSize : 0;
}

std::vector<Checkpoint> Ledger::checkpoints() const {
    std::lock_guard lock(mutex_);
    std::string problem;
    try {
        auto out = readCheckpoints(*session_, "ledger_checkpoints", problem);
        if (!problem.empty()) throw LedgerError("ledger " + file_.string() + ": " + problem);
        return out;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
}

std::optional<Checkpoint> Ledger::latestCheckpoint() const {
    std::lock_guard lock(mutex_);
    try {
        return newestCheckpoint(*session_);
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    } catch (const LedgerError& ex) {
        throw LedgerError("ledger " + file_.string() + ": " + ex.what());
    }
}

bool Ledger::storePeerCheckpoint(const Checkpoint& checkpoint) {
    std::lock_guard lock(mutex_);
    const std::string bytes = checkpoint.signedBytes();
    BLOB signedBlob = toBlob(bytes);
    BLOB signatureBlob(checkpoint.signature.data(), checkpoint.signature.size());
    try {
        Poco::Int64 held = 0;
        *session_ << "SELECT COUNT(*) FROM peer_checkpoints WHERE signed = ? AND signature = ?", use(signedBlob),
            use(signatureBlob), into(held), now;
        if (held > 0) return false;
        *session_ << "INSERT INTO peer_checkpoints (signed, signature) VALUES (?, ?)", use(signedBlob),
            use(signatureBlob), now;
        return true;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot store a counterpart checkpoint in ledger " + file_.string() + ": " + describe(ex));
    }
}

std::vector<Checkpoint> Ledger::peerCheckpoints() const {
    std::lock_guard lock(mutex_);
    std::string problem;
    try {
        auto out = readCheckpoints(*session_, "peer_checkpoints", problem);
        if (!problem.empty()) throw LedgerError("ledger " + file_.string() + ": counterpart " + problem);
        return out;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
}

std::uint64_t Ledger::blankEntriesBefore(const std::string& cutoff, const std::set<std::string>& keep) {
    std::vector<Poco::Int64> due;
    constexpr std::uint64_t kChunk = 4096;
    for (std::uint64_t from = 1;;) {
        const auto chunk = entries(from, kChunk);
        bool past = false;
        for (const auto& e : chunk) {
            if (e.time.empty()) continue;  // already blanked
            if (e.time >= cutoff) {
                past = true;  // entries are appended in time order
                break;
            }
            if (!keep.contains(e.operation)) due.push_back(static_cast<Poco::Int64>(e.index));
        }
        if (past || chunk.size() < kChunk) break;
        from = chunk.back().index + 1;
    }
    if (due.empty()) return 0;
    try {
        std::lock_guard lock(mutex_);
        inWriteTransaction(*session_, [&] {
            *session_ << "UPDATE ledger_entries SET entry = NULL WHERE idx = ?", use(due), now;
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot purge ledger " + file_.string() + ": " + describe(ex));
    }
    return due.size();
}

std::vector<LedgerEntry> Ledger::entries(std::uint64_t fromIndex, std::uint64_t limit) const {
    std::vector<LedgerEntry> result;
    if (limit == 0) return result;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Poco::Int64>::max());
    Poco::Int64 from = static_cast<Poco::Int64>(std::min(std::max<std::uint64_t>(fromIndex, 1), kMax));
    Poco::Int64 count = static_cast<Poco::Int64>(std::min(limit, kMax));
    std::vector<Poco::Int64> indices;
    std::vector<BLOB> stored;
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT idx, COALESCE(entry, X'') FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?", use(from),
            use(count), into(indices), into(stored), now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    result.reserve(indices.size());
    for (std::size_t row = 0; row < indices.size(); ++row) {
        const std::string where = "ledger " + file_.string() + ", entry " + std::to_string(indices[row]);
        LedgerEntry entry;
        if (stored[row].size() == 0) {
            // Purged by retention: only its hashes remain.
            entry.index = static_cast<std::uint64_t>(indices[row]);
            entry.operation = "(purged)";
            result.push_back(std::move(entry));
            continue;
        }
        try {
            entry = parseEntry(view(stored[row]));
        } catch (const LedgerError& ex) {
            throw LedgerError(where + ": stored bytes are " + ex.what() + "; run `passerelle audit verify`");
        }
        if (static_cast<Poco::Int64>(entry.index) != indices[row]) {
            throw LedgerError(where + ": content names another index; run `passerelle audit verify`");
        }
        result.push_back(std::move(entry));
    }
    return result;
}

std::vector<LedgerEntry> Ledger::query(const EntryFilter& filter) const {
    std::vector<LedgerEntry> out;
    constexpr std::uint64_t kChunk = 4096;
    for (std::uint64_t from = 1;;) {
        auto chunk = entries(from, kChunk);
        if (chunk.empty()) break;
        from = chunk.back().index + 1;
        for (LedgerEntry& e : chunk) {
            if (!filter.purpose.empty() && e.purpose != filter.purpose) continue;
            if (!filter.counterpart.empty() && e.counterpart != filter.counterpart) continue;
            if (!filter.operation.empty() && e.operation != filter.operation) continue;
            if (!filter.batchId.empty() && e.batch_id != filter.batchId) continue;
            // A bound compares on its own length, so "2026-11-29" as `to` takes the whole day.
            if (!filter.from.empty() && e.time.compare(0, filter.from.size(), filter.from) < 0) continue;
            if (!filter.to.empty() && e.time.compare(0, filter.to.size(), filter.to) > 0) continue;
            out.push_back(std::move(e));
        }
        if (chunk.size() < kChunk) break;
    }
    return out;
}

std::optional<LedgerEntry> Ledger::entry(std::uint64_t index) const {
    if (index == 0) return std::nullopt;
    auto found = entries(index, 1);
    if (found.empty() || found.front().index != index) return std::nullopt;
    return found.front();
}

std::optional<BLOB> Ledger::rowColumn(std::uint64_t index, const char* column) const {
    std::vector<BLOB> stored;
    Poco::Int64 idx = static_cast<Poco::Int64>(std::min<std::uint64_t>(index, std::numeric_limits<Poco::Int64>::max()));
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT " + std::string(column) + " FROM ledger_entries WHERE idx = ?", use(idx), into(stored),
            now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    if (stored.empty()) return std::nullopt;
    return stored.front();
}

std::optional<std::string> Ledger::entryBytes(std::uint64_t index) const {
    const auto stored = rowColumn(index, "COALESCE(entry, X'')");
    if (!stored) return std::nullopt;
    return std::string(view(*stored));
}

std::optional<Hash> Ledger::leafHashAt(std::uint64_t index) const {
    const auto stored = rowColumn(index, "leaf_hash");
    if (!stored) return std::nullopt;
    return toHash(*stored);
}

std::vector<Hash> Ledger::leafHashes(std::uint64_t count) const {
    std::vector<Hash> leaves;
    leaves.reserve(count);
    Poco::Int64 limit = static_cast<Poco::Int64>(count);
    std::vector<BLOB> stored;
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT leaf_hash FROM ledger_entries ORDER BY idx LIMIT ?", use(limit), into(stored), now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    for (const BLOB& b : stored) leaves.push_back(toHash(b));
    if (leaves.size() != count) {
        throw LedgerError("ledger " + file_.string() + " holds " + std::to_string(leaves.size()) +
                          " entries, fewer than the " + std::to_string(count) + " asked for");
    }
    return leaves;
}

InclusionProof Ledger::inclusionProof(std::uint64_t index, std::uint64_t treeSize) const {
    if (index == 0 || index > treeSize) {
        throw LedgerError("entry " + std::to_string(index) + " is not in a tree of " + std::to_string(treeSize) +
                          " entries");
    }
    const std::vector<Hash> leaves = leafHashes(treeSize);
    InclusionProof proof;
    proof.index = index;
    proof.treeSize = treeSize;
    proof.leafHash = leaves[index - 1];
    proof.path = merkle::inclusionProof(leaves, index - 1);
    proof.rootHash = merkle::rootOf(leaves);
    return proof;
}

std::vector<Hash> Ledger::consistencyProof(std::uint64_t oldSize, std::uint64_t newSize) const {
    if (oldSize == 0 || oldSize > newSize) {
        throw LedgerError("no consistency proof from " + std::to_string(oldSize) + " to " +
                          std::to_string(newSize) + " entries");
    }
    return merkle::consistencyProof(leafHashes(newSize), oldSize);
}

Hash Ledger::rootHash() const {
    std::vector<BLOB> root;
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT root_hash FROM ledger_entries ORDER BY idx DESC LIMIT 1", into(root), now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    return root.empty() ? merkle::emptyRoot() : toHash(root.front());
}

std::uint64_t Ledger::size() const {
    Poco::Int64 newest = 0;
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT COALESCE(MAX(idx), 0) FROM ledger_entries", into(newest), now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    return newest < 0 ? 0 : static_cast<std::uint64_t>(newest);
}

Ledger::Verification Ledger::verify(const KeyResolver& keys) const {
    Verification result;
    auto fail = [&](std::optional<std::uint64_t> index, const std::string& problem) {
        if (!result.intact) return;
        result.intact = false;
        result.firstBadIndex = index;
        result.problem = problem;
    };
    if (std::error_code ec; !std::filesystem::is_regular_file(file_, ec)) {
        throw LedgerError("cannot verify ledger " + file_.string() + ": the file is missing");
    }
    merkle::CompactTree tree;
    try {
        // Own connection and read snapshot: appends go on meanwhile, and nothing
        // cached by this object is trusted.
        const std::unique_ptr<Session> session = openSession(file_);
        *session << "BEGIN", now;
        std::string malformed;
        const std::vector<Checkpoint> own = readCheckpoints(*session, "ledger_checkpoints", malformed);
        if (!malformed.empty()) fail(std::nullopt, malformed);
        // Each own checkpoint: signed by one of our keys, sizes never going back.
        std::uint64_t previousSize = 0;
        for (std::size_t i = 0; i < own.size(); ++i) {
            const Checkpoint& c = own[i];
            const std::string name = "checkpoint " + std::to_string(i + 1) + " (tree_size " + std::to_string(c.treeSize) + ")";
            const auto key = keys(c.origin, c.keyId);
            if (!key) {
                fail(std::nullopt, name + ": signed with key " + c.keyId + ", which is not one of this party's keys");
            } else if (!c.signatureVerifies(*key)) {
                fail(std::nullopt, name + ": its signature does not verify (forged or altered)");
            } else if (c.treeSize < previousSize) {
                fail(std::nullopt, name + ": covers fewer entries than the checkpoint before it");
            }
            previousSize = c.treeSize;
        }
        std::size_t nextCheckpoint = 0;
        while (nextCheckpoint < own.size() && own[nextCheckpoint].treeSize == 0) ++nextCheckpoint;

        Poco::Int64 after = std::numeric_limits<Poco::Int64>::min();
        Poco::Int64 chunk = kVerifyChunk;
        std::uint64_t expected = 1;
        for (;;) {
            std::vector<Poco::Int64> indices;
            std::vector<BLOB> stored, leaves, roots;
            *session << "SELECT idx, COALESCE(entry, X''), leaf_hash, root_hash FROM ledger_entries WHERE idx > ? ORDER BY idx LIMIT ?",
                use(after), use(chunk), into(indices), into(stored), into(leaves), into(roots), now;
            if (indices.empty()) break;
            after = indices.back();
            result.entries += indices.size();
            for (std::size_t row = 0; row < indices.size() && result.intact; ++row) {
                const Poco::Int64 index = indices[row];
                const std::string name = "entry " + std::to_string(expected);
                if (index < 1 || static_cast<std::uint64_t>(index) != expected) {
                    fail(expected, name + ": missing (the next stored row is " + std::to_string(index) +
                                       "; deleted or reordered)");
                    break;
                }
                Hash leaf{};
                if (stored[row].size() == 0) {
                    leaf = toHash(leaves[row]);  // purged by retention: the stored leaf hash stands in
                } else {
                    const std::string_view bytes = view(stored[row]);
                    leaf = leafHash(bytes);
                    try {
                        if (parseEntry(bytes).index != expected) {
                            fail(expected, name + ": its content says it is another entry (moved or reordered)");
                            break;
                        }
                    } catch (const LedgerError& ex) {
                        fail(expected, name + ": stored bytes are " + ex.what());
                        break;
                    }
                    if (!sameHash(leaves[row], leaf)) {
                        fail(expected, name + ": stored leaf hash does not match its bytes (altered)");
                        break;
                    }
                }
                tree.append(leaf);
                if (!sameHash(roots[row], tree.root())) {
                    fail(expected, name + ": stored tree root does not match the entries up to it (altered)");
                    break;
                }
                while (nextCheckpoint < own.size() && own[nextCheckpoint].treeSize == expected) {
                    if (own[nextCheckpoint].rootHash != tree.root()) {
                        fail(expected, "checkpoint " + std::to_string(nextCheckpoint + 1) + " (tree_size " +
                                           std::to_string(expected) +
                                           ") does not match the entries up to it: one of entries 1-" +
                                           std::to_string(expected) + " was rewritten with its hashes");
                    }
                    ++result.checkpoints;
                    ++nextCheckpoint;
                }
                ++expected;
            }
        }
        if (result.intact && nextCheckpoint < own.size()) {
            const Checkpoint& c = own[nextCheckpoint];
            fail(expected, "entry " + std::to_string(expected) + ": missing — checkpoint " +
                               std::to_string(nextCheckpoint + 1) + " was signed over " + std::to_string(c.treeSize) +
                               " entries but only " + std::to_string(expected - 1) + " remain (truncated)");
        }
        // Counterparts' checkpoints: their signatures.
        const std::vector<Checkpoint> peers = readCheckpoints(*session, "peer_checkpoints", malformed);
        if (!malformed.empty()) fail(std::nullopt, "counterpart " + malformed);
        for (std::size_t i = 0; i < peers.size(); ++i) {
            const Checkpoint& c = peers[i];
            const std::string name = "counterpart checkpoint " + std::to_string(i + 1) + " (" + c.origin +
                                     ", tree_size " + std::to_string(c.treeSize) + ")";
            const auto key = keys(c.origin, c.keyId);
            if (!key) {
                fail(std::nullopt, name + ": signed with key " + c.keyId + ", not a key of " + c.origin +
                                       " this gateway knows");
            } else if (!c.signatureVerifies(*key)) {
                fail(std::nullopt, name + ": its signature does not verify (forged or altered)");
            } else {
                ++result.peerCheckpoints;
            }
        }
        *session << "COMMIT", now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot verify ledger " + file_.string() + ": " + describe(ex));
    }
    result.rootHash = toHex(tree.root());
    return result;
}

}  // namespace passerelle::ledger
