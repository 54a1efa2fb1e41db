#include "send/dead_letters.h"

#include "common/clock.h"
#include "common/errors.h"
#include "send/batch_delivery.h"

namespace passerelle::exchange {

void requeueDeadLetter(Gateway& gateway, const std::string& batchId) {
    const auto batch = gateway.store().outbox().outboxBatch(batchId);
    if (!batch || batch->status != store::OutboxStatus::DeadLetter) {
        throw Error("batch " + batchId + " is not a dead letter in this outbox (" +
                    (batch ? "it is " + std::string(store::outboxStatusName(batch->status))
                           : std::string("no such batch")) +
                    ")");
    }
    gateway.store().outbox().requeue(batchId, formatUtc(std::chrono::system_clock::now()));
    gateway.ledger().append(ledgerEntryAbout(
        gateway.config(), *batch, "operator", ledger::Operation::BatchRequeued, ledger::Outcome::Queued,
        "dead letter since " + batch->deadLetteredAt + " put back in the outbox"));
}

}  // namespace passerelle::exchange
