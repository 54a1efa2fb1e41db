#include "send/batch_delivery.h"

#include "common/clock.h"
#include "common/errors.h"
#include "party/exchange_metrics.h"
#include "privacy/envelope.h"
#include "transport/exchange_client.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <sodium.h>

#include <algorithm>

namespace passerelle::exchange {

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.delivery"); }

// The peer's JSON error message, or the status alone when the body is not ours.
std::string describeRefusal(const transport::HttpResult& result) {
    std::string text = "HTTP " + std::to_string(result.status);
    try {
        auto object = Poco::JSON::Parser().parse(result.body).extract<Poco::JSON::Object::Ptr>();
        if (object && object->has("error")) {
            text += " " + object->getValue<std::string>("error");
            if (object->has("message")) text += ": " + object->getValue<std::string>("message");
        }
    } catch (const Poco::Exception&) {
    }
    return text;
}

void checkReceiptMatches(const Receipt& r, const store::OutboxBatch& batch, const std::string& sender) {
    auto mismatch = [&](const char* what) {
        throw BatchError(std::string("the receipt for batch ") + batch.batchId + " does not match it: " + what);
    };
    if (r.batchId != batch.batchId) mismatch("batch id");
    if (r.sender != sender) mismatch("sender");
    if (r.receiver != batch.recipient) mismatch("receiver");
    if (r.payloadDigest != batch.payloadDigest) mismatch("payload digest");
    if (r.recordCount != batch.recordCount) mismatch("record count");
    if (r.purpose != batch.purpose) mismatch("purpose");
}

}  // namespace

std::chrono::seconds backoffAfter(std::uint32_t failedAttempts, const config::DeliverySettings& settings) {
    const std::uint32_t doublings = std::min<std::uint32_t>(failedAttempts == 0 ? 0 : failedAttempts - 1, 30);
    const std::uint64_t base =
        std::min<std::uint64_t>(settings.initialBackoffSeconds << doublings, settings.maxBackoffSeconds);
    const std::uint64_t half = base / 2;
    const std::uint64_t jitter = base - half == 0 ? 0 : randombytes_uniform(static_cast<std::uint32_t>(base - half + 1));
    return std::chrono::seconds(std::max<std::uint64_t>(1, half + jitter));
}

ledger::LedgerEntry ledgerEntryAbout(const config::GatewayConfig& config, const store::OutboxBatch& batch,
                                     const std::string& actor, ledger::Operation operation,
                                     ledger::Outcome outcome, std::string reason) {
    ledger::LedgerEntry entry = ledger::LedgerEntry::of(operation, outcome, actor, std::move(reason));
    entry.purpose = batch.purpose;
    entry.legalBasis = config.purposes.contains(batch.purpose) ? config.purpose(batch.purpose).legalBasis : "";
    entry.counterpart = batch.recipient;
    entry.recordCount = batch.recordCount;
    entry.batchId = batch.batchId;
    entry.payloadDigest = batch.payloadDigest;
    return entry;
}

store::Claim BatchDelivery::claimNow() const {
    return {owner_, unixSeconds(std::chrono::system_clock::now()),
            static_cast<std::int64_t>(config_.delivery.leaseSeconds), folders_.folderId};
}

std::optional<DeliveryOutcome> BatchDelivery::deliverNow(const std::string& batchId, const std::string& actor) {
    auto claimed = outbox_.claim(batchId, claimNow());
    if (!claimed) return std::nullopt;
    return deliver(*claimed, actor);
}

std::vector<DeliveryOutcome> BatchDelivery::deliverDue(const std::string& recipient, const std::string& actor) {
    std::vector<DeliveryOutcome> outcomes;
    for (const store::OutboxBatch& batch : outbox_.claimDue(claimNow(), SIZE_MAX, recipient)) {
        outcomes.push_back(deliver(batch, actor));
    }
    return outcomes;
}

std::vector<store::OutboxBatch> BatchDelivery::claimDue(std::size_t max) {
    return outbox_.claimDue(claimNow(), max);
}

void BatchDelivery::deadLetter(const store::OutboxBatch& batch, const std::string& actor,
                               const std::string& lastError) {
    const config::GatewayConfig& config = config_;
    outbox_.deadLetter(batch.batchId, formatUtc(std::chrono::system_clock::now()));
    metrics::batchDeadLettered(batch.recipient);
    ledger_.append(ledgerEntryAbout(config, batch, actor, ledger::Operation::BatchDeadLettered,
                                    ledger::Outcome::DeadLetter,
                                    "undelivered since " + batch.queuedSince() + " (over " +
                                        std::to_string(config.delivery.deadLetterAfterHours) +
                                        " h); kept in the outbox until requeued; last error: " + lastError));
    // The alert: an operator must act (passerelle status lists it; passerelle outbox requeue sends it again).
    log().critical("ALERT: batch %s for %s dead-lettered after %s attempts since %s: %s "
                   "(kept in the outbox; 'passerelle outbox requeue --batch %s' sends it again)",
                   batch.batchId, batch.recipient, std::to_string(batch.attempts), batch.queuedSince(), lastError,
                   batch.batchId);
}

