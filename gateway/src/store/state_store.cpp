#include "store/state_store.h"

#include "common/errors.h"
#include "database/migrations.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <set>
#include <tuple>
#include <cerrno>
#include <unistd.h>

using namespace Poco::Data::Keywords;

namespace passerelle::store {

namespace {

OutboxStatus outboxStatusFrom(const std::string& name) {
    if (name == "receipted") return OutboxStatus::Receipted;
    if (name == "dead-letter") return OutboxStatus::DeadLetter;
    return OutboxStatus::Pending;
}
const char* inboxStatusName(InboxStatus s) { return s == InboxStatus::Stored ? "stored" : "delivered"; }

const std::string kOutboxColumns =
    "batch_id, recipient, purpose, job, record_count, payload_digest, created_at, status, attempts, "
    "last_error, receipt, receipt_signature, receipted_at, next_attempt_at, last_attempt_at, claim_owner, "
    "claimed_until, dead_lettered_at, requeued_at, files_at";
const std::string kInboxColumns =
    "batch_id, sender, purpose, record_count, payload_digest, received_at, receipt, receipt_signature, "
    "status, sink_attempts, sink_error, delivered_at, files_at, sink_owner, sink_claimed_until";

std::vector<OutboxBatch> readOutbox(Poco::Data::Statement& select) {
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<OutboxBatch> out;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
        OutboxBatch b;
        b.batchId = rs.value(0, row).convert<std::string>();
        b.recipient = rs.value(1, row).convert<std::string>();
        b.purpose = rs.value(2, row).convert<std::string>();
        b.job = rs.value(3, row).convert<std::string>();
        b.recordCount = rs.value(4, row).convert<std::uint64_t>();
        b.payloadDigest = rs.value(5, row).convert<std::string>();
        b.createdAt = rs.value(6, row).convert<std::string>();
        b.status = outboxStatusFrom(rs.value(7, row).convert<std::string>());
        b.attempts = rs.value(8, row).convert<std::uint32_t>();
        b.lastError = rs.value(9, row).convert<std::string>();
        b.receipt = rs.value(10, row).convert<std::string>();
        b.receiptSignature = rs.value(11, row).convert<std::string>();
        b.receiptedAt = rs.value(12, row).convert<std::string>();
        b.nextAttemptAt = rs.value(13, row).convert<std::int64_t>();
        b.lastAttemptAt = rs.value(14, row).convert<std::string>();
        b.claimOwner = rs.value(15, row).convert<std::string>();
        b.claimedUntil = rs.value(16, row).convert<std::int64_t>();
        b.deadLetteredAt = rs.value(17, row).convert<std::string>();
        b.requeuedAt = rs.value(18, row).convert<std::string>();
        b.filesAt = rs.value(19, row).convert<std::string>();
        out.push_back(std::move(b));
    }
    return out;
}

std::vector<InboxBatch> readInbox(Poco::Data::Statement& select) {
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<InboxBatch> out;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
        InboxBatch b;
        b.batchId = rs.value(0, row).convert<std::string>();
        b.sender = rs.value(1, row).convert<std::string>();
        b.purpose = rs.value(2, row).convert<std::string>();
        b.recordCount = rs.value(3, row).convert<std::uint64_t>();
        b.payloadDigest = rs.value(4, row).convert<std::string>();
        b.receivedAt = rs.value(5, row).convert<std::string>();
        b.receipt = rs.value(6, row).convert<std::string>();
        b.receiptSignature = rs.value(7, row).convert<std::string>();
        b.status = rs.value(8, row).convert<std::string>() == "delivered" ? InboxStatus::Delivered
                                                                         : InboxStatus::Stored;
        b.sinkAttempts = rs.value(9, row).convert<std::uint32_t>();
        b.sinkError = rs.value(10, row).convert<std::string>();
        b.deliveredAt = rs.value(11, row).convert<std::string>();
        b.filesAt = rs.value(12, row).convert<std::string>();
        b.sinkOwner = rs.value(13, row).convert<std::string>();
        b.sinkClaimedUntil = rs.value(14, row).convert<std::int64_t>();
        out.push_back(std::move(b));
    }
    return out;
}

// Columns added after the first release, created on an SQLite store made before
// versioned migrations (version 1 brings any earlier file up to date).
void addMissingColumns(Poco::Data::Session& session, const std::string& table,
                       const std::vector<std::pair<std::string, std::string>>& columns) {
    Poco::Data::Statement info(session);
    info << "PRAGMA table_info(" << table << ")";
    info.execute();
    Poco::Data::RecordSet rs(info);
    std::set<std::string> present;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) present.insert(rs.value(1, row).convert<std::string>());
    for (const auto& [name, definition] : columns) {
        if (!present.contains(name)) session << "ALTER TABLE " << table << " ADD COLUMN " << name << " " << definition, now;
    }
}

