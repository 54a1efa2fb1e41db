#include "store/outbox.h"

#include <algorithm>
#include <tuple>

namespace passerelle::store {

namespace {

using db::ColumnType;

OutboxStatus outboxStatusFrom(const std::string& name) {
    if (name == "receipted") return OutboxStatus::Receipted;
    if (name == "dead-letter") return OutboxStatus::DeadLetter;
    return OutboxStatus::Pending;
}

const std::string kOutboxColumns =
    "batch_id, recipient, purpose, job, record_count, payload_digest, created_at, status, attempts, "
    "last_error, receipt, receipt_signature, receipted_at, next_attempt_at, last_attempt_at, claim_owner, "
    "claimed_until, dead_lettered_at, requeued_at, files_at";
// kOutboxColumns' types, in its order.
const std::vector<ColumnType> kOutboxTypes = {
    ColumnType::Text,    ColumnType::Text,    ColumnType::Text, ColumnType::Text,     // batch_id … job
    ColumnType::Integer, ColumnType::Text,    ColumnType::Text, ColumnType::Text,     // record_count … status
    ColumnType::Integer, ColumnType::Text,    ColumnType::Text, ColumnType::Text,     // attempts … receipt_signature
    ColumnType::Text,    ColumnType::Integer, ColumnType::Text, ColumnType::Text,     // receipted_at … claim_owner
    ColumnType::Integer, ColumnType::Text,    ColumnType::Text, ColumnType::Text};    // claimed_until … files_at

// The outbox rows `rest` (WHERE…, ORDER BY…) selects.
std::vector<OutboxBatch> selectOutbox(db::Connection& c, const std::string& rest, const db::Values& params = {}) {
    const db::Rows rows = c.query("SELECT " + kOutboxColumns + " FROM outbox " + rest, kOutboxTypes, params);
    std::vector<OutboxBatch> out;
    out.reserve(rows.size());
    for (std::size_t row = 0; row < rows.size(); ++row) {
        OutboxBatch b;
        b.batchId = rows.text(row, 0);
        b.recipient = rows.text(row, 1);
        b.purpose = rows.text(row, 2);
        b.job = rows.text(row, 3);
        b.recordCount = static_cast<std::uint64_t>(rows.integer(row, 4));
        b.payloadDigest = rows.text(row, 5);
        b.createdAt = rows.text(row, 6);
        b.status = outboxStatusFrom(rows.text(row, 7));
        b.attempts = static_cast<std::uint32_t>(rows.integer(row, 8));
        b.lastError = rows.text(row, 9);
        b.receipt = rows.text(row, 10);
        b.receiptSignature = rows.text(row, 11);
        b.receiptedAt = rows.text(row, 12);
        b.nextAttemptAt = rows.integer(row, 13);
        b.lastAttemptAt = rows.text(row, 14);
        b.claimOwner = rows.text(row, 15);
        b.claimedUntil = rows.integer(row, 16);
        b.deadLetteredAt = rows.text(row, 17);
        b.requeuedAt = rows.text(row, 18);
        b.filesFolderId = rows.text(row, 19);
        out.push_back(std::move(b));
    }
    return out;
}

// The cursor upsert for `rows` rows: one statement per chunk rather than per row.
std::string cursorUpsert(std::size_t rows) {
    std::string sql = "INSERT INTO job_cursor (job, record_key, digest, batch_id) VALUES ";
    for (std::size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)";
    return sql + " ON CONFLICT (job, record_key) DO UPDATE SET digest = excluded.digest, batch_id = excluded.batch_id";
}

// In key order (a B-tree filled in order, not at random) and in chunks, so memory
// stays flat whatever the cursor's size. A key met twice is written once, with the
// digest it would have been left with row by row: PostgreSQL refuses a statement
// whose ON CONFLICT updates one row twice.
void advanceCursor(db::Connection& c, const std::string& job, const std::string& batchId,
                   const std::vector<CursorEntry>& cursor) {
    if (cursor.empty()) return;
    std::vector<const CursorEntry*> ordered;
    ordered.reserve(cursor.size());
    for (const CursorEntry& e : cursor) ordered.push_back(&e);
    // By key, stably: of the entries for one key the last given wins, as it would
    // have row by row (an upsert does not take two rows for one key in one statement).
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const CursorEntry* a, const CursorEntry* b) { return a->key < b->key; });
    constexpr std::size_t kChunk = 1024;  // 4,096 parameters: within SQLite's and PostgreSQL's limits
    db::Values params;
    params.reserve(4 * std::min(kChunk, ordered.size()));
    std::size_t rows = 0;
    auto flush = [&] {
        if (rows == 0) return;
        c.execute(cursorUpsert(rows), params);
        params.clear();
        rows = 0;
    };
    for (std::size_t i = 0; i < ordered.size(); ++i) {
        if (i + 1 < ordered.size() && ordered[i + 1]->key == ordered[i]->key) continue;
        // SQLite integers are signed: the 64-bit values are stored as their bit pattern.
        params.emplace_back(job);
        params.emplace_back(static_cast<std::int64_t>(ordered[i]->key));
        params.emplace_back(static_cast<std::int64_t>(ordered[i]->digest));
        params.emplace_back(batchId);
        if (++rows == kChunk) flush();
    }
    flush();
}

}  // namespace

