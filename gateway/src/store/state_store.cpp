#include "store/state_store.h"

#include "common/errors.h"
#include "store/sqlite_session.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <csignal>
#include <set>
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

constexpr const char* kOutboxColumns =
    "batch_id, recipient, purpose, job, record_count, payload_digest, created_at, status, attempts, "
    "last_error, receipt, receipt_signature, receipted_at, next_attempt_at, last_attempt_at, claim_owner, "
    "claimed_until, dead_lettered_at, requeued_at";
constexpr const char* kInboxColumns =
    "batch_id, sender, purpose, record_count, payload_digest, received_at, receipt, receipt_signature, "
    "status, sink_attempts, sink_error, delivered_at";

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
        out.push_back(std::move(b));
    }
    return out;
}

// Columns added after the first release, created on an older store.
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

// A claim held by this very process is not free either: one of its workers is sending the batch.
bool claimIsFree(const OutboxBatch& b, const Claim& claim) {
    return b.claimOwner.empty() || b.claimedUntil <= claim.now || ownerIsGone(b.claimOwner);
}

}  // namespace

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

// BEGIN IMMEDIATE takes SQLite's write lock at once, so a read-then-update (a
// claim) is atomic against every other process on the file.
template <typename Fn>
auto StateStore::immediateTransaction(const char* what, Fn&& fn) {
    return guarded(file_, what, [&] {
        session_ << "BEGIN IMMEDIATE", now;
        try {
            auto result = fn();
            session_ << "COMMIT", now;
            return result;
        } catch (...) {
            try {
                session_ << "ROLLBACK", now;
            } catch (const Poco::Exception&) {
            }
            throw;
        }
    });
}

StateStore::StateStore(const std::filesystem::path& sqliteFile)
    : file_(sqliteFile), session_(openStateDatabase(sqliteFile)) {
    guarded(file_, "create its tables", [&] {
        session_ << "CREATE TABLE IF NOT EXISTS outbox ("
                    " batch_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, purpose TEXT NOT NULL,"
                    " job TEXT NOT NULL, record_count INTEGER NOT NULL, payload_digest TEXT NOT NULL,"
                    " created_at TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                    " last_error TEXT NOT NULL DEFAULT '', receipt TEXT NOT NULL DEFAULT '',"
                    " receipt_signature TEXT NOT NULL DEFAULT '', receipted_at TEXT NOT NULL DEFAULT '')",
            now;
        session_ << "CREATE TABLE IF NOT EXISTS inbox ("
                    " batch_id TEXT PRIMARY KEY, sender TEXT NOT NULL, purpose TEXT NOT NULL,"
                    " record_count INTEGER NOT NULL, payload_digest TEXT NOT NULL, received_at TEXT NOT NULL,"
                    " receipt TEXT NOT NULL, receipt_signature TEXT NOT NULL, status TEXT NOT NULL,"
                    " sink_attempts INTEGER NOT NULL DEFAULT 0, sink_error TEXT NOT NULL DEFAULT '',"
                    " delivered_at TEXT NOT NULL DEFAULT '')",
            now;
        addMissingColumns(session_, "outbox",
                          {{"next_attempt_at", "INTEGER NOT NULL DEFAULT 0"},
                           {"last_attempt_at", "TEXT NOT NULL DEFAULT ''"},
                           {"claim_owner", "TEXT NOT NULL DEFAULT ''"},
                           {"claimed_until", "INTEGER NOT NULL DEFAULT 0"},
                           {"dead_lettered_at", "TEXT NOT NULL DEFAULT ''"},
                           {"requeued_at", "TEXT NOT NULL DEFAULT ''"}});
        session_ << "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at)", now;
        // Incremental jobs: per trainee key, the digest of the record last queued.
        session_ << "CREATE TABLE IF NOT EXISTS job_cursor ("
                    " job TEXT NOT NULL, record_key INTEGER NOT NULL, digest INTEGER NOT NULL,"
                    " batch_id TEXT NOT NULL, PRIMARY KEY (job, record_key)) WITHOUT ROWID",
            now;
        session_ << "CREATE TABLE IF NOT EXISTS job_runs ("
                    " job TEXT PRIMARY KEY, last_scheduled_for INTEGER NOT NULL DEFAULT 0,"
                    " last_started_at TEXT NOT NULL DEFAULT '', last_finished_at TEXT NOT NULL DEFAULT '',"
                    " last_outcome TEXT NOT NULL DEFAULT '')",
            now;
        // Pseudonyms only, never the id they were computed from (docs/privacy.md).
        session_ << "CREATE TABLE IF NOT EXISTS objections ("
                    " purpose TEXT NOT NULL, pseudonym TEXT NOT NULL, created_at TEXT NOT NULL,"
                    " PRIMARY KEY (purpose, pseudonym))",
            now;
        return 0;
    });
}