// Version 1: the state as of the first PostgreSQL release. The same DDL on both
// engines (BIGINT is an INTEGER to SQLite); older SQLite files get their missing columns.
void createStateTables(db::Database& db, Poco::Data::Session& session) {
    session << "CREATE TABLE IF NOT EXISTS outbox ("
               " batch_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, purpose TEXT NOT NULL,"
               " job TEXT NOT NULL, record_count BIGINT NOT NULL, payload_digest TEXT NOT NULL,"
               " created_at TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,"
               " last_error TEXT NOT NULL DEFAULT '', receipt TEXT NOT NULL DEFAULT '',"
               " receipt_signature TEXT NOT NULL DEFAULT '', receipted_at TEXT NOT NULL DEFAULT '',"
               " next_attempt_at BIGINT NOT NULL DEFAULT 0, last_attempt_at TEXT NOT NULL DEFAULT '',"
               " claim_owner TEXT NOT NULL DEFAULT '', claimed_until BIGINT NOT NULL DEFAULT 0,"
               " dead_lettered_at TEXT NOT NULL DEFAULT '', requeued_at TEXT NOT NULL DEFAULT '',"
               " files_at TEXT NOT NULL DEFAULT '')",
        now;
    session << "CREATE TABLE IF NOT EXISTS inbox ("
               " batch_id TEXT PRIMARY KEY, sender TEXT NOT NULL, purpose TEXT NOT NULL,"
               " record_count BIGINT NOT NULL, payload_digest TEXT NOT NULL, received_at TEXT NOT NULL,"
               " receipt TEXT NOT NULL, receipt_signature TEXT NOT NULL, status TEXT NOT NULL,"
               " sink_attempts BIGINT NOT NULL DEFAULT 0, sink_error TEXT NOT NULL DEFAULT '',"
               " delivered_at TEXT NOT NULL DEFAULT '', files_at TEXT NOT NULL DEFAULT '',"
               " sink_owner TEXT NOT NULL DEFAULT '', sink_claimed_until BIGINT NOT NULL DEFAULT 0)",
        now;
    if (!db.postgres()) {
        addMissingColumns(session, "outbox",
                          {{"next_attempt_at", "INTEGER NOT NULL DEFAULT 0"},
                           {"last_attempt_at", "TEXT NOT NULL DEFAULT ''"},
                           {"claim_owner", "TEXT NOT NULL DEFAULT ''"},
                           {"claimed_until", "INTEGER NOT NULL DEFAULT 0"},
                           {"dead_lettered_at", "TEXT NOT NULL DEFAULT ''"},
                           {"requeued_at", "TEXT NOT NULL DEFAULT ''"},
                           {"files_at", "TEXT NOT NULL DEFAULT ''"}});
        addMissingColumns(session, "inbox",
                          {{"files_at", "TEXT NOT NULL DEFAULT ''"},
                           {"sink_owner", "TEXT NOT NULL DEFAULT ''"},
                           {"sink_claimed_until", "INTEGER NOT NULL DEFAULT 0"}});
    }
    session << "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at)", now;
    session << "CREATE INDEX IF NOT EXISTS inbox_status ON inbox (status, received_at)", now;
    // Incremental jobs: per record key, the digest of the record last queued. SQLite
    // integers are signed: the 64-bit values are stored as their bit pattern.
    session << "CREATE TABLE IF NOT EXISTS job_cursor ("
               " job TEXT NOT NULL, record_key BIGINT NOT NULL, digest BIGINT NOT NULL,"
               " batch_id TEXT NOT NULL, PRIMARY KEY (job, record_key))"
            << (db.postgres() ? "" : " WITHOUT ROWID"),
        now;
    session << "CREATE TABLE IF NOT EXISTS job_runs ("
               " job TEXT PRIMARY KEY, last_scheduled_for BIGINT NOT NULL DEFAULT 0,"
               " last_started_at TEXT NOT NULL DEFAULT '', last_finished_at TEXT NOT NULL DEFAULT '',"
               " last_outcome TEXT NOT NULL DEFAULT '')",
        now;
    // Pseudonyms only, never the id they were computed from (docs/privacy.md).
    session << "CREATE TABLE IF NOT EXISTS objections ("
               " purpose TEXT NOT NULL, pseudonym TEXT NOT NULL, created_at TEXT NOT NULL,"
               " PRIMARY KEY (purpose, pseudonym))",
        now;
}

// A claim held by this very process is not free either: one of its workers is sending the batch.
bool claimIsFree(const std::string& owner, std::int64_t until, const Claim& claim) {
    return owner.empty() || until <= claim.now || ownerIsGone(owner);
}

// A claim is taken in two passes, so that the rows other workers are sending never
// fill the LIMIT: first the rows whose live lease is held by a process of this host
// (few: what this host is sending now), of which those of dead processes are free at
// once; then, up to what is still wanted, the rows without a live claim.
enum class ClaimPass { ThisHost, Free };