void Outbox::addToOutbox(const OutboxBatch& b, const std::vector<CursorEntry>& cursor) {
    inTransaction("add a batch to the outbox", [&](db::Connection& c) {
        c.execute("INSERT INTO outbox (batch_id, recipient, purpose, job, record_count, payload_digest,"
                  " created_at, status, files_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {b.batchId, b.recipient, b.purpose, b.job, static_cast<std::int64_t>(b.recordCount),
                   b.payloadDigest, b.createdAt, outboxStatusName(b.status), b.filesFolderId});
        advanceCursor(c, b.job, b.batchId, cursor);
    });
}

std::optional<OutboxBatch> Outbox::claim(const std::string& batchId, const Claim& claim) {
    return inTransaction("claim an outbox batch", [&](db::Connection& c) -> std::optional<OutboxBatch> {
        auto rows = selectOutbox(c, std::string("WHERE batch_id = ? AND status = 'pending'") +
                                        (c.postgres() ? " FOR UPDATE SKIP LOCKED" : ""),
                                 {batchId});
        if (rows.empty() || !claimIsFree(rows.front().claimOwner, rows.front().claimedUntil, claim)) {
            return std::nullopt;
        }
        OutboxBatch& b = rows.front();
        b.claimOwner = claim.owner;
        b.claimedUntil = claim.now + claim.leaseSeconds;
        c.execute("UPDATE outbox SET claim_owner = ?, claimed_until = ? WHERE batch_id = ?",
                  {b.claimOwner, b.claimedUntil, batchId});
        return b;
    });
}

std::vector<OutboxBatch> Outbox::claimDue(const Claim& claim, std::size_t max, const std::string& recipient) {
    if (max == 0) return {};
    ClaimQuery query{"outbox", "claim_owner", "claimed_until",
                     std::string("status = 'pending' AND next_attempt_at <= ?") +
                         (recipient.empty() ? "" : " AND recipient = ?") + " AND (files_at = '' OR files_at = ?)",
                     {claim.now}, "created_at, batch_id"};
    if (!recipient.empty()) query.whereParams.emplace_back(recipient);
    query.whereParams.emplace_back(claim.filesFolderId);
    return inTransaction("claim due outbox batches", [&](db::Connection& c) {
        std::vector<OutboxBatch> claimed = claimRows<OutboxBatch>(c, query, claim, max, selectOutbox, [](OutboxBatch& b) {
            return LeaseFields{b.claimOwner, b.claimedUntil, b.batchId};
        });
        std::sort(claimed.begin(), claimed.end(), [](const OutboxBatch& a, const OutboxBatch& b) {
            return std::tie(a.createdAt, a.batchId) < std::tie(b.createdAt, b.batchId);
        });
        return claimed;
    });
}

std::vector<OutboxBatch> Outbox::pendingFor(const std::string& recipient) {
    return guarded("read the outbox", [&](db::Connection& c) {
        return selectOutbox(c, "WHERE status = 'pending' AND recipient = ? ORDER BY created_at, batch_id", {recipient});
    });
}

