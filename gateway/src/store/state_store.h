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

enum class OutboxStatus { Pending, Receipted };

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
    void addToOutbox(const OutboxBatch& batch);
    std::vector<OutboxBatch> pendingFor(const std::string& recipient);
    std::optional<OutboxBatch> outboxBatch(const std::string& batchId);
    void recordAttemptFailure(const std::string& batchId, const std::string& error);
    void recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                       const std::string& receiptedAt);
    std::vector<OutboxBatch> outbox();

    // --- inbox (region side)
    // Inserts the batch unless its id is known; returns the stored row either way,
    // so a repeated delivery gets the same receipt.
    InboxBatch addToInbox(const InboxBatch& batch);
    std::optional<InboxBatch> inboxBatch(const std::string& batchId);
    std::vector<InboxBatch> awaitingSink();
    void recordSinkFailure(const std::string& batchId, const std::string& error);
    void recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt);
    std::vector<InboxBatch> inbox();

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
    std::filesystem::path file_;
    std::mutex mutex_;
    Poco::Data::Session session_;
};

}  // namespace passerelle::store