// The pass's condition on the claim columns; `?` parameters: the LIKE pattern of this
// host's owners and now (ThisHost), or now (Free).
std::string claimCondition(ClaimPass pass, const std::string& owner, const std::string& until) {
    return pass == ClaimPass::ThisHost ? "(" + owner + " LIKE ? ESCAPE '!' AND " + until + " > ?)"
                                       : "(" + owner + " = '' OR " + until + " <= ?)";
}

std::string thisHostPattern() {
    const std::string self = processOwner();
    std::string pattern;
    for (char c : self.substr(0, self.rfind(':') + 1)) {
        if (c == '%' || c == '_' || c == '!') pattern += '!';
        pattern += c;
    }
    return pattern + "%";
}

}  // namespace

const db::Schema& stateSchema() {
    static const db::Schema schema{
        "state",
        {{1, "outbox, inbox, job cursors, job runs, objections", createStateTables}},
        {"GRANT SELECT, INSERT, UPDATE, DELETE ON outbox, inbox, job_cursor, job_runs, objections TO " +
         std::string(db::kGatewayRole)}};
    return schema;
}

std::string_view outboxStatusName(OutboxStatus s) {
    switch (s) {
        case OutboxStatus::Pending: return "pending";
        case OutboxStatus::Receipted: return "receipted";
        case OutboxStatus::DeadLetter: return "dead-letter";
    }
    return "pending";
}

std::string processOwner() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return std::string(host) + ":" + std::to_string(getpid());
}

