#pragma once
// Sends sealed batches from the outbox to their recipient and keeps the signed
// receipt. A batch leaves the outbox's pending state only with a receipt that
// verifies, or as a dead letter once it has waited longer than [delivery]
// dead_letter_after_hours; any failure leaves it pending with its reason and
// the time of its next attempt (exponential back-off with jitter).
//
// Several processes may deliver from one outbox (the daemon, a `transfer`):
// each batch is claimed before it is sent, so only one sends it at a time.

#include "exchange/receipt.h"
#include "config/gateway_config.h"
#include "ledger/appender.h"
#include "party/peer_keys.h"
#include "party/state_folders.h"
#include "store/outbox.h"

#include <chrono>
#include <string>
#include <vector>

namespace passerelle::exchange {

struct DeliveryOutcome {
    std::string batchId;
    bool receipted = false;
    bool deadLettered = false;
    std::string error;  // why not, when not receipted
    Receipt receipt;
    std::int64_t nextAttemptAt = 0;  // when not receipted nor dead-lettered
};

// The pause before attempt n+1 after n failed ones: initial × 2^(n-1), at most
// `max`, then a uniformly random part of its second half ("equal jitter"), so
// many gateways that failed together do not retry together.
std::chrono::seconds backoffAfter(std::uint32_t failedAttempts, const config::DeliverySettings& settings);

// A ledger entry about an outbox batch: who, why (purpose, legal basis), for whom, what.
ledger::LedgerEntry ledgerEntryAbout(const config::GatewayConfig& config, const store::OutboxBatch& batch,
                                     const std::string& actor, ledger::Operation operation,
                                     ledger::Outcome outcome, std::string reason);

class BatchDelivery {
public:
    BatchDelivery(const config::GatewayConfig& config, const PeerKeys& peers, ledger::LedgerAppender& ledger,
                  store::Outbox& outbox, StateFolders folders)
        : config_(config),
          peers_(peers),
          ledger_(ledger),
          outbox_(outbox),
          folders_(std::move(folders)),
          owner_(store::processOwner()) {}

    // One attempt for one outbox batch this process has claimed.
    DeliveryOutcome deliver(const store::OutboxBatch& batch, const std::string& actor);

    // Claims the batch and makes one attempt. Nullopt when another live process
    // holds it (it is being sent) or it is no longer pending.
    std::optional<DeliveryOutcome> deliverNow(const std::string& batchId, const std::string& actor);

    // One attempt for every batch of this recipient that is due (its back-off
    // has passed) and free, oldest first.
    std::vector<DeliveryOutcome> deliverDue(const std::string& recipient, const std::string& actor);

    // Claims up to `max` due batches of any recipient, for the daemon's workers.
    std::vector<store::OutboxBatch> claimDue(std::size_t max);

    // Dead-letters every pending batch that has waited too long; returns how many.
    std::size_t deadLetterExpired(const std::string& actor);

private:
    store::Claim claimNow() const;
    void deadLetter(const store::OutboxBatch& batch, const std::string& actor, const std::string& lastError);

    const config::GatewayConfig& config_;
    const PeerKeys& peers_;
    ledger::LedgerAppender& ledger_;
    store::Outbox& outbox_;
    StateFolders folders_;  // the outbox folder and the state folder's identity
    std::string owner_;
};

}  // namespace passerelle::exchange
