#pragma once
// The gateway's durable state besides the ledger: the institution's outbox
// (sealed batches waiting for, or holding, their receipt) and the Region's
// inbox (batches stored and acknowledged, waiting for, or handed to, the sink),
// and the institution's objections and per-batch pseudonyms (pseudonymous data
// only: no table here maps a pseudonym back to a person).
// On a db::Database: SQLite in WAL mode with synchronous=FULL (a row is on disk when
// a call returns), or PostgreSQL shared by several gateway instances (claims with
// FOR UPDATE SKIP LOCKED, job runs and receptions under advisory locks).

#include "database/database.h"
#include "database/migrations.h"

#include <cstdint>
#include <filesystem>
#include <memory>
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
    std::string filesAt;             // the state folder holding its files (see folderId()); empty: any
    // Where its age (for the dead letter) counts from: its creation or its last requeue.
    const std::string& queuedSince() const { return requeuedAt.empty() ? createdAt : requeuedAt; }
};

// Who takes an outbox (or inbox) batch to send it, and for how long.
struct Claim {
    std::string owner;          // "host:pid" (see processOwner())
    std::int64_t now = 0;       // unix seconds
    std::int64_t leaseSeconds = 300;
    std::string filesAt{};      // the claimer's state folder: only batches whose files are there (or anywhere)
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
    std::string filesAt;             // the state folder holding its files; empty: any
    std::string sinkOwner;           // "host:pid" of the process handing it to the sink, or empty
    std::int64_t sinkClaimedUntil = 0;
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

// Held while a process does something no other instance may do at the same time
// (run a scheduled job, commit a received batch): a PostgreSQL session-level
// advisory lock; on SQLite, whose instances share one host, nothing (callers hold
// their file locks). Released when destroyed.
class ExclusiveLock {
public:
    ExclusiveLock() = default;
    ExclusiveLock(std::unique_ptr<Poco::Data::Session> session, std::int64_t key);
    ~ExclusiveLock();
    ExclusiveLock(ExclusiveLock&&) noexcept;
    ExclusiveLock& operator=(ExclusiveLock&&) = delete;

private:
    std::unique_ptr<Poco::Data::Session> session_;
    std::int64_t key_ = 0;
};

// The state's tables and their migrations (db::migrate, part "state").
const db::Schema& stateSchema();

class StateStore {
public:
    // Opens the store on the database, applying missing migrations first.
    explicit StateStore(std::shared_ptr<db::Database> database);
    // The embedded default: an SQLite file.
    explicit StateStore(const std::filesystem::path& sqliteFile);

    db::Database& database() { return *db_; }
    const std::shared_ptr<db::Database>& sharedDatabase() const { return db_; }

    // --- outbox (institution side)
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

    // --- across instances
    // Tries to take the lock named `name` for as long as the result lives; nullopt
    // when another instance holds it. On SQLite, always an (empty) lock.
    std::optional<ExclusiveLock> tryExclusive(const std::string& name);
    // Waits for the lock named `name`.
    ExclusiveLock exclusive(const std::string& name);

    // --- inbox (region side)
    // Inserts the batch unless its id is known; returns the stored row either way,
    // so a repeated delivery gets the same receipt.
    InboxBatch addToInbox(const InboxBatch& batch);
    std::optional<InboxBatch> inboxBatch(const std::string& batchId);
    std::vector<InboxBatch> awaitingSink();
    // Claims up to `max` stored batches for the sink, oldest first, as claimDue does for the outbox.
    std::vector<InboxBatch> claimAwaitingSink(const Claim& claim, std::size_t max);
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
    std::optional<ExclusiveLock> takeExclusive(const std::string& name, bool wait);
    template <typename Fn>
    auto guarded(const char* what, Fn&& fn);
    template <typename Fn>
    auto inTransaction(const char* what, Fn&& fn);

    std::shared_ptr<db::Database> db_;
};

}  // namespace passerelle::store
