#include "ledger/ledger.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <limits>
#include <string_view>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "database/database.h"
#include "database/migrations.h"
#include "ledger/leaf_hash.h"
#include "ledger/ledger_tables.h"
#include "ledger/merkle.h"

using Poco::Data::BLOB;
using Poco::Data::Session;
using namespace Poco::Data::Keywords;
using namespace passerelle::ledger::tables;

namespace passerelle::ledger {
namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr std::size_t kOpenTimeoutSeconds = 5;
constexpr Poco::Int64 kVerifyChunk = 1024;
constexpr std::size_t kBlankPerStatement = 500;

// `text` without `prefix` (when it starts with it): a database error already
// says which database, and the ledger's message names it once.
std::string after(std::string_view text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
    return std::string(text);
}

std::shared_ptr<db::Database> openSqlite(const std::filesystem::path& file) {
    // The ledger is not made in a folder that is not there: a mistyped state
    // directory would otherwise start a new, empty ledger.
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
    if (std::error_code ec; !std::filesystem::is_directory(folder, ec)) {
        throw LedgerError("cannot open ledger " + file.string() + ": folder " + folder.string() +
                          " does not exist; create it first");
    }
    const db::Location location = db::Location::sqlite(file);
    try {
        return std::make_shared<db::Database>(location);
    } catch (const StoreError& ex) {
        throw LedgerError("cannot open ledger " + location.display() + ": " +
                          after(ex.what(), "database " + location.display() + ": cannot open: "));
    }
}

// A second connection to the file, for a read snapshot of its own.
std::unique_ptr<Session> openSqliteReader(const std::filesystem::path& file) {
    auto session = std::make_unique<Session>("SQLite", file.string(), kOpenTimeoutSeconds);
    *session << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
    return session;
}

}  // namespace

const Clock& systemClock() {
    static const SystemClock clock;
    return clock;
}

const db::Schema& ledgerSchema() {
    static const db::Schema schema = tables::schema(systemClock(), nullptr);
    return schema;
}

template <typename Fn>
auto Ledger::reading(const char* what, Fn&& fn) const {
    try {
        return db_->withSession(std::forward<Fn>(fn));
    } catch (const Poco::Exception& ex) {
        throw LedgerError(std::string("cannot ") + what + " ledger " + name() + ": " + db::describe(ex));
    }
}

Ledger::Ledger(std::shared_ptr<db::Database> database, const Clock& clock)
    : db_(std::move(database)), clock_(&clock) {
    if (!db_) throw LedgerError("cannot open a ledger without a database");
    try {
        std::uint64_t carried = 0;  // the entry recording a carried-over hash chain
        db::migrate(*db_, tables::schema(clock, &carried));
        appendedHere_ += carried;
        // The file is writable by whoever could drop a trigger: each open puts them back.
        if (!db_->postgres()) db_->transaction([](Session& session) { restoreSqliteTriggers(session); });
    } catch (const StoreError& ex) {
        throw LedgerError("cannot open ledger " + name() + ": " +
                          after(ex.what(), "database " + name() + ": "));
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot open ledger " + name() + ": " + db::describe(ex));
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot open ledger " + name() + ": " + ex.what());
    }
}

Ledger::Ledger(const std::filesystem::path& sqliteFile, const Clock& clock)
    : Ledger(openSqlite(sqliteFile), clock) {}

Ledger::~Ledger() = default;

const std::string& Ledger::name() const { return db_->name(); }

std::uint64_t Ledger::append(LedgerEntry entry) {
    if (entry.actor.empty() || entry.operation.empty()) {
        throw LedgerError("cannot append to ledger " + name() + ": an entry needs an actor and an operation");
    }
    entry.time = formatUtc(clock_->now());
    try {
        // Refuses bad UTF-8 before the transaction; only the index changes below.
        (void)canonicalBytes(entry);
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot append to ledger " + name() + ": " + ex.what());
    }
    try {
        db_->transaction([&](Session& session) { appendRow(*db_, session, entry); });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot append to ledger " + name() + ": " + db::describe(ex));
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot append to ledger " + name() + ": " + ex.what());
    }
    bool checkpointDue = false;
    {
        std::lock_guard lock(mutex_);
        checkpointDue = signer_ && checkpointEvery_ > 0;
    }
    ++appendedHere_;
    if (checkpointDue && uncheckpointed() >= checkpointEvery_) checkpoint();
    return entry.index;
}