bool ownerIsGone(const std::string& owner) {
    const auto colon = owner.rfind(':');
    if (colon == std::string::npos) return false;
    const std::string self = processOwner();
    if (owner.compare(0, colon, self, 0, self.rfind(':')) != 0 || self.rfind(':') != colon) return false;  // another host
    pid_t pid = 0;
    try {
        pid = static_cast<pid_t>(std::stol(owner.substr(colon + 1)));
    } catch (const std::exception&) {
        return false;
    }
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

ExclusiveLock::ExclusiveLock(std::unique_ptr<Poco::Data::Session> session, std::int64_t key)
    : session_(std::move(session)), key_(key) {}

ExclusiveLock::ExclusiveLock(ExclusiveLock&& other) noexcept
    : session_(std::move(other.session_)), key_(other.key_) {}

ExclusiveLock::~ExclusiveLock() {
    if (!session_) return;
    try {
        Poco::Int64 key = key_;
        bool released = false;
        *session_ << "SELECT pg_advisory_unlock($1)", use(key), into(released), now;
    } catch (const Poco::Exception&) {
        // The session is going back to the pool or away: a lost connection frees its locks.
    }
}

template <typename Fn>
auto StateStore::guarded(const char* what, Fn&& fn) {
    try {
        return db_->withSession(fn);
    } catch (const Poco::Exception& e) {
        throw StoreError("state store " + db_->name() + ": cannot " + what + ": " + db::describe(e));
    }
}

// A read-then-update (a claim) is atomic against every other process: SQLite's
// BEGIN IMMEDIATE takes the file's write lock; PostgreSQL locks the rows read FOR UPDATE.
template <typename Fn>
auto StateStore::inTransaction(const char* what, Fn&& fn) {
    try {
        return db_->transaction(fn);
    } catch (const Poco::Exception& e) {
        throw StoreError("state store " + db_->name() + ": cannot " + what + ": " + db::describe(e));
    }
}

StateStore::StateStore(std::shared_ptr<db::Database> database) : db_(std::move(database)) {
    db::migrate(*db_, stateSchema());
}

StateStore::StateStore(const std::filesystem::path& sqliteFile)
    : StateStore(std::make_shared<db::Database>(db::Location::sqlite(sqliteFile))) {}

void StateStore::addToOutbox(const OutboxBatch& b, const std::vector<CursorEntry>& cursor) {
    inTransaction("add a batch to the outbox", [&](Poco::Data::Session& session) {
        std::string status(outboxStatusName(b.status));
        Poco::Int64 count = static_cast<Poco::Int64>(b.recordCount);
        session << db_->sql("INSERT INTO outbox (batch_id, recipient, purpose, job, record_count, payload_digest,"
                            " created_at, status, files_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            useRef(b.batchId), useRef(b.recipient), useRef(b.purpose), useRef(b.job), use(count),
            useRef(b.payloadDigest), useRef(b.createdAt), use(status), useRef(b.filesAt), now;
        // In key order (a B-tree filled in order, not at random) and in chunks, so
        // memory stays flat whatever the cursor's size.
        std::vector<const CursorEntry*> ordered;
        ordered.reserve(cursor.size());
        for (const CursorEntry& e : cursor) ordered.push_back(&e);
        std::sort(ordered.begin(), ordered.end(), [](const CursorEntry* a, const CursorEntry* b) { return *a < *b; });
        constexpr std::size_t kChunk = 4096;
        std::vector<Poco::Int64> keys, digests;
        std::vector<std::string> jobs, batches;
        const std::string upsert = db_->sql(
            "INSERT INTO job_cursor (job, record_key, digest, batch_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (job, record_key) DO UPDATE SET digest = excluded.digest, batch_id = excluded.batch_id");
        for (std::size_t from = 0; from < ordered.size(); from += kChunk) {
            const std::size_t n = std::min(kChunk, ordered.size() - from);
            keys.resize(n);
            digests.resize(n);
            jobs.assign(n, b.job);
            batches.assign(n, b.batchId);
            for (std::size_t i = 0; i < n; ++i) {
                keys[i] = static_cast<Poco::Int64>(ordered[from + i]->key);
                digests[i] = static_cast<Poco::Int64>(ordered[from + i]->digest);
            }
            session << upsert, use(jobs), use(keys), use(digests), use(batches), now;
        }
    });
}

std::vector<CursorEntry> StateStore::cursor(const std::string& job) {
    return guarded("read a job's cursor", [&](Poco::Data::Session& session) {
        // In key order, a chunk at a time, so that the transient buffers stay small
        // whatever the cursor's size: only the result grows (16 bytes a record).
        constexpr Poco::Int64 kChunk = 8192;
        std::vector<CursorEntry> out;
        std::optional<Poco::Int64> after;
        // On PostgreSQL as text: Poco 1.11's connector reads a 64-bit integer through a
        // double, which rounds the large negative values half of these bit patterns are.
        // (Named otherwise than the column: ORDER BY must sort the integers, not the text.)
        const std::string columns = db_->postgres() ? "CAST(record_key AS TEXT) AS key_text, CAST(digest AS TEXT) AS digest_text"
                                                    : "record_key, digest";
        auto fetch = [&]<typename Value>(std::vector<Value>& keys, std::vector<Value>& digests) {
            std::string j = job;
            Poco::Int64 from = after.value_or(0), limit = kChunk;
            Poco::Data::Statement select(session);
            select << db_->sql("SELECT " + columns + " FROM job_cursor WHERE job = ?" +
                               (after ? " AND record_key > ?" : "") + " ORDER BY record_key LIMIT ?"),
                use(j);
            if (after) select, use(from);
            select, use(limit), into(keys), into(digests);
            select.execute();
        };
        auto bits = [](const std::string& text) {
            std::int64_t value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || end != text.data() + text.size()) {
                throw Poco::DataException("job_cursor holds a value that is not a 64-bit integer");
            }
            return value;
        };
        for (;;) {
            std::size_t got = 0;
            if (db_->postgres()) {
                std::vector<std::string> keys, digests;
                fetch(keys, digests);
                for (std::size_t i = 0; i < keys.size(); ++i) {
                    out.push_back({static_cast<std::uint64_t>(bits(keys[i])), static_cast<std::uint64_t>(bits(digests[i]))});
                }
                got = keys.size();
            } else {
                std::vector<Poco::Int64> keys, digests;
                fetch(keys, digests);
                for (std::size_t i = 0; i < keys.size(); ++i) {
                    out.push_back({static_cast<std::uint64_t>(keys[i]), static_cast<std::uint64_t>(digests[i])});
                }
                got = keys.size();
            }
            if (got == 0) break;
            after = static_cast<Poco::Int64>(out.back().key);
            if (got < static_cast<std::size_t>(kChunk)) break;
        }
        // Signed order is not unsigned order: sort as the readers search.
        std::sort(out.begin(), out.end());
        return out;
    });
}

std::optional<OutboxBatch> StateStore::claim(const std::string& batchId, const Claim& claim) {
    return inTransaction("claim an outbox batch", [&](Poco::Data::Session& session) -> std::optional<OutboxBatch> {
        Poco::Data::Statement select(session);
        std::string id = batchId;
        select << db_->sql("SELECT " + kOutboxColumns + " FROM outbox WHERE batch_id = ? AND status = 'pending'" +
                           (db_->postgres() ? " FOR UPDATE SKIP LOCKED" : "")),
            use(id);
        auto rows = readOutbox(select);
        if (rows.empty() || !claimIsFree(rows.front().claimOwner, rows.front().claimedUntil, claim)) {
            return std::nullopt;
        }
        OutboxBatch& b = rows.front();
        b.claimOwner = claim.owner;
        b.claimedUntil = claim.now + claim.leaseSeconds;
        session << db_->sql("UPDATE outbox SET claim_owner = ?, claimed_until = ? WHERE batch_id = ?"),
            useRef(b.claimOwner), use(b.claimedUntil), use(id), now;
        return b;
    });
}

std::vector<OutboxBatch> StateStore::claimDue(const Claim& claim, std::size_t max, const std::string& recipient) {
    if (max == 0) return {};
    return inTransaction("claim due outbox batches", [&](Poco::Data::Session& session) {
        std::vector<OutboxBatch> claimed;
        for (const ClaimPass pass : {ClaimPass::ThisHost, ClaimPass::Free}) {
            if (claimed.size() >= max) break;
            Poco::Data::Statement select(session);
            Poco::Int64 nowSeconds = claim.now;
            Poco::Int64 limit = static_cast<Poco::Int64>(std::min<std::size_t>(max - claimed.size(), INT32_MAX));
            std::string r = recipient, filesAt = claim.filesAt, host = thisHostPattern();
            select << db_->sql("SELECT " + kOutboxColumns +
                               " FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?" +
                               (recipient.empty() ? "" : " AND recipient = ?") +
                               " AND (files_at = '' OR files_at = ?) AND " +
                               claimCondition(pass, "claim_owner", "claimed_until") + " ORDER BY created_at, batch_id" +
                               (pass == ClaimPass::Free ? " LIMIT ?" : "") +
                               (db_->postgres() ? " FOR UPDATE SKIP LOCKED" : "")),
                use(nowSeconds);
            if (!recipient.empty()) select, use(r);
            select, use(filesAt);
            if (pass == ClaimPass::ThisHost) select, use(host);
            select, use(nowSeconds);
            if (pass == ClaimPass::Free) select, use(limit);
            for (OutboxBatch& b : readOutbox(select)) {
                if (claimed.size() >= max || !claimIsFree(b.claimOwner, b.claimedUntil, claim)) continue;
                b.claimOwner = claim.owner;
                b.claimedUntil = claim.now + claim.leaseSeconds;
                session << db_->sql("UPDATE outbox SET claim_owner = ?, claimed_until = ? WHERE batch_id = ?"),
                    useRef(b.claimOwner), use(b.claimedUntil), useRef(b.batchId), now;
                claimed.push_back(std::move(b));
            }
        }
        std::sort(claimed.begin(), claimed.end(), [](const OutboxBatch& a, const OutboxBatch& b) {
            return std::tie(a.createdAt, a.batchId) < std::tie(b.createdAt, b.batchId);
        });
        return claimed;
    });
}

std::vector<OutboxBatch> StateStore::pendingFor(const std::string& recipient) {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        std::string r = recipient;
        select << db_->sql("SELECT " + kOutboxColumns +
                           " FROM outbox WHERE status = 'pending' AND recipient = ? ORDER BY created_at, batch_id"),
            use(r);
        return readOutbox(select);
    });
}

