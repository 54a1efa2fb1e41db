#pragma once
// The rows of the gateway's state (store/state_store.h): outbox and inbox
// batches, claims, cursors, job runs and objections.

#include <cstdint>
#include <functional>
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
    std::string filesFolderId;       // folderId() of the state folder holding its files; empty: any
    // Where its age (for the dead letter) counts from: its creation or its last requeue.
    const std::string& queuedSince() const { return requeuedAt.empty() ? createdAt : requeuedAt; }
};

// Who takes an outbox (or inbox) batch to send it, and for how long.
struct Claim {
    std::string owner;          // "host:pid" (see processOwner())
    std::int64_t now = 0;       // unix seconds
    std::int64_t leaseSeconds = 300;
    std::string filesFolderId{};  // the claimer's folderId(): only batches whose files are there (or anywhere)
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
    std::string filesFolderId;       // folderId() of the state folder holding its files; empty: any
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

}  // namespace passerelle::store