void Ledger::setCheckpointSigner(std::string origin, std::string keyId, Signer signer,
                                 std::uint64_t everyEntries) {
    std::lock_guard lock(mutex_);
    origin_ = std::move(origin);
    keyId_ = std::move(keyId);
    signer_ = std::move(signer);
    checkpointEvery_ = everyEntries;
}

Checkpoint Ledger::checkpoint() {
    std::lock_guard lock(mutex_);
    if (!signer_) throw LedgerError("ledger " + name() + ": no key to sign checkpoints with");
    Checkpoint made;
    try {
        db_->transaction([&](Session& session) {
            // Locked like an append: no entry lands between reading the tree and
            // storing its checkpoint, and checkpoints are stored in tree order.
            const merkle::CompactTree tree = storedTree(*db_, session, true);
            const auto newest = newestCheckpoint(session);
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
            session << db_->sql("INSERT INTO ledger_checkpoints (signed, signature) VALUES (?, ?)"),
                use(signedBlob), use(signatureBlob), now;
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot write a checkpoint to ledger " + name() + ": " + db::describe(ex));
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot write a checkpoint to ledger " + name() + ": " + ex.what());
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
    std::string problem;
    auto out = reading(
        "read", [&](Session& session) { return readCheckpoints(session, "ledger_checkpoints", problem); });
    if (!problem.empty()) throw LedgerError("ledger " + name() + ": " + problem);
    return out;
}

std::optional<Checkpoint> Ledger::latestCheckpoint() const {
    return reading("read", [&](Session& session) {
        try {
            return newestCheckpoint(session);
        } catch (const LedgerError& ex) {
            throw LedgerError("ledger " + name() + ": " + ex.what());
        }
    });
}

bool Ledger::storePeerCheckpoint(const Checkpoint& checkpoint) {
    const std::string bytes = checkpoint.signedBytes();
    BLOB signedBlob = toBlob(bytes);
    BLOB signatureBlob(checkpoint.signature.data(), checkpoint.signature.size());
    try {
        return db_->withSession([&](Session& session) {
            // One statement, so two instances receiving the same checkpoint store it once.
            Poco::Data::Statement insert(session);
            insert << db_->sql(
                "INSERT INTO peer_checkpoints (signed, signature) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                use(signedBlob), use(signatureBlob);
            return insert.execute() > 0;
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot store a counterpart checkpoint in ledger " + name() + ": " +
                          db::describe(ex));
    }
}

std::vector<Checkpoint> Ledger::peerCheckpoints() const {
    std::string problem;
    auto out = reading(
        "read", [&](Session& session) { return readCheckpoints(session, "peer_checkpoints", problem); });
    if (!problem.empty()) throw LedgerError("ledger " + name() + ": counterpart " + problem);
    return out;
}

bool keptByRetention(const LedgerEntry& entry) {
    return entry.is(Operation::PayloadPurged) || entry.is(Operation::LedgerPurged);
}

namespace {

constexpr std::string_view kPurgeReasonHead = "entry bytes older than ";
constexpr std::string_view kPurgeReasonDays = " days blanked";
constexpr std::string_view kPurgeReasonThrough = " through entry ";
constexpr std::string_view kPurgeReasonTail = "; their hashes remain";

// What a ledger-purged entry's reason says. Entries written before the reason named
// its last entry say only the days (throughIndex 0).
struct PurgeRecord {
    std::uint32_t days = 0;
    std::uint64_t throughIndex = 0;
};

std::optional<std::uint64_t> decimal(std::string_view text) {
    if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) {
            return c >= '0' && c <= '9';
        })) {
        return std::nullopt;
    }
    return std::stoull(std::string(text));
}

std::optional<PurgeRecord> parsePurgeReason(std::string_view reason) {
    if (!reason.starts_with(kPurgeReasonHead) || !reason.ends_with(kPurgeReasonTail)) return std::nullopt;
    reason.remove_prefix(kPurgeReasonHead.size());
    reason.remove_suffix(kPurgeReasonTail.size());
    const auto daysEnd = reason.find(kPurgeReasonDays);
    if (daysEnd == std::string_view::npos) return std::nullopt;
    const auto days = decimal(reason.substr(0, daysEnd));
    if (!days || *days > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    PurgeRecord record{static_cast<std::uint32_t>(*days), 0};
    std::string_view rest = reason.substr(daysEnd + kPurgeReasonDays.size());
    if (rest.empty()) return record;
    if (!rest.starts_with(kPurgeReasonThrough)) return std::nullopt;
    const auto through = decimal(rest.substr(kPurgeReasonThrough.size()));
    if (!through) return std::nullopt;
    record.throughIndex = *through;
    return record;
}

}  // namespace

std::string ledgerPurgeReason(std::uint32_t retentionDays, std::uint64_t throughIndex) {
    return std::string(kPurgeReasonHead) + std::to_string(retentionDays) + std::string(kPurgeReasonDays) +
           std::string(kPurgeReasonThrough) + std::to_string(throughIndex) + std::string(kPurgeReasonTail);
}

Ledger::Blanked Ledger::blankEntriesBefore(const std::string& cutoff,
                                           const std::function<void(const Blanked&)>& record) {
    std::vector<Poco::Int64> due;
    Blanked blanked;
    constexpr std::uint64_t kChunk = 4096;
    for (std::uint64_t from = 1;;) {
        const auto chunk = entries(from, kChunk);
        bool past = false;
        for (const auto& e : chunk) {
            if (!e.time.empty() && e.time >= cutoff) {
                past = true;  // entries are appended in time order: the blanked ones are a prefix
                break;
            }
            blanked.throughIndex = e.index;
            if (e.time.empty()) continue;  // already blanked
            if (!keptByRetention(e)) due.push_back(static_cast<Poco::Int64>(e.index));
        }
        if (past || chunk.size() < kChunk) break;
        from = chunk.back().index + 1;
    }
    blanked.count = due.size();
    if (due.empty()) return blanked;
    if (record) record(blanked);
    try {
        db_->transaction([&](Session& session) {
            // Indices written into the statement (integers, nothing to escape): a
            // statement per chunk rather than one per entry.
            for (std::size_t from = 0; from < due.size(); from += kBlankPerStatement) {
                std::string list;
                for (std::size_t i = from; i < std::min(due.size(), from + kBlankPerStatement); ++i) {
                    if (!list.empty()) list += ',';
                    list += std::to_string(due[i]);
                }
                session << "UPDATE ledger_entries SET entry = NULL WHERE idx IN (" + list + ")", now;
            }
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot purge ledger " + name() + ": " + db::describe(ex));
    }
    return blanked;
}

std::vector<LedgerEntry> Ledger::entries(std::uint64_t fromIndex, std::uint64_t limit) const {
    std::vector<LedgerEntry> result;
    if (limit == 0) return result;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Poco::Int64>::max());
    Poco::Int64 from = static_cast<Poco::Int64>(std::min(std::max<std::uint64_t>(fromIndex, 1), kMax));
    Poco::Int64 count = static_cast<Poco::Int64>(std::min(limit, kMax));
    std::vector<Poco::Int64> indices;
    std::vector<BLOB> stored;
    reading("read", [&](Session& session) {
        session << db_->sql("SELECT idx, COALESCE(entry, " + emptyBytes(*db_) +
                            ") FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?"),
            use(from), use(count), into(indices), into(stored), now;
    });
    result.reserve(indices.size());
    for (std::size_t row = 0; row < indices.size(); ++row) {
        const std::string where = "ledger " + name() + ", entry " + std::to_string(indices[row]);
        LedgerEntry entry;
        if (stored[row].size() == 0) {
            // Purged by retention: only its hashes remain.
            entry.index = static_cast<std::uint64_t>(indices[row]);
            entry.operation = kBlankedEntryOperation;
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

std::optional<BLOB> Ledger::rowColumn(std::uint64_t index, const std::string& column) const {
    std::vector<BLOB> stored;
    Poco::Int64 idx =
        static_cast<Poco::Int64>(std::min<std::uint64_t>(index, std::numeric_limits<Poco::Int64>::max()));
    reading("read", [&](Session& session) {
        session << db_->sql("SELECT " + column + " FROM ledger_entries WHERE idx = ?"), use(idx),
            into(stored), now;
    });
    if (stored.empty()) return std::nullopt;
    return stored.front();
}

std::optional<std::string> Ledger::entryBytes(std::uint64_t index) const {
    const auto stored = rowColumn(index, "COALESCE(entry, " + emptyBytes(*db_) + ")");
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
    reading("read", [&](Session& session) {
        session << db_->sql("SELECT leaf_hash FROM ledger_entries ORDER BY idx LIMIT ?"), use(limit),
            into(stored), now;
    });
    for (const BLOB& b : stored) leaves.push_back(toHash(b));
    if (leaves.size() != count) {
        throw LedgerError("ledger " + name() + " holds " + std::to_string(leaves.size()) +
                          " entries, fewer than the " + std::to_string(count) + " asked for");
    }
    return leaves;
}

InclusionProof Ledger::inclusionProof(std::uint64_t index, std::uint64_t treeSize) const {
    if (index == 0 || index > treeSize) {
        throw LedgerError("entry " + std::to_string(index) + " is not in a tree of " +
                          std::to_string(treeSize) + " entries");
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
    reading("read", [&](Session& session) {
        session << "SELECT root_hash FROM ledger_entries ORDER BY idx DESC LIMIT 1", into(root), now;
    });
    return root.empty() ? merkle::emptyRoot() : toHash(root.front());
}

std::uint64_t Ledger::size() const {
    Poco::Int64 newest = 0;
    reading("read", [&](Session& session) {
        session << "SELECT COALESCE(MAX(idx), 0) FROM ledger_entries", into(newest), now;
    });
    return newest < 0 ? 0 : static_cast<std::uint64_t>(newest);
}

Ledger::Verification Ledger::verify(const KeyResolver& keys) const {
    // Own connection and read snapshot: appends go on meanwhile, and nothing
    // cached by this object is trusted.
    try {
        if (!db_->postgres()) {
            const std::filesystem::path file = db_->location().target;
            if (std::error_code ec; !std::filesystem::is_regular_file(file, ec)) {
                throw LedgerError("cannot verify ledger " + name() + ": the file is missing");
            }
            const std::unique_ptr<Session> session = openSqliteReader(file);
            *session << "BEGIN", now;
            Verification result = verifyIn(*session, keys);
            *session << "COMMIT", now;
            return result;
        }
        return db_->withSession([&](Session& session) {
            session.begin();
            try {
                session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", now;
                Verification result = verifyIn(session, keys);
                session.commit();
                return result;
            } catch (...) {
                try {
                    session.rollback();
                } catch (const Poco::Exception&) {
                    // The connection may be gone: the first error is the one to report.
                }
                throw;
            }
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot verify ledger " + name() + ": " + db::describe(ex));
    }
}

namespace {

// One pass of `audit verify` over the ledger (Ledger::verify): the own checkpoints'
// signatures, then each stored row in order (index, bytes, leaf hash, tree root, and
// the checkpoints signed at that size), what retention blanked, and the
// counterparts' checkpoints. The first problem found is the one reported.
class ChainCheck {
public:
    ChainCheck(const KeyResolver& keys, Ledger::Verification& result) : keys_(keys), result_(result) {}

    void ownCheckpoints(std::vector<Checkpoint> own);
    // False once the walk must stop (the row is at fault).
    bool row(Poco::Int64 index, const BLOB& stored, const BLOB& storedLeaf, const BLOB& storedRoot);
    void endOfRows();
    void peerCheckpoints(const std::vector<Checkpoint>& peers);
    bool intact() const { return result_.intact; }
    std::string rootHex() const { return toHex(tree_.root()); }

    void fail(std::optional<std::uint64_t> index, const std::string& problem) {
        if (!result_.intact) return;
        result_.intact = false;
        result_.firstBadIndex = index;
        result_.problem = problem;
    }

private:
    // A run of blanked entries waiting for the ledger-purged entry that covers it.
    struct BlankRun {
        std::uint64_t first = 0, last = 0;
        std::string after;  // time of the newest entry before the run with its bytes: a lower bound of the run's times
    };

    bool blankedRow(const std::string& name, const BLOB& storedLeaf, Hash& leaf);
    bool keptRow(const std::string& name, std::string_view bytes, const BLOB& storedLeaf, Hash& leaf);
    void account(const LedgerEntry& purge);

    const KeyResolver& keys_;
    Ledger::Verification& result_;
    merkle::CompactTree tree_;
    std::vector<Checkpoint> own_;
    std::size_t nextCheckpoint_ = 0;
    std::uint64_t expected_ = 1;
    // Blanked entries must be what retention blanks: the oldest entries it does not keep,
    // each accounted for by a later ledger-purged entry. Runs of blanked entries wait
    // here for the purge entry that covers them; one still waiting at the end was
    // blanked by someone else (its hashes stay, so nothing else would notice).
    std::vector<BlankRun> unaccounted_;
    std::string newestTime_;                       // of the entries read so far with their bytes
    std::optional<std::uint64_t> firstKeptBytes_;  // first entry retention would blank that still has its bytes
};

// Each own checkpoint: signed by one of our keys, sizes never going back.
void ChainCheck::ownCheckpoints(std::vector<Checkpoint> own) {
    own_ = std::move(own);
    std::uint64_t previousSize = 0;
    for (std::size_t i = 0; i < own_.size(); ++i) {
        const Checkpoint& c = own_[i];
        const std::string name =
            "checkpoint " + std::to_string(i + 1) + " (tree_size " + std::to_string(c.treeSize) + ")";
        const auto key = keys_(c.origin, c.keyId);
        if (!key) {
            fail(std::nullopt,
                 name + ": signed with key " + c.keyId + ", which is not one of this party's keys");
        } else if (!c.signatureVerifies(*key)) {
            fail(std::nullopt, name + ": its signature does not verify (forged or altered)");
        } else if (c.treeSize < previousSize) {
            fail(std::nullopt, name + ": covers fewer entries than the checkpoint before it");
        }
        previousSize = c.treeSize;
    }
    while (nextCheckpoint_ < own_.size() && own_[nextCheckpoint_].treeSize == 0) ++nextCheckpoint_;
}

void ChainCheck::account(const LedgerEntry& purge) {
    const auto record = parsePurgeReason(purge.reason);
    if (!record) return;
    if (record->throughIndex > 0) {
        // Written with the index it covers: every blanked entry up to it is accounted for.
        std::erase_if(unaccounted_, [&](const BlankRun& r) { return r.last <= record->throughIndex; });
        for (BlankRun& r : unaccounted_) r.first = std::max(r.first, record->throughIndex + 1);
        return;
    }
    // An earlier purge entry says only its retention: a run is accounted for unless an
    // entry before it is already younger than that retention's cutoff.
    const auto at = parseUtc(purge.time);
    if (!at) return;
    const std::string cutoff = formatUtc(*at - std::chrono::hours(24) * record->days);
    std::erase_if(unaccounted_, [&](const BlankRun& r) { return r.after < cutoff; });
}

// Purged by retention: the stored leaf hash stands in for the bytes.
bool ChainCheck::blankedRow(const std::string& name, const BLOB& storedLeaf, Hash& leaf) {
    leaf = toHash(storedLeaf);
    if (firstKeptBytes_) {
        fail(expected_, name + ": its bytes are gone but entry " + std::to_string(*firstKeptBytes_) +
                            ", older, still has its own: retention blanks the oldest entries first, "
                            "so this one was blanked outside retention");
        return false;
    }
    if (!unaccounted_.empty() && unaccounted_.back().last + 1 == expected_) {
        unaccounted_.back().last = expected_;
    } else {
        unaccounted_.push_back({expected_, expected_, newestTime_});
    }
    return true;
}

bool ChainCheck::keptRow(const std::string& name, std::string_view bytes, const BLOB& storedLeaf, Hash& leaf) {
    leaf = leafHash(bytes);
    LedgerEntry parsed;
    try {
        parsed = parseEntry(bytes);
        if (parsed.index != expected_) {
            fail(expected_, name + ": its content says it is another entry (moved or reordered)");
            return false;
        }
    } catch (const LedgerError& ex) {
        fail(expected_, name + ": stored bytes are " + ex.what());
        return false;
    }
    if (!sameHash(storedLeaf, leaf)) {
        fail(expected_, name + ": stored leaf hash does not match its bytes (altered)");
        return false;
    }
    if (!firstKeptBytes_ && !keptByRetention(parsed)) firstKeptBytes_ = expected_;
    if (parsed.is(Operation::LedgerPurged)) account(parsed);
    newestTime_ = std::max(newestTime_, parsed.time);
    return true;
}

bool ChainCheck::row(Poco::Int64 index, const BLOB& stored, const BLOB& storedLeaf, const BLOB& storedRoot) {
    const std::string name = "entry " + std::to_string(expected_);
    if (index < 1 || static_cast<std::uint64_t>(index) != expected_) {
        fail(expected_, name + ": missing (the next stored row is " + std::to_string(index) +
                            "; deleted or reordered)");
        return false;
    }
    Hash leaf{};
    const bool fine = stored.size() == 0 ? blankedRow(name, storedLeaf, leaf)
                                         : keptRow(name, view(stored), storedLeaf, leaf);
    if (!fine) return false;
    tree_.append(leaf);
    if (!sameHash(storedRoot, tree_.root())) {
        fail(expected_, name + ": stored tree root does not match the entries up to it (altered)");
        return false;
    }
    while (nextCheckpoint_ < own_.size() && own_[nextCheckpoint_].treeSize == expected_) {
        if (own_[nextCheckpoint_].rootHash != tree_.root()) {
            fail(expected_, "checkpoint " + std::to_string(nextCheckpoint_ + 1) + " (tree_size " +
                                std::to_string(expected_) +
                                ") does not match the entries up to it: one of entries 1-" +
                                std::to_string(expected_) + " was rewritten with its hashes");
        }
        ++result_.checkpoints;
        ++nextCheckpoint_;
    }
    ++expected_;
    return true;
}

void ChainCheck::endOfRows() {
    if (result_.intact && !unaccounted_.empty()) {
        const BlankRun& r = unaccounted_.front();
        fail(r.first, "entry " + std::to_string(r.first) +
                          (r.last > r.first ? " (and up to entry " + std::to_string(r.last) + ")" : "") +
                          ": its bytes are gone, and no ledger-purged entry accounts for them (blanked outside "
                          "retention, or before its retention ran out); its hashes still verify");
    }
    if (result_.intact && nextCheckpoint_ < own_.size()) {
        const Checkpoint& c = own_[nextCheckpoint_];
        fail(expected_, "entry " + std::to_string(expected_) + ": missing — checkpoint " +
                            std::to_string(nextCheckpoint_ + 1) + " was signed over " +
                            std::to_string(c.treeSize) + " entries but only " + std::to_string(expected_ - 1) +
                            " remain (truncated)");
    }
}

// Counterparts' checkpoints: their signatures.
void ChainCheck::peerCheckpoints(const std::vector<Checkpoint>& peers) {
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const Checkpoint& c = peers[i];
        const std::string name = "counterpart checkpoint " + std::to_string(i + 1) + " (" + c.origin +
                                 ", tree_size " + std::to_string(c.treeSize) + ")";
        const auto key = keys_(c.origin, c.keyId);
        if (!key) {
            fail(std::nullopt, name + ": signed with key " + c.keyId + ", not a key of " + c.origin +
                                   " this gateway knows");
        } else if (!c.signatureVerifies(*key)) {
            fail(std::nullopt, name + ": its signature does not verify (forged or altered)");
        } else {
            ++result_.peerCheckpoints;
        }
    }
}

}  // namespace

Ledger::Verification Ledger::verifyIn(Session& session, const KeyResolver& keys) const {
    Verification result;
    ChainCheck check(keys, result);
    std::string malformed;
    std::vector<Checkpoint> own = readCheckpoints(session, "ledger_checkpoints", malformed);
    if (!malformed.empty()) check.fail(std::nullopt, malformed);
    check.ownCheckpoints(std::move(own));

    Poco::Int64 after = std::numeric_limits<Poco::Int64>::min();
    Poco::Int64 chunk = kVerifyChunk;
    const std::string rows =
        db_->sql("SELECT idx, COALESCE(entry, " + emptyBytes(*db_) +
                 "), leaf_hash, root_hash FROM ledger_entries WHERE idx > ? ORDER BY idx LIMIT ?");
    for (;;) {
        std::vector<Poco::Int64> indices;
        std::vector<BLOB> stored, leaves, roots;
        session << rows, use(after), use(chunk), into(indices), into(stored), into(leaves), into(roots), now;
        if (indices.empty()) break;
        after = indices.back();
        result.entries += indices.size();
        for (std::size_t row = 0; row < indices.size() && check.intact(); ++row) {
            if (!check.row(indices[row], stored[row], leaves[row], roots[row])) break;
        }
    }
    check.endOfRows();
    const std::vector<Checkpoint> peers = readCheckpoints(session, "peer_checkpoints", malformed);
    if (!malformed.empty()) check.fail(std::nullopt, "counterpart " + malformed);
    check.peerCheckpoints(peers);
    result.rootHash = check.rootHex();
    return result;
}

}  // namespace passerelle::ledger