std::optional<OutboxBatch> StateStore::outboxBatch(const std::string& batchId) {
    return guarded("read the outbox", [&](Poco::Data::Session& session) -> std::optional<OutboxBatch> {
        Poco::Data::Statement select(session);
        std::string id = batchId;
        select << db_->sql("SELECT " + kOutboxColumns + " FROM outbox WHERE batch_id = ?"), use(id);
        auto rows = readOutbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<OutboxBatch> StateStore::outbox() {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT " + kOutboxColumns + " FROM outbox ORDER BY created_at, batch_id";
        return readOutbox(select);
    });
}

std::unordered_set<std::string> StateStore::outboxBatchIds() {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        std::vector<std::string> ids;
        session << "SELECT batch_id FROM outbox", into(ids), now;
        return std::unordered_set<std::string>(ids.begin(), ids.end());
    });
}

std::vector<OutboxBatch> StateStore::outboxWithStatus(OutboxStatus status) {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        std::string name(outboxStatusName(status));
        select << db_->sql("SELECT " + kOutboxColumns + " FROM outbox WHERE status = ? ORDER BY created_at, batch_id"),
            use(name);
        return readOutbox(select);
    });
}

std::vector<OutboxBatch> StateStore::pendingQueuedBefore(const std::string& cutoff) {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        std::string before = cutoff;
        // queuedSince(): the requeue time when there is one, else the creation time.
        select << db_->sql("SELECT " + kOutboxColumns +
                           " FROM outbox WHERE status = 'pending'"
                           " AND (CASE WHEN requeued_at = '' THEN created_at ELSE requeued_at END) < ?"
                           " ORDER BY created_at, batch_id"),
            use(before);
        return readOutbox(select);
    });
}

void StateStore::recordAttemptFailure(const std::string& batchId, const std::string& error,
                                      std::int64_t nextAttemptAt, const std::string& attemptedAt) {
    guarded("record a delivery failure", [&](Poco::Data::Session& session) {
        Poco::Int64 next = nextAttemptAt;
        session << db_->sql("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                            " last_attempt_at = ?, claim_owner = '', claimed_until = 0 WHERE batch_id = ?"),
            useRef(error), use(next), useRef(attemptedAt), useRef(batchId), now;
    });
}

void StateStore::recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                               const std::string& receiptedAt) {
    guarded("record a receipt", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE outbox SET status = 'receipted', attempts = attempts + 1, last_error = '',"
                            " receipt = ?, receipt_signature = ?, receipted_at = ?, last_attempt_at = ?,"
                            " claim_owner = '', claimed_until = 0 WHERE batch_id = ?"),
            useRef(receipt), useRef(signature), useRef(receiptedAt), useRef(receiptedAt), useRef(batchId), now;
    });
}

