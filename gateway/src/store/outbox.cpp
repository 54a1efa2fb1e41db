#include "store/outbox.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

using namespace Poco::Data::Keywords;

namespace passerelle::store {

namespace {

OutboxStatus outboxStatusFrom(const std::string& name) {
    if (name == "receipted") return OutboxStatus::Receipted;
    if (name == "dead-letter") return OutboxStatus::DeadLetter;
    return OutboxStatus::Pending;
}

const std::string kOutboxColumns =
    "batch_id, recipient, purpose, job, record_count, payload_digest, created_at, status, attempts, "
    "last_error, receipt, receipt_signature, receipted_at, next_attempt_at, last_attempt_at, claim_owner, "
    "claimed_until, dead_lettered_at, requeued_at, files_at";

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
        b.filesFolderId = rs.value(19, row).convert<std::string>();
        out.push_back(std::move(b));
    }
    return out;
}

}  // namespace

void Outbox::addToOutbox(const OutboxBatch& b, const std::vector<CursorEntry>& cursor) {
    inTransaction("add a batch to the outbox", [&](Poco::Data::Session& session) {
        std::string status(outboxStatusName(b.status));
        Poco::Int64 count = static_cast<Poco::Int64>(b.recordCount);
        session << db_->sql("INSERT INTO outbox (batch_id, recipient, purpose, job, record_count, payload_digest,"
                            " created_at, status, files_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            useRef(b.batchId), useRef(b.recipient), useRef(b.purpose), useRef(b.job), use(count),
            useRef(b.payloadDigest), useRef(b.createdAt), use(status), useRef(b.filesFolderId), now;
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

std::optional<OutboxBatch> Outbox::claim(const std::string& batchId, const Claim& claim) {
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

std::vector<OutboxBatch> Outbox::claimDue(const Claim& claim, std::size_t max, const std::string& recipient) {
    if (max == 0) return {};
    return inTransaction("claim due outbox batches", [&](Poco::Data::Session& session) {
        std::vector<OutboxBatch> claimed;
        for (const ClaimPass pass : {ClaimPass::ThisHost, ClaimPass::Free}) {
            if (claimed.size() >= max) break;
            Poco::Data::Statement select(session);
            Poco::Int64 nowSeconds = claim.now;
            Poco::Int64 limit = static_cast<Poco::Int64>(std::min<std::size_t>(max - claimed.size(), INT32_MAX));
            std::string r = recipient, filesFolderId = claim.filesFolderId, host = thisHostPattern();
            select << db_->sql("SELECT " + kOutboxColumns +
                               " FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?" +
                               (recipient.empty() ? "" : " AND recipient = ?") +
                               " AND (files_at = '' OR files_at = ?) AND " +
                               claimCondition(pass, "claim_owner", "claimed_until") + " ORDER BY created_at, batch_id" +
                               (pass == ClaimPass::Free ? " LIMIT ?" : "") +
                               (db_->postgres() ? " FOR UPDATE SKIP LOCKED" : "")),
                use(nowSeconds);
            if (!recipient.empty()) select, use(r);
            select, use(filesFolderId);
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

std::vector<OutboxBatch> Outbox::pendingFor(const std::string& recipient) {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        std::string r = recipient;
        select << db_->sql("SELECT " + kOutboxColumns +
                           " FROM outbox WHERE status = 'pending' AND recipient = ? ORDER BY created_at, batch_id"),
            use(r);
        return readOutbox(select);
    });
}

std::optional<OutboxBatch> Outbox::outboxBatch(const std::string& batchId) {
    return guarded("read the outbox", [&](Poco::Data::Session& session) -> std::optional<OutboxBatch> {
        Poco::Data::Statement select(session);
        std::string id = batchId;
        select << db_->sql("SELECT " + kOutboxColumns + " FROM outbox WHERE batch_id = ?"), use(id);
        auto rows = readOutbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<OutboxBatch> Outbox::all() {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT " + kOutboxColumns + " FROM outbox ORDER BY created_at, batch_id";
        return readOutbox(select);
    });
}

std::unordered_set<std::string> Outbox::outboxBatchIds() {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        std::vector<std::string> ids;
        session << "SELECT batch_id FROM outbox", into(ids), now;
        return std::unordered_set<std::string>(ids.begin(), ids.end());
    });
}

std::vector<OutboxBatch> Outbox::outboxWithStatus(OutboxStatus status) {
    return guarded("read the outbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        std::string name(outboxStatusName(status));
        select << db_->sql("SELECT " + kOutboxColumns + " FROM outbox WHERE status = ? ORDER BY created_at, batch_id"),
            use(name);
        return readOutbox(select);
    });
}

std::vector<OutboxBatch> Outbox::pendingQueuedBefore(const std::string& cutoff) {
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

void Outbox::recordAttemptFailure(const std::string& batchId, const std::string& error,
                                      std::int64_t nextAttemptAt, const std::string& attemptedAt) {
    guarded("record a delivery failure", [&](Poco::Data::Session& session) {
        Poco::Int64 next = nextAttemptAt;
        session << db_->sql("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                            " last_attempt_at = ?, claim_owner = '', claimed_until = 0 WHERE batch_id = ?"),
            useRef(error), use(next), useRef(attemptedAt), useRef(batchId), now;
    });
}

void Outbox::recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                               const std::string& receiptedAt) {
    guarded("record a receipt", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE outbox SET status = 'receipted', attempts = attempts + 1, last_error = '',"
                            " receipt = ?, receipt_signature = ?, receipted_at = ?, last_attempt_at = ?,"
                            " claim_owner = '', claimed_until = 0 WHERE batch_id = ?"),
            useRef(receipt), useRef(signature), useRef(receiptedAt), useRef(receiptedAt), useRef(batchId), now;
    });
}

void Outbox::deadLetter(const std::string& batchId, const std::string& deadLetteredAt) {
    guarded("dead-letter a batch", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE outbox SET status = 'dead-letter', dead_lettered_at = ?, claim_owner = '',"
                            " claimed_until = 0 WHERE batch_id = ? AND status = 'pending'"),
            useRef(deadLetteredAt), useRef(batchId), now;
    });
}

bool Outbox::requeue(const std::string& batchId, const std::string& requeuedAt) {
    return guarded("requeue a batch", [&](Poco::Data::Session& session) {
        Poco::Data::Statement update(session);
        update << db_->sql("UPDATE outbox SET status = 'pending', next_attempt_at = 0, dead_lettered_at = '',"
                           " requeued_at = ? WHERE batch_id = ? AND status = 'dead-letter'"),
            useRef(requeuedAt), useRef(batchId);
        return update.execute() > 0;
    });
}

std::optional<std::int64_t> Outbox::nextDueAt() {
    return guarded("read the outbox", [&](Poco::Data::Session& session) -> std::optional<std::int64_t> {
        Poco::Int64 next = -1;
        session << "SELECT COALESCE(MIN(next_attempt_at), -1) FROM outbox WHERE status = 'pending'", into(next), now;
        if (next < 0) return std::nullopt;
        return next;
    });
}

std::vector<OutboxSummary> Outbox::outboxSummary() {
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

}  // namespace passerelle::store