void StateStore::addToOutbox(const OutboxBatch& b, const std::vector<CursorEntry>& cursor) {
    std::lock_guard lock(mutex_);
    immediateTransaction("add a batch to the outbox", [&] {
        std::string status(outboxStatusName(b.status));
        std::uint64_t count = b.recordCount;
        session_ << "INSERT INTO outbox (batch_id, recipient, purpose, job, record_count, payload_digest,"
                    " created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            useRef(b.batchId), useRef(b.recipient), useRef(b.purpose), useRef(b.job), use(count),
            useRef(b.payloadDigest), useRef(b.createdAt), use(status), now;
        // In key order (a B-tree filled in order, not at random) and in chunks, so
        // memory stays flat whatever the cursor's size. SQLite integers are
        // signed: the 64-bit values are stored as their bit pattern.
        std::vector<const CursorEntry*> ordered;
        ordered.reserve(cursor.size());
        for (const CursorEntry& e : cursor) ordered.push_back(&e);
        std::sort(ordered.begin(), ordered.end(), [](const CursorEntry* a, const CursorEntry* b) { return *a < *b; });
        constexpr std::size_t kChunk = 4096;
        std::vector<Poco::Int64> keys, digests;
        std::vector<std::string> jobs, batches;
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
            session_ << "INSERT OR REPLACE INTO job_cursor (job, record_key, digest, batch_id) VALUES (?, ?, ?, ?)",
                use(jobs), use(keys), use(digests), use(batches), now;
        }
        return 0;
    });
}

std::vector<CursorEntry> StateStore::cursor(const std::string& job) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read a job's cursor", [&] {
        std::vector<Poco::Int64> keys, digests;
        std::string j = job;
        session_ << "SELECT record_key, digest FROM job_cursor WHERE job = ? ORDER BY record_key", use(j),
            into(keys), into(digests), now;
        std::vector<CursorEntry> out(keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            out[i] = {static_cast<std::uint64_t>(keys[i]), static_cast<std::uint64_t>(digests[i])};
        }
        // Signed order is not unsigned order: sort as the readers search.
        std::sort(out.begin(), out.end());
        return out;
    });
}

std::optional<OutboxBatch> StateStore::claim(const std::string& batchId, const Claim& claim) {
    std::lock_guard lock(mutex_);
    return immediateTransaction("claim an outbox batch", [&]() -> std::optional<OutboxBatch> {
        Poco::Data::Statement select(session_);
        std::string id = batchId;
        select << "SELECT " << kOutboxColumns << " FROM outbox WHERE batch_id = ? AND status = 'pending'", use(id);
        auto rows = readOutbox(select);
        if (rows.empty() || !claimIsFree(rows.front(), claim)) return std::nullopt;
        OutboxBatch& b = rows.front();
        b.claimOwner = claim.owner;
        b.claimedUntil = claim.now + claim.leaseSeconds;
        session_ << "UPDATE outbox SET claim_owner = ?, claimed_until = ? WHERE batch_id = ?", useRef(b.claimOwner),
            use(b.claimedUntil), use(id), now;
        return b;
    });
}

std::vector<OutboxBatch> StateStore::claimDue(const Claim& claim, std::size_t max, const std::string& recipient) {
    std::lock_guard lock(mutex_);
    return immediateTransaction("claim due outbox batches", [&] {
        Poco::Data::Statement select(session_);
        std::int64_t nowSeconds = claim.now;
        std::string r = recipient;
        select << "SELECT " << kOutboxColumns << " FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?"
               << (recipient.empty() ? "" : " AND recipient = ?") << " ORDER BY created_at, batch_id",
            use(nowSeconds);
        if (!recipient.empty()) select, use(r);
        std::vector<OutboxBatch> claimed;
        for (OutboxBatch& b : readOutbox(select)) {
            if (claimed.size() >= max) break;
            if (!claimIsFree(b, claim)) continue;
            b.claimOwner = claim.owner;
            b.claimedUntil = claim.now + claim.leaseSeconds;
            session_ << "UPDATE outbox SET claim_owner = ?, claimed_until = ? WHERE batch_id = ?",
                useRef(b.claimOwner), use(b.claimedUntil), useRef(b.batchId), now;
            claimed.push_back(std::move(b));
        }
        return claimed;
    });
}

std::vector<OutboxBatch> StateStore::pendingFor(const std::string& recipient) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        Poco::Data::Statement select(session_);
        std::string r = recipient;
        select << "SELECT " << kOutboxColumns
               << " FROM outbox WHERE status = 'pending' AND recipient = ? ORDER BY created_at, batch_id",
            use(r);
        return readOutbox(select);
    });
}

