#pragma once
// The gateway's durable state besides the ledger: the institution's outbox
// (sealed batches waiting for, or holding, their receipt) and the Region's
// inbox (batches stored and acknowledged, waiting for, or handed to, the sink),
// and the institution's objections and per-batch pseudonyms (pseudonymous data
// only: no table here maps a pseudonym back to a person).
// SQLite in WAL mode with synchronous=FULL: a row is on disk when a call returns.

#include <Poco/Data/Session.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace passerelle::store {

// Pending: waiting to be sent (or being sent, when claimed). Receipted: the
// recipient's signed receipt is held. DeadLetter: still undelivered after
// [delivery] dead_letter_after_hours; kept, never deleted, until an operator
// requeues it.
enum class OutboxStatus { Pending, Receipted, DeadLetter };

std::string_view outboxStatusName(OutboxStatus status);

struct OutboxBatch {
    std::string batchId;
    std::string recipient;
    std::string purpose;
    std::string job;
    std::uint64_t recordCount = 0;
    std::string payloadDigest;
    std::string createdAt;
    OutboxStatus status = OutboxStatus::Pending;
    std::uint32_t attempts = 0;
    std::string lastError;
    std::string receipt;           // exact signed bytes of the receiver's receipt
    std::string receiptSignature;  // base64
    std::string receiptedAt;
    std::int64_t nextAttemptAt = 0;  // unix seconds: not sent again before (back-off)
    std::string lastAttemptAt;
    std::string claimOwner;          // "host:pid" of the process sending it, or empty
    std::int64_t claimedUntil = 0;   // unix seconds: the claim's lease
    std::string deadLetteredAt;
    std::string requeuedAt;          // when an operator last requeued it after a dead letter
    // Where its age (for the dead letter) counts from: its creation or its last requeue.
    const std::string& queuedSince() const { return requeuedAt.empty() ? createdAt : requeuedAt; }
};

// Who takes an outbox batch to send it, and for how long.
struct Claim {
    std::string owner;          // "host:pid" (see processOwner())
    std::int64_t now = 0;       // unix seconds
    std::int64_t leaseSeconds = 300;
};

// This process as an outbox claim owner: "<host name>:<pid>".
std::string processOwner();
// True when `owner` names a process of this host that no longer runs: its
// claims are free at once rather than at the end of their lease.
bool ownerIsGone(const std::string& owner);

// Per recipient, what `passerelle status` shows.
struct OutboxSummary {
    std::string recipient;
    std::uint64_t pending = 0;
    std::uint64_t deadLettered = 0;
    std::uint64_t receipted = 0;
    std::string oldestPendingAt;       // created_at of the oldest pending batch
    std::string lastReceiptAt;
    std::string lastError;             // of the most recent failed attempt still pending
    std::string lastErrorAt;
    std::int64_t nextAttemptAt = 0;    // earliest retry among pending batches, 0 = none
};

// An incremental job's memory of what it has queued: per trainee (a 64-bit key
// from the pseudonym), a 64-bit digest of the record as sent.
struct CursorEntry {
    std::uint64_t key = 0;
    std::uint64_t digest = 0;
    bool operator<(const CursorEntry& other) const { return key < other.key; }
};

// A scheduled job's last run (see schedule/ and docs/delivery.md).
struct JobRun {
    std::string job;
    std::int64_t lastScheduledFor = 0;  // unix seconds of the schedule slot last run, 0 = never
    std::string lastStartedAt;
    std::string lastFinishedAt;
    std::string lastOutcome;            // "sealed <batch>", "nothing to send", "failed: ..."
};

enum class InboxStatus { Stored, Delivered };

struct InboxBatch {
    std::string batchId;
    std::string sender;
    std::string purpose;
    std::uint64_t recordCount = 0;
    std::string payloadDigest;
    std::string receivedAt;
    std::string receipt;
    std::string receiptSignature;
    InboxStatus status = InboxStatus::Stored;
    std::uint32_t sinkAttempts = 0;
    std::string sinkError;
    std::string deliveredAt;
};

// A trainee who objected (GDPR art. 21) to one purpose, known by pseudonym only.
struct Objection {
    std::string purpose;
    std::string pseudonym;  // as Pseudonymiser::pseudonymOf writes it ("<key epoch>:<64 hex>"), in the purpose's domain
    std::string createdAt;
};

// Hashes std::string and std::string_view alike, so a set of pseudonyms can be
// probed with a view into a row buffer without building a string.
struct PseudonymHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using PseudonymSet = std::unordered_set<std::string, PseudonymHash, std::equal_to<>>;