std::optional<OutboxBatch> Outbox::outboxBatch(const std::string& batchId) {
    return guarded("read the outbox", [&](db::Connection& c) -> std::optional<OutboxBatch> {
        auto rows = selectOutbox(c, "WHERE batch_id = ?", {batchId});
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<OutboxBatch> Outbox::all() {
    return guarded("read the outbox", [&](db::Connection& c) { return selectOutbox(c, "ORDER BY created_at, batch_id"); });
}

std::unordered_set<std::string> Outbox::outboxBatchIds() {
    return guarded("read the outbox", [&](db::Connection& c) {
        const db::Rows rows = c.query("SELECT batch_id FROM outbox", {ColumnType::Text});
        std::unordered_set<std::string> ids;
        for (std::size_t row = 0; row < rows.size(); ++row) ids.insert(rows.text(row, 0));
        return ids;
    });
}

std::vector<OutboxBatch> Outbox::outboxWithStatus(OutboxStatus status) {
    return guarded("read the outbox", [&](db::Connection& c) {
        return selectOutbox(c, "WHERE status = ? ORDER BY created_at, batch_id", {outboxStatusName(status)});
    });
}

std::vector<OutboxBatch> Outbox::pendingQueuedBefore(const std::string& cutoff) {
    return guarded("read the outbox", [&](db::Connection& c) {
        // queuedSince(): the requeue time when there is one, else the creation time.
        return selectOutbox(c,
                            "WHERE status = 'pending'"
                            " AND (CASE WHEN requeued_at = '' THEN created_at ELSE requeued_at END) < ?"
                            " ORDER BY created_at, batch_id",
                            {cutoff});
    });
}

void Outbox::recordAttemptFailure(const std::string& batchId, const std::string& error,
                                      std::int64_t nextAttemptAt, const std::string& attemptedAt) {
    guarded("record a delivery failure", [&](db::Connection& c) {
        c.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                  " last_attempt_at = ?, claim_owner = '', claimed_until = 0 WHERE batch_id = ?",
                  {error, nextAttemptAt, attemptedAt, batchId});
    });
}

void Outbox::recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                               const std::string& receiptedAt) {
    guarded("record a receipt", [&](db::Connection& c) {
        c.execute("UPDATE outbox SET status = 'receipted', attempts = attempts + 1, last_error = '',"
                  " receipt = ?, receipt_signature = ?, receipted_at = ?, last_attempt_at = ?,"
                  " claim_owner = '', claimed_until = 0 WHERE batch_id = ?",
                  {receipt, signature, receiptedAt, receiptedAt, batchId});
    });
}

void Outbox::deadLetter(const std::string& batchId, const std::string& deadLetteredAt) {
    guarded("dead-letter a batch", [&](db::Connection& c) {
        c.execute("UPDATE outbox SET status = 'dead-letter', dead_lettered_at = ?, claim_owner = '',"
                  " claimed_until = 0 WHERE batch_id = ? AND status = 'pending'",
                  {deadLetteredAt, batchId});
    });
}

bool Outbox::requeue(const std::string& batchId, const std::string& requeuedAt) {
    return guarded("requeue a batch", [&](db::Connection& c) {
        return c.execute("UPDATE outbox SET status = 'pending', next_attempt_at = 0, dead_lettered_at = '',"
                         " requeued_at = ? WHERE batch_id = ? AND status = 'dead-letter'",
                         {requeuedAt, batchId}) > 0;
    });
}

std::optional<std::int64_t> Outbox::nextDueAt() {
    return guarded("read the outbox", [&](db::Connection& c) -> std::optional<std::int64_t> {
        const std::int64_t next =
            c.integer("SELECT COALESCE(MIN(next_attempt_at), -1) FROM outbox WHERE status = 'pending'", {}, -1);
        if (next < 0) return std::nullopt;
        return next;
    });
}

std::vector<OutboxSummary> Outbox::outboxSummary() {
    return guarded("read the outbox", [&](db::Connection& c) {
        const db::Rows rows =
            c.query("SELECT recipient,"
                    " COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'dead-letter'),"
                    " COUNT(*) FILTER (WHERE status = 'receipted'),"
                    " COALESCE(MIN(CASE WHEN status = 'pending' THEN created_at END), ''),"
                    " COALESCE(MAX(CASE WHEN status = 'receipted' THEN receipted_at END), ''),"
                    " COALESCE(MIN(CASE WHEN status = 'pending' THEN next_attempt_at END), 0)"
                    " FROM outbox GROUP BY recipient ORDER BY recipient",
                    {ColumnType::Text, ColumnType::Integer, ColumnType::Integer, ColumnType::Integer,
                     ColumnType::Text, ColumnType::Text, ColumnType::Integer});
        std::vector<OutboxSummary> out;
        for (std::size_t row = 0; row < rows.size(); ++row) {
            OutboxSummary s;
            s.recipient = rows.text(row, 0);
            s.pending = static_cast<std::uint64_t>(rows.integer(row, 1));
            s.deadLettered = static_cast<std::uint64_t>(rows.integer(row, 2));
            s.receipted = static_cast<std::uint64_t>(rows.integer(row, 3));
            s.oldestPendingAt = rows.text(row, 4);
            s.lastReceiptAt = rows.text(row, 5);
            s.nextAttemptAt = rows.integer(row, 6);
            out.push_back(std::move(s));
        }
        for (OutboxSummary& s : out) {
            const db::Rows error = c.query("SELECT last_error, last_attempt_at FROM outbox WHERE recipient = ?"
                                           " AND status <> 'receipted' AND last_error <> ''"
                                           " ORDER BY last_attempt_at DESC LIMIT 1",
                                           {ColumnType::Text, ColumnType::Text}, {s.recipient});
            if (!error.empty()) {
                s.lastError = error.text(0, 0);
                s.lastErrorAt = error.text(0, 1);
            }
        }
        return out;
    });
}

}  // namespace passerelle::store
