#pragma once
// The Region's inbox: batches stored and acknowledged, waiting for, or handed to,
// the sink; claims so that one instance hands each batch over.
#include "store/table_access.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace passerelle::store {

class Inbox : TableAccess {
public:
    explicit Inbox(std::shared_ptr<db::Database> database) : TableAccess(std::move(database)) {}

    // Inserts the batch unless its id is known; returns the stored row either way,
    // so a repeated delivery gets the same receipt.
    InboxBatch addToInbox(const InboxBatch& batch);
    std::optional<InboxBatch> inboxBatch(const std::string& batchId);
    std::vector<InboxBatch> awaitingSink();
    // Claims up to `max` stored batches for the sink, oldest first, as claimDue does for the outbox.
    std::vector<InboxBatch> claimAwaitingSink(const Claim& claim, std::size_t max);
    void recordSinkFailure(const std::string& batchId, const std::string& error);
    void recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt);
    // Every batch, whatever its state.
    std::vector<InboxBatch> all();
    // Per sender: stored (awaiting the sink), delivered, and the last sink error.
    struct Summary {
        std::string sender;
        std::uint64_t awaitingSink = 0;
        std::uint64_t delivered = 0;
        std::string oldestAwaitingAt;
        std::string lastReceivedAt;
        std::string sinkError;
    };
    std::vector<Summary> inboxSummary();

};

}  // namespace passerelle::store
