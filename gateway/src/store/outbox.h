#pragma once
// The institution's outbox: sealed batches waiting for, or holding, their receipt;
// claims so that one process sends each batch, back-off, dead letters.
#include "store/table_access.h"
#include "store/job_state.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace passerelle::store {

class Outbox : TableAccess {
public:
    explicit Outbox(std::shared_ptr<db::Database> database) : TableAccess(std::move(database)) {}

    // Queues the batch; for an incremental job, advances the job's cursor in the
    // same transaction, so a crash leaves both or neither.
    void addToOutbox(const OutboxBatch& batch, const std::vector<CursorEntry>& cursor = {});
    std::vector<OutboxBatch> pendingFor(const std::string& recipient);
    std::optional<OutboxBatch> outboxBatch(const std::string& batchId);
    // Claims one pending batch for sending, if no live process holds it.
    std::optional<OutboxBatch> claim(const std::string& batchId, const Claim& claim);
    // Claims up to `max` pending batches due by claim.now (any recipient when
    // empty), oldest first. On PostgreSQL, rows another instance is claiming are
    // skipped (FOR UPDATE SKIP LOCKED), so instances never take the same batch.
    std::vector<OutboxBatch> claimDue(const Claim& claim, std::size_t max, const std::string& recipient = {});
    // A failed attempt: counted, its error kept, next try not before nextAttemptAt; the claim is released.
    void recordAttemptFailure(const std::string& batchId, const std::string& error, std::int64_t nextAttemptAt,
                              const std::string& attemptedAt);
    void recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                       const std::string& receiptedAt);
    void deadLetter(const std::string& batchId, const std::string& deadLetteredAt);
    // Puts a dead-lettered batch back in the queue, due now. False when it is not dead-lettered.
    bool requeue(const std::string& batchId, const std::string& requeuedAt);
    // Every batch, whatever its state.
    std::vector<OutboxBatch> all();
    // Every batch id in the outbox, whatever its state: recovery's one read at start.
    std::unordered_set<std::string> outboxBatchIds();
    // The batches in one state, oldest first: dead letters for status, receipted ones for retention.
    std::vector<OutboxBatch> outboxWithStatus(OutboxStatus status);
    // Pending batches queued (or requeued) before `cutoff` (UTC text): the dead-letter candidates.
    std::vector<OutboxBatch> pendingQueuedBefore(const std::string& cutoff);
    std::vector<OutboxSummary> outboxSummary();
    // The earliest next attempt among pending batches (unix seconds), if any.
    std::optional<std::int64_t> nextDueAt();
};

}  // namespace passerelle::store