void StateStore::deadLetter(const std::string& batchId, const std::string& deadLetteredAt) {
    guarded("dead-letter a batch", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE outbox SET status = 'dead-letter', dead_lettered_at = ?, claim_owner = '',"
                            " claimed_until = 0 WHERE batch_id = ? AND status = 'pending'"),
            useRef(deadLetteredAt), useRef(batchId), now;
    });
}

bool StateStore::requeue(const std::string& batchId, const std::string& requeuedAt) {
    return guarded("requeue a batch", [&](Poco::Data::Session& session) {
        Poco::Data::Statement update(session);
        update << db_->sql("UPDATE outbox SET status = 'pending', next_attempt_at = 0, dead_lettered_at = '',"
                           " requeued_at = ? WHERE batch_id = ? AND status = 'dead-letter'"),
            useRef(requeuedAt), useRef(batchId);
        return update.execute() > 0;
    });
}

std::optional<std::int64_t> StateStore::nextDueAt() {
    return guarded("read the outbox", [&](Poco::Data::Session& session) -> std::optional<std::int64_t> {
        Poco::Int64 next = -1;
        session << "SELECT COALESCE(MIN(next_attempt_at), -1) FROM outbox WHERE status = 'pending'", into(next), now;
        if (next < 0) return std::nullopt;
        return next;
    });
}

std::vector<OutboxSummary> StateStore::outboxSummary() {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT recipient,"
                  " COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'dead-letter'),"
                  " COUNT(*) FILTER (WHERE status = 'receipted'),"
                  " COALESCE(MIN(CASE WHEN status = 'pending' THEN created_at END), ''),"
                  " COALESCE(MAX(CASE WHEN status = 'receipted' THEN receipted_at END), ''),"
                  " COALESCE(MIN(CASE WHEN status = 'pending' THEN next_attempt_at END), 0)"
                  " FROM outbox GROUP BY recipient ORDER BY recipient";
        select.execute();
        Poco::Data::RecordSet rs(select);
        std::vector<OutboxSummary> out;
        for (std::size_t row = 0; row < rs.rowCount(); ++row) {
            OutboxSummary s;
            s.recipient = rs.value(0, row).convert<std::string>();
            s.pending = rs.value(1, row).convert<std::uint64_t>();
            s.deadLettered = rs.value(2, row).convert<std::uint64_t>();
            s.receipted = rs.value(3, row).convert<std::uint64_t>();
            s.oldestPendingAt = rs.value(4, row).convert<std::string>();
            s.lastReceiptAt = rs.value(5, row).convert<std::string>();
            s.nextAttemptAt = rs.value(6, row).convert<std::int64_t>();
            out.push_back(std::move(s));
        }
        for (OutboxSummary& s : out) {
            std::vector<std::string> error, at;
            std::string r = s.recipient;
            session << db_->sql("SELECT last_error, last_attempt_at FROM outbox WHERE recipient = ?"
                                " AND status <> 'receipted' AND last_error <> ''"
                                " ORDER BY last_attempt_at DESC LIMIT 1"),
                use(r), into(error), into(at), now;
            if (!error.empty()) {
                s.lastError = error.front();
                s.lastErrorAt = at.front();
            }
        }
        return out;
    });
}

std::optional<JobRun> StateStore::jobRun(const std::string& job) {
    return guarded("read a job's last run", [&](Poco::Data::Session& session) -> std::optional<JobRun> {
        Poco::Data::Statement select(session);
        std::string j = job;
        select << db_->sql("SELECT last_scheduled_for, last_started_at, last_finished_at, last_outcome FROM job_runs"
                           " WHERE job = ?"),
            use(j);
        select.execute();
        Poco::Data::RecordSet rs(select);
        if (rs.rowCount() == 0) return std::nullopt;
        JobRun run;
        run.job = job;
        run.lastScheduledFor = rs.value(0, 0).convert<std::int64_t>();
        run.lastStartedAt = rs.value(1, 0).convert<std::string>();
        run.lastFinishedAt = rs.value(2, 0).convert<std::string>();
        run.lastOutcome = rs.value(3, 0).convert<std::string>();
        return run;
    });
}

void StateStore::recordJobRun(const JobRun& run) {
    guarded("record a job's run", [&](Poco::Data::Session& session) {
        Poco::Int64 slot = run.lastScheduledFor;
        session << db_->sql("INSERT INTO job_runs (job, last_scheduled_for, last_started_at, last_finished_at,"
                            " last_outcome) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job) DO UPDATE SET"
                            " last_scheduled_for = excluded.last_scheduled_for,"
                            " last_started_at = excluded.last_started_at,"
                            " last_finished_at = excluded.last_finished_at, last_outcome = excluded.last_outcome"),
            useRef(run.job), use(slot), useRef(run.lastStartedAt), useRef(run.lastFinishedAt),
            useRef(run.lastOutcome), now;
    });
}

