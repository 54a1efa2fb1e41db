#include "exchange/batch_delivery.h"

#include "common/clock.h"
#include "common/errors.h"
#include "privacy/envelope.h"
#include "transport/exchange_client.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

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

DeliveryOutcome BatchDelivery::deliver(const store::OutboxBatch& batch, const std::string& actor) {
    const config::GatewayConfig& config = gateway_.config();
    const config::PeerSettings& peer = config.peer(batch.recipient);
    const std::filesystem::path dir = gateway_.outboxDir() / batch.batchId;

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
        outcome.receipt = verifyReceipt(signedReceipt, gateway_.peerKeys(batch.recipient).sign);
        checkReceiptMatches(outcome.receipt, batch, config.party);
        if (!outcome.receipt.checkpoint) {
            throw BatchError(peer.url + " answered batch " + batch.batchId +
                             " with a receipt carrying no ledger checkpoint (a receiver of an earlier version)");
        }
        gateway_.keepPeerCheckpoint(*outcome.receipt.checkpoint);
        gateway_.store().recordReceipt(batch.batchId, signedReceipt.json, signedReceipt.signature,
                                       formatUtc(std::chrono::system_clock::now()));
        outcome.receipted = true;
    } catch (const Error& e) {
        outcome.error = e.what();
    }

    ledger::LedgerEntry entry;
    entry.actor = actor;
    entry.operation = outcome.receipted ? "batch-receipted" : "delivery-failed";
    entry.purpose = batch.purpose;
    entry.legal_basis = config.purposes.contains(batch.purpose) ? config.purpose(batch.purpose).legalBasis : "";
    entry.counterpart = batch.recipient;
    entry.record_count = batch.recordCount;
    entry.batch_id = batch.batchId;
    entry.payload_digest = batch.payloadDigest;
    if (outcome.receipted) {
        entry.outcome = "receipted";
        entry.reason = "receiver ledger entry " + std::to_string(outcome.receipt.ledgerIndex) +
                       ", receiver checkpoint " + ledger::describe(*outcome.receipt.checkpoint);
        log().information("batch %s receipted by %s", batch.batchId, batch.recipient);
    } else {
        gateway_.store().recordAttemptFailure(batch.batchId, outcome.error);
        entry.outcome = "failed";
        entry.reason = outcome.error;
        log().warning("batch %s not delivered to %s: %s (it stays in the outbox)", batch.batchId, batch.recipient,
                      outcome.error);
    }
    gateway_.ledger().append(entry);
    return outcome;
}

std::vector<DeliveryOutcome> BatchDelivery::deliverPending(const std::string& recipient, const std::string& actor) {
    std::vector<DeliveryOutcome> outcomes;
    for (const store::OutboxBatch& batch : gateway_.store().pendingFor(recipient)) {
        outcomes.push_back(deliver(batch, actor));
    }
    return outcomes;
}

}  // namespace passerelle::exchange