class StateStore {
public:
    explicit StateStore(const std::filesystem::path& sqliteFile);

    const std::filesystem::path& file() const { return file_; }

    // --- outbox (institution side)
    // Queues the batch; for an incremental job, advances the job's cursor in the
    // same transaction, so a crash leaves both or neither.
    void addToOutbox(const OutboxBatch& batch, const std::vector<CursorEntry>& cursor = {});
    std::vector<OutboxBatch> pendingFor(const std::string& recipient);
    std::optional<OutboxBatch> outboxBatch(const std::string& batchId);
    // Claims one pending batch for sending, if no live process holds it.
    std::optional<OutboxBatch> claim(const std::string& batchId, const Claim& claim);
    // Claims up to `max` pending batches due by claim.now (any recipient when
    // empty), oldest first.
    std::vector<OutboxBatch> claimDue(const Claim& claim, std::size_t max, const std::string& recipient = {});
    // A failed attempt: counted, its error kept, next try not before nextAttemptAt; the claim is released.
    void recordAttemptFailure(const std::string& batchId, const std::string& error, std::int64_t nextAttemptAt,
                              const std::string& attemptedAt);
    void recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                       const std::string& receiptedAt);
    void deadLetter(const std::string& batchId, const std::string& deadLetteredAt);
    // Puts a dead-lettered batch back in the queue, due now. False when it is not dead-lettered.
    bool requeue(const std::string& batchId, const std::string& requeuedAt);
    std::vector<OutboxBatch> outbox();
    // Every batch id in the outbox, whatever its state: recovery's one read at start.
    std::unordered_set<std::string> outboxBatchIds();
    // The batches in one state, oldest first: dead letters for status, receipted ones for retention.
    std::vector<OutboxBatch> outboxWithStatus(OutboxStatus status);
    // Pending batches queued (or requeued) before `cutoff` (UTC text): the dead-letter candidates.
    std::vector<OutboxBatch> pendingQueuedBefore(const std::string& cutoff);
    std::vector<OutboxSummary> outboxSummary();
    // The earliest next attempt among pending batches (unix seconds), if any.
    std::optional<std::int64_t> nextDueAt();
    // An incremental job's cursor, sorted by key.
    std::vector<CursorEntry> cursor(const std::string& job);

    // --- scheduled jobs
    std::optional<JobRun> jobRun(const std::string& job);
    void recordJobRun(const JobRun& run);

    // --- inbox (region side)
    // Inserts the batch unless its id is known; returns the stored row either way,
    // so a repeated delivery gets the same receipt.
    InboxBatch addToInbox(const InboxBatch& batch);
    std::optional<InboxBatch> inboxBatch(const std::string& batchId);
    std::vector<InboxBatch> awaitingSink();
    void recordSinkFailure(const std::string& batchId, const std::string& error);
    void recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt);
    std::vector<InboxBatch> inbox();
    // Per sender: stored (awaiting the sink), delivered, and the last sink error.
    struct InboxSummary {
        std::string sender;
        std::uint64_t awaitingSink = 0;
        std::uint64_t delivered = 0;
        std::string oldestAwaitingAt;
        std::string lastReceivedAt;
        std::string sinkError;
    };
    std::vector<InboxSummary> inboxSummary();

    // --- objections (institution side, GDPR art. 21)
    // Returns false when the objection was already recorded.
    bool addObjection(const Objection& objection);
    // Returns false when there was no such objection.
    bool removeObjection(const std::string& purpose, const std::string& pseudonym);
    // Moves an objection from one pseudonym of the trainee to another (after a pseudonym
    // key rotation: from the old epoch's to the current one's), keeping its date. Returns
    // false when `from` was not recorded, or `to` already was (then `from` is just dropped).
    bool rekeyObjection(const std::string& purpose, const std::string& from, const std::string& to);
    // All objections, or those of one purpose; oldest first.
    std::vector<Objection> objections(const std::optional<std::string>& purpose = std::nullopt);
    // The purpose's objections as a set, loaded once per batch.
    PseudonymSet objectionSet(const std::string& purpose);
    // (Which batches carried which pseudonyms: store/carried_pseudonyms.h.)

private:
    template <typename Fn>
    auto immediateTransaction(const char* what, Fn&& fn);

    std::filesystem::path file_;
    std::mutex mutex_;
    Poco::Data::Session session_;
};

}  // namespace passerelle::store
