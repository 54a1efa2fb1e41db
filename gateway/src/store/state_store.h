#pragma once
// The gateway's durable state besides the ledger: the institution's outbox
// (sealed batches waiting for, or holding, their receipt) and the Region's
// inbox (batches stored and acknowledged, waiting for, or handed to, the sink).
// SQLite in WAL mode with synchronous=FULL: a row is on disk when a call returns.

#include <Poco/Data/Session.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
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

private:
    std::filesystem::path file_;
    std::mutex mutex_;
    Poco::Data::Session session_;
};

}  // namespace passerelle::store