std::size_t BatchDelivery::deadLetterExpired(const std::string& actor) {
    const auto now = std::chrono::system_clock::now();
    const std::string cutoff = formatUtc(now - std::chrono::hours(config_.delivery.deadLetterAfterHours));
    std::size_t count = 0;
    for (const store::OutboxBatch& batch : outbox_.pendingQueuedBefore(cutoff)) {
        // Not while a live process is sending it: that attempt decides.
        if (!outbox_.claim(batch.batchId, claimNow())) continue;
        deadLetter(batch, actor, batch.lastError.empty() ? "never attempted" : batch.lastError);
        ++count;
    }
    return count;
}

DeliveryOutcome BatchDelivery::deliver(const store::OutboxBatch& batch, const std::string& actor) {
    const config::GatewayConfig& config = config_;
    const config::PeerSettings& peer = config.peer(batch.recipient);
    const std::filesystem::path dir = folders_.outbox / batch.batchId;

    DeliveryOutcome outcome;
    outcome.batchId = batch.batchId;
    try {
        transport::ExchangeClient client(config.tls, peer.url, peer.certificateSha256);
        const auto result = client.post("/v1/batches", "application/vnd.passerelle.batch",
                                         privacy::envelopeSize(dir),
                                         [&](std::ostream& out) { privacy::writeEnvelope(dir, out); });
        if (result.status != 200) {
            throw TransportError(peer.url + " refused batch " + batch.batchId + ": " + describeRefusal(result));
        }
        const SignedReceipt signedReceipt = SignedReceipt::fromBody(result.body);
        // Signed now: the receiver's current key, or the one it retired less than a week ago.
        outcome.receipt = verifyReceipt(signedReceipt, [&](const Receipt& claimed) {
            return peers_.liveSignKey(batch.recipient, claimed.receiverKeyId, claimed.receivedAt);
        });
        checkReceiptMatches(outcome.receipt, batch, config.party);
        if (!outcome.receipt.checkpoint) {
            throw BatchError(peer.url + " answered batch " + batch.batchId +
                             " with a receipt carrying no ledger checkpoint (a receiver of an earlier version)");
        }
        peers_.keepCheckpoint(ledger_, *outcome.receipt.checkpoint);
        // The ledger first, then the state: a process killed in between leaves the batch
        // pending, sent again and answered with the same receipt; never receipted unlogged.
        ledger_.append(ledgerEntryAbout(
            config, batch, actor, ledger::Operation::BatchReceipted, ledger::Outcome::Receipted,
            "receiver ledger entry " + std::to_string(outcome.receipt.ledgerIndex) +
                ", receiver checkpoint " + ledger::describe(*outcome.receipt.checkpoint)));
        outbox_.recordReceipt(batch.batchId, signedReceipt.json, signedReceipt.signature,
                              formatUtc(std::chrono::system_clock::now()));
        outcome.receipted = true;
    } catch (const Error& e) {
        outcome.error = e.what();
    }

    if (outcome.receipted) {
        log().information("batch %s receipted by %s", batch.batchId, batch.recipient);
        const auto sealedAt = parseUtc(batch.createdAt);
        metrics::batchReceipted(batch.recipient, batch.recordCount,
                                sealedAt ? std::chrono::duration<double>(std::chrono::system_clock::now() - *sealedAt).count()
                                         : 0.0);
    } else {
        metrics::attemptFailed(batch.recipient);
        const auto now = std::chrono::system_clock::now();
        const auto pause = backoffAfter(batch.attempts + 1, config.delivery);
        outcome.nextAttemptAt = unixSeconds(now + pause);
        ledger_.append(ledgerEntryAbout(config, batch, actor, ledger::Operation::DeliveryFailed,
                                        ledger::Outcome::Failed, outcome.error));
        outbox_.recordAttemptFailure(batch.batchId, outcome.error, outcome.nextAttemptAt, formatUtc(now));
        log().warning("batch %s not delivered to %s: %s (it stays in the outbox; next attempt in %s s)",
                      batch.batchId, batch.recipient, outcome.error, std::to_string(pause.count()));
    }
    if (!outcome.receipted &&
        batch.queuedSince() < formatUtc(std::chrono::system_clock::now() -
                                        std::chrono::hours(config.delivery.deadLetterAfterHours))) {
        deadLetter(batch, actor, outcome.error);
        outcome.deadLettered = true;
    }
    return outcome;
}

}  // namespace passerelle::exchange