std::optional<OutboxBatch> StateStore::outboxBatch(const std::string& batchId) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&]() -> std::optional<OutboxBatch> {
        Poco::Data::Statement select(session_);
        std::string id = batchId;
        select << "SELECT " << kOutboxColumns << " FROM outbox WHERE batch_id = ?", use(id);
        auto rows = readOutbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<OutboxBatch> StateStore::outbox() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT " << kOutboxColumns << " FROM outbox ORDER BY created_at, batch_id";
        return readOutbox(select);
    });
}

std::unordered_set<std::string> StateStore::outboxBatchIds() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        std::vector<std::string> ids;
        session_ << "SELECT batch_id FROM outbox", into(ids), now;
        return std::unordered_set<std::string>(ids.begin(), ids.end());
    });
}

std::vector<OutboxBatch> StateStore::outboxWithStatus(OutboxStatus status) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        Poco::Data::Statement select(session_);
        std::string name(outboxStatusName(status));
        select << "SELECT " << kOutboxColumns << " FROM outbox WHERE status = ? ORDER BY created_at, batch_id",
            use(name);
        return readOutbox(select);
    });
}

std::vector<OutboxBatch> StateStore::pendingQueuedBefore(const std::string& cutoff) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        Poco::Data::Statement select(session_);
        std::string before = cutoff;
        // queuedSince(): the requeue time when there is one, else the creation time.
        select << "SELECT " << kOutboxColumns
               << " FROM outbox WHERE status = 'pending'"
                  " AND (CASE WHEN requeued_at = '' THEN created_at ELSE requeued_at END) < ?"
                  " ORDER BY created_at, batch_id",
            use(before);
        return readOutbox(select);
    });
}

void StateStore::recordAttemptFailure(const std::string& batchId, const std::string& error,
                                      std::int64_t nextAttemptAt, const std::string& attemptedAt) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a delivery failure", [&] {
        session_ << "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                    " last_attempt_at = ?, claim_owner = '', claimed_until = 0 WHERE batch_id = ?",
            useRef(error), use(nextAttemptAt), useRef(attemptedAt), useRef(batchId), now;
        return 0;
    });
}

void StateStore::recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                               const std::string& receiptedAt) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a receipt", [&] {
        session_ << "UPDATE outbox SET status = 'receipted', attempts = attempts + 1, last_error = '',"
                    " receipt = ?, receipt_signature = ?, receipted_at = ?, last_attempt_at = ?,"
                    " claim_owner = '', claimed_until = 0 WHERE batch_id = ?",
            useRef(receipt), useRef(signature), useRef(receiptedAt), useRef(receiptedAt), useRef(batchId), now;
        return 0;
    });
}

void StateStore::deadLetter(const std::string& batchId, const std::string& deadLetteredAt) {
    std::lock_guard lock(mutex_);
    guarded(file_, "dead-letter a batch", [&] {
        session_ << "UPDATE outbox SET status = 'dead-letter', dead_lettered_at = ?, claim_owner = '',"
                    " claimed_until = 0 WHERE batch_id = ? AND status = 'pending'",
            useRef(deadLetteredAt), useRef(batchId), now;
        return 0;
    });
}

bool StateStore::requeue(const std::string& batchId, const std::string& requeuedAt) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "requeue a batch", [&] {
        Poco::Data::Statement update(session_);
        update << "UPDATE outbox SET status = 'pending', next_attempt_at = 0, dead_lettered_at = '',"
                  " requeued_at = ? WHERE batch_id = ? AND status = 'dead-letter'",
            useRef(requeuedAt), useRef(batchId);
        return update.execute() > 0;
    });
}

std::optional<std::int64_t> StateStore::nextDueAt() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&]() -> std::optional<std::int64_t> {
        Poco::Nullable<Poco::Int64> next;
        session_ << "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'", into(next), now;
        if (next.isNull()) return std::nullopt;
        return next.value();
    });
}

