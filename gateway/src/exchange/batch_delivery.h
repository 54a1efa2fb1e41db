#pragma once
// Sends sealed batches from the outbox to their recipient and keeps the signed
// receipt. A batch leaves the outbox's pending state only with a receipt that
// verifies; any failure leaves it pending, recorded with its reason.

#include "exchange/gateway.h"
#include "exchange/receipt.h"

#include <string>
#include <vector>

namespace passerelle::exchange {

struct DeliveryOutcome {
    std::string batchId;
    bool receipted = false;
    std::string error;  // why not, when not receipted
    Receipt receipt;
};

class BatchDelivery {
public:
    explicit BatchDelivery(Gateway& gateway) : gateway_(gateway) {}

    // One attempt for one outbox batch.
    DeliveryOutcome deliver(const store::OutboxBatch& batch, const std::string& actor);
    // One attempt for every batch still pending for this recipient, oldest first.
    std::vector<DeliveryOutcome> deliverPending(const std::string& recipient, const std::string& actor);

private:
    Gateway& gateway_;
};

}  // namespace passerelle::exchange