std::optional<ExclusiveLock> StateStore::takeExclusive(const std::string& name, bool wait) {
    if (!db_->postgres()) return ExclusiveLock{};
    try {
        // A session of its own, out of the pool for as long as the lock is held.
        auto session = std::make_unique<Poco::Data::Session>(db_->withSession([](Poco::Data::Session& s) { return s; }));
        Poco::Int64 key = db::Database::lockKey(name);
        bool taken = false;
        *session << (wait ? "SELECT true FROM pg_advisory_lock($1)" : "SELECT pg_try_advisory_lock($1)"), use(key),
            into(taken), now;
        if (!taken) return std::nullopt;
        return ExclusiveLock(std::move(session), key);
    } catch (const Poco::Exception& e) {
        throw StoreError("state store " + db_->name() + ": cannot take the lock '" + name + "': " + db::describe(e));
    }
}

std::optional<ExclusiveLock> StateStore::tryExclusive(const std::string& name) { return takeExclusive(name, false); }

ExclusiveLock StateStore::exclusive(const std::string& name) { return std::move(*takeExclusive(name, true)); }

InboxBatch StateStore::addToInbox(const InboxBatch& b) {
    return inTransaction("add a batch to the inbox", [&](Poco::Data::Session& session) {
        std::string status = inboxStatusName(b.status);
        Poco::Int64 count = static_cast<Poco::Int64>(b.recordCount);
        session << db_->sql("INSERT INTO inbox (batch_id, sender, purpose, record_count, payload_digest,"
                            " received_at, receipt, receipt_signature, status, files_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING"),
            useRef(b.batchId), useRef(b.sender), useRef(b.purpose), use(count), useRef(b.payloadDigest),
            useRef(b.receivedAt), useRef(b.receipt), useRef(b.receiptSignature), use(status), useRef(b.filesAt), now;
        Poco::Data::Statement select(session);
        std::string id = b.batchId;
        select << db_->sql("SELECT " + kInboxColumns + " FROM inbox WHERE batch_id = ?"), use(id);
        return readInbox(select).at(0);
    });
}