std::vector<OutboxSummary> StateStore::outboxSummary() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT recipient,"
                  " SUM(status = 'pending'), SUM(status = 'dead-letter'), SUM(status = 'receipted'),"
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
            session_ << "SELECT last_error, last_attempt_at FROM outbox WHERE recipient = ? AND status <> 'receipted'"
                        " AND last_error <> '' ORDER BY last_attempt_at DESC LIMIT 1",
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
    std::lock_guard lock(mutex_);
    return guarded(file_, "read a job's last run", [&]() -> std::optional<JobRun> {
        Poco::Data::Statement select(session_);
        std::string j = job;
        select << "SELECT last_scheduled_for, last_started_at, last_finished_at, last_outcome FROM job_runs"
                  " WHERE job = ?",
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
    std::lock_guard lock(mutex_);
    guarded(file_, "record a job's run", [&] {
        std::int64_t slot = run.lastScheduledFor;
        session_ << "INSERT OR REPLACE INTO job_runs (job, last_scheduled_for, last_started_at, last_finished_at,"
                    " last_outcome) VALUES (?, ?, ?, ?, ?)",
            useRef(run.job), use(slot), useRef(run.lastStartedAt), useRef(run.lastFinishedAt),
            useRef(run.lastOutcome), now;
        return 0;
    });
}

InboxBatch StateStore::addToInbox(const InboxBatch& b) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "add a batch to the inbox", [&] {
        std::string status = inboxStatusName(b.status);
        std::uint64_t count = b.recordCount;
        session_ << "INSERT OR IGNORE INTO inbox (batch_id, sender, purpose, record_count, payload_digest,"
                    " received_at, receipt, receipt_signature, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            useRef(b.batchId), useRef(b.sender), useRef(b.purpose), use(count), useRef(b.payloadDigest),
            useRef(b.receivedAt), useRef(b.receipt), useRef(b.receiptSignature), use(status), now;
        Poco::Data::Statement select(session_);
        std::string id = b.batchId;
        select << "SELECT " << kInboxColumns << " FROM inbox WHERE batch_id = ?", use(id);
        return readInbox(select).at(0);
    });
}

std::optional<InboxBatch> StateStore::inboxBatch(const std::string& batchId) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the inbox", [&]() -> std::optional<InboxBatch> {
        Poco::Data::Statement select(session_);
        std::string id = batchId;
        select << "SELECT " << kInboxColumns << " FROM inbox WHERE batch_id = ?", use(id);
        auto rows = readInbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<InboxBatch> StateStore::awaitingSink() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the inbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT " << kInboxColumns << " FROM inbox WHERE status = 'stored' ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

std::vector<InboxBatch> StateStore::inbox() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the inbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT " << kInboxColumns << " FROM inbox ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

void StateStore::recordSinkFailure(const std::string& batchId, const std::string& error) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a sink failure", [&] {
        session_ << "UPDATE inbox SET sink_attempts = sink_attempts + 1, sink_error = ? WHERE batch_id = ?",
            useRef(error), useRef(batchId), now;
        return 0;
    });
}

void StateStore::recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a sink delivery", [&] {
        session_ << "UPDATE inbox SET status = 'delivered', sink_attempts = sink_attempts + 1, sink_error = '',"
                    " delivered_at = ? WHERE batch_id = ?",
            useRef(deliveredAt), useRef(batchId), now;
        return 0;
    });
}

std::vector<StateStore::InboxSummary> StateStore::inboxSummary() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the inbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT sender, SUM(status = 'stored'), SUM(status = 'delivered'),"
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
    std::lock_guard lock(mutex_);
    return guarded(file_, "record an objection", [&] {
        Poco::Data::Statement insert(session_);
        insert << "INSERT OR IGNORE INTO objections (purpose, pseudonym, created_at) VALUES (?, ?, ?)",
            useRef(o.purpose), useRef(o.pseudonym), useRef(o.createdAt);
        return insert.execute() > 0;
    });
}

bool StateStore::removeObjection(const std::string& purpose, const std::string& pseudonym) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "remove an objection", [&] {
        Poco::Data::Statement remove(session_);
        remove << "DELETE FROM objections WHERE purpose = ? AND pseudonym = ?", useRef(purpose), useRef(pseudonym);
        return remove.execute() > 0;
    });
}

bool StateStore::rekeyObjection(const std::string& purpose, const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "re-key an objection", [&] {
        // One statement, so the objection is never absent under both pseudonyms.
        Poco::Data::Statement update(session_);
        update << "UPDATE OR IGNORE objections SET pseudonym = ? WHERE purpose = ? AND pseudonym = ?",
            useRef(to), useRef(purpose), useRef(from);
        const bool moved = update.execute() > 0;
        if (!moved) {  // `to` was already recorded: `from` is redundant
            Poco::Data::Statement remove(session_);
            remove << "DELETE FROM objections WHERE purpose = ? AND pseudonym = ?", useRef(purpose),
                useRef(from);
            remove.execute();
        }
        return moved;
    });
}

std::vector<Objection> StateStore::objections(const std::optional<std::string>& purpose) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the objections", [&] {
        Poco::Data::Statement select(session_);
        std::string p = purpose.value_or("");
        select << "SELECT purpose, pseudonym, created_at FROM objections"
               << (purpose ? " WHERE purpose = ?" : "") << " ORDER BY created_at, purpose, pseudonym";
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