std::optional<InboxBatch> StateStore::inboxBatch(const std::string& batchId) {
    return guarded("read the inbox", [&](Poco::Data::Session& session) -> std::optional<InboxBatch> {
        Poco::Data::Statement select(session);
        std::string id = batchId;
        select << db_->sql("SELECT " + kInboxColumns + " FROM inbox WHERE batch_id = ?"), use(id);
        auto rows = readInbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<InboxBatch> StateStore::awaitingSink() {
    return guarded("read the inbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT " + kInboxColumns + " FROM inbox WHERE status = 'stored' ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

std::vector<InboxBatch> StateStore::claimAwaitingSink(const Claim& claim, std::size_t max) {
    if (max == 0) return {};
    return inTransaction("claim inbox batches for the sink", [&](Poco::Data::Session& session) {
        std::vector<InboxBatch> claimed;
        for (const ClaimPass pass : {ClaimPass::ThisHost, ClaimPass::Free}) {
            if (claimed.size() >= max) break;
            Poco::Data::Statement select(session);
            Poco::Int64 nowSeconds = claim.now;
            Poco::Int64 limit = static_cast<Poco::Int64>(std::min<std::size_t>(max - claimed.size(), INT32_MAX));
            std::string filesAt = claim.filesAt, host = thisHostPattern();
            select << db_->sql("SELECT " + kInboxColumns +
                               " FROM inbox WHERE status = 'stored' AND (files_at = '' OR files_at = ?) AND " +
                               claimCondition(pass, "sink_owner", "sink_claimed_until") +
                               " ORDER BY sink_attempts, received_at, batch_id" +
                               (pass == ClaimPass::Free ? " LIMIT ?" : "") +
                               (db_->postgres() ? " FOR UPDATE SKIP LOCKED" : "")),
                use(filesAt);
            if (pass == ClaimPass::ThisHost) select, use(host);
            select, use(nowSeconds);
            if (pass == ClaimPass::Free) select, use(limit);
            for (InboxBatch& b : readInbox(select)) {
                if (claimed.size() >= max || !claimIsFree(b.sinkOwner, b.sinkClaimedUntil, claim)) continue;
                b.sinkOwner = claim.owner;
                b.sinkClaimedUntil = claim.now + claim.leaseSeconds;
                session << db_->sql("UPDATE inbox SET sink_owner = ?, sink_claimed_until = ? WHERE batch_id = ?"),
                    useRef(b.sinkOwner), use(b.sinkClaimedUntil), useRef(b.batchId), now;
                claimed.push_back(std::move(b));
            }
        }
        return claimed;
    });
}

std::vector<InboxBatch> StateStore::inbox() {
    return guarded("read the inbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT " + kInboxColumns + " FROM inbox ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

void StateStore::recordSinkFailure(const std::string& batchId, const std::string& error) {
    guarded("record a sink failure", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE inbox SET sink_attempts = sink_attempts + 1, sink_error = ?, sink_owner = '',"
                            " sink_claimed_until = 0 WHERE batch_id = ?"),
            useRef(error), useRef(batchId), now;
    });
}

void StateStore::recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt) {
    guarded("record a sink delivery", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE inbox SET status = 'delivered', sink_attempts = sink_attempts + 1,"
                            " sink_error = '', delivered_at = ?, sink_owner = '', sink_claimed_until = 0"
                            " WHERE batch_id = ?"),
            useRef(deliveredAt), useRef(batchId), now;
    });
}

std::vector<StateStore::InboxSummary> StateStore::inboxSummary() {
    return guarded("read the inbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT sender, COUNT(*) FILTER (WHERE status = 'stored'),"
                  " COUNT(*) FILTER (WHERE status = 'delivered'),"
                  " COALESCE(MIN(CASE WHEN status = 'stored' THEN received_at END), ''), MAX(received_at),"
                  " COALESCE(MAX(CASE WHEN status = 'stored' THEN sink_error END), '')"
                  " FROM inbox GROUP BY sender ORDER BY sender";
        select.execute();
        Poco::Data::RecordSet rs(select);
        std::vector<InboxSummary> out;
        for (std::size_t row = 0; row < rs.rowCount(); ++row) {
            InboxSummary s;
            s.sender = rs.value(0, row).convert<std::string>();
            s.awaitingSink = rs.value(1, row).convert<std::uint64_t>();
            s.delivered = rs.value(2, row).convert<std::uint64_t>();
            s.oldestAwaitingAt = rs.value(3, row).convert<std::string>();
            s.lastReceivedAt = rs.value(4, row).convert<std::string>();
            s.sinkError = rs.value(5, row).convert<std::string>();
            out.push_back(std::move(s));
        }
        return out;
    });
}

bool StateStore::addObjection(const Objection& o) {
    return guarded("record an objection", [&](Poco::Data::Session& session) {
        Poco::Data::Statement insert(session);
        insert << db_->sql("INSERT INTO objections (purpose, pseudonym, created_at) VALUES (?, ?, ?)"
                           " ON CONFLICT (purpose, pseudonym) DO NOTHING"),
            useRef(o.purpose), useRef(o.pseudonym), useRef(o.createdAt);
        return insert.execute() > 0;
    });
}

bool StateStore::removeObjection(const std::string& purpose, const std::string& pseudonym) {
    return guarded("remove an objection", [&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << db_->sql("DELETE FROM objections WHERE purpose = ? AND pseudonym = ?"), useRef(purpose),
            useRef(pseudonym);
        return remove.execute() > 0;
    });
}

bool StateStore::rekeyObjection(const std::string& purpose, const std::string& from, const std::string& to) {
    // One transaction, so the objection is never absent under both pseudonyms.
    return inTransaction("re-key an objection", [&](Poco::Data::Session& session) {
        Poco::Int64 already = 0;
        session << db_->sql("SELECT COUNT(*) FROM objections WHERE purpose = ? AND pseudonym = ?"), useRef(purpose),
            useRef(to), into(already), now;
        if (already > 0) {  // `to` was already recorded: `from` is redundant
            session << db_->sql("DELETE FROM objections WHERE purpose = ? AND pseudonym = ?"), useRef(purpose),
                useRef(from), now;
            return false;
        }
        Poco::Data::Statement update(session);
        update << db_->sql("UPDATE objections SET pseudonym = ? WHERE purpose = ? AND pseudonym = ?"), useRef(to),
            useRef(purpose), useRef(from);
        return update.execute() > 0;
    });
}

std::vector<Objection> StateStore::objections(const std::optional<std::string>& purpose) {
    return guarded("read the objections", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        std::string p = purpose.value_or("");
        select << db_->sql(std::string("SELECT purpose, pseudonym, created_at FROM objections") +
                           (purpose ? " WHERE purpose = ?" : "") + " ORDER BY created_at, purpose, pseudonym");
        if (purpose) select, use(p);
        select.execute();
        Poco::Data::RecordSet rs(select);
        std::vector<Objection> out;
        for (std::size_t row = 0; row < rs.rowCount(); ++row) {
            out.push_back({rs.value(0, row).convert<std::string>(), rs.value(1, row).convert<std::string>(),
                           rs.value(2, row).convert<std::string>()});
        }
        return out;
    });
}

PseudonymSet StateStore::objectionSet(const std::string& purpose) {
    PseudonymSet set;
    for (Objection& o : objections(purpose)) set.insert(std::move(o.pseudonym));
    return set;
}

}  // namespace passerelle::store
