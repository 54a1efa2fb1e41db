#include "receive/batch_receiver.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/file_lock.h"
#include "common/identifiers.h"
#include "common/random_id.h"
#include "exchange/receipt.h"
#include "party/exchange_metrics.h"
#include "party/outbox_recovery.h"
#include "privacy/batch_errors.h"
#include "privacy/envelope.h"
#include "privacy/manifest.h"
#include "receive/purpose_fields.h"
#include "transport/admission.h"
#include "transport/http_error.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <cstring>
#include <system_error>

namespace passerelle::exchange {

namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

Poco::Logger& log() { return Poco::Logger::get("passerelle.receiver"); }

std::string stagingName() { return ".incoming-" + randomHex(8); }

// Removes a staging folder and its lock on every path out of the handler.
struct StagingFolder {
    std::filesystem::path path;
    ~StagingFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
        std::filesystem::remove(stagingLockOf(path), ec);
    }
};

// The staging folder's lock, held while the batch is received.
FileLock holdStaging(const std::filesystem::path& inbox, const std::filesystem::path& staging,
                     const transport::PeerIdentity& peer) {
    try {
        // Beside the folder, which receiveEnvelope creates.
        std::filesystem::create_directories(inbox);
        return FileLock::createHeld(stagingLockOf(staging));
    } catch (const std::exception& e) {
        log().error("cannot store an incoming batch from %s: %s", peer.commonName, std::string(e.what()));
        throw transport::HttpError(transport::WireError::StorageUnavailable,
                                   "the receiving gateway cannot store the batch now; retry later");
    }
}

// Durable first: the batch folder is in place before anything is promised. Its
// path comes from the batch id Manifest::parse validated, and is checked once more
// to be inside the inbox before anything there is removed or replaced.
void moveIntoInbox(const std::filesystem::path& inbox, const std::filesystem::path& staging,
                   const privacy::Manifest& manifest) {
    const std::filesystem::path finalDir = childPath(inbox, BatchId::parse(manifest.batchId));
    std::error_code ec;
    std::filesystem::remove_all(finalDir, ec);  // left by a crash before the inbox row was written
    std::filesystem::rename(staging, finalDir, ec);
    if (ec) {
        log().error("cannot store batch %s in %s: %s", manifest.batchId, finalDir.string(), ec.message());
        throw transport::HttpError(
            transport::WireError::StorageUnavailable,
            "the receiving gateway cannot store the batch now (" + ec.message() + "); retry later");
    }
}

}  // namespace

void BatchReceiver::refuse(const transport::PeerIdentity& peer, const std::string& purpose,
                           const std::string& batchId, const std::string& reason, transport::WireError code) {
    metrics::batchRefused(std::string(transport::codeOf(code)));
    ledger::LedgerEntry entry = ledger::LedgerEntry::fromPeer(
        ledger::Operation::BatchRefused, ledger::Outcome::Refused, peer.subject, peer.commonName, reason);
    entry.purpose = purpose;
    entry.batchId = batchId;
    parts_.ledger.append(entry);
    throw transport::HttpError(code, reason);
}

const config::PeerSettings& BatchReceiver::admitBatch(const Poco::Net::HTTPServerRequest& request,
                                                      const transport::PeerIdentity& peer) {
    const config::GatewayConfig& config = parts_.config;
    const transport::Admission admission = transport::admit(config, peer, request, config.maxBatchBytes);
    if (const auto& refusal = admission.peerRefusal) {
        refuse(peer, "", "", refusal->message, refusal->code);
    }
    if (admission.body == transport::BodyCheck::LengthRequired) {
        throw transport::HttpError(transport::WireError::LengthRequired,
                                   "a batch must be sent with a Content-Length");
    }
    if (admission.body != transport::BodyCheck::Fits) {
        const std::string reason = "batch of " + std::to_string(request.getContentLength64()) +
                                   " bytes exceeds the limit of " + std::to_string(config.maxBatchBytes);
        refuse(peer, "", "", reason, transport::WireError::BatchTooLarge);
    }
    return *admission.peer;
}

void BatchReceiver::checkAddressedToUs(const privacy::Manifest& m, const transport::PeerIdentity& peer,
                                       const config::PeerSettings& peerSettings) {
    const config::GatewayConfig& config = parts_.config;
    if (m.recipient != config.party || m.recipientKeyId != parts_.keys.publicKeys().box.id()) {
        const std::string reason = "batch is sealed for '" + m.recipient + "' (key " + m.recipientKeyId +
                                   "), not for this gateway";
        refuse(peer, m.purpose, m.batchId, reason, transport::WireError::WrongRecipient);
    }
    const auto& accepted = peerSettings.acceptPurposes;
    if (std::find(accepted.begin(), accepted.end(), m.purpose) == accepted.end() ||
        !config.purposes.contains(m.purpose)) {
        const std::string reason =
            "party '" + peer.commonName + "' may not send batches for purpose '" + m.purpose + "'";
        refuse(peer, m.purpose, m.batchId, reason, transport::WireError::PurposeNotAllowed);
    }
    if (const auto refusal = fieldsRefusal(m.fields, config.purpose(m.purpose))) {
        refuse(peer, m.purpose, m.batchId, refusal->reason, transport::WireError::FieldsNotAllowed);
    }
}

privacy::Manifest BatchReceiver::receiveInto(const std::filesystem::path& staging,
                                             Poco::Net::HTTPServerRequest& request,
                                             const transport::PeerIdentity& peer,
                                             const config::PeerSettings& peerSettings) {
    std::string senderMismatch;
    try {
        // The receiver's policy is checked on the verified manifest before anything is written.
        return privacy::receiveEnvelope(
            request.stream(), staging,
            [&](const privacy::ManifestSigner& signer) -> privacy::SignPublicKey {
                if (signer.sender != peer.commonName) {
                    senderMismatch = "the manifest names a sender that is not the certificate's party '" +
                                     peer.commonName + "'";
                    throw BatchError(senderMismatch);
                }
                // Arriving now: the sender's current key, or the one it retired less than a week ago.
                return parts_.peers.liveSignKey(signer.sender, signer.keyId, signer.createdAt);
            },
            parts_.config.maxBatchBytes,
            [&](const privacy::Manifest& m) { checkAddressedToUs(m, peer, peerSettings); });
    } catch (const transport::HttpError&) {
        throw;  // refused by checkAddressedToUs, already in the ledger
    } catch (const std::system_error& e) {
        // Our disk, not the sender's batch: it keeps the batch and retries.
        log().error("cannot store an incoming batch from %s: %s", peer.commonName, std::string(e.what()));
        throw transport::HttpError(transport::WireError::StorageUnavailable,
                                   std::string("the receiving gateway cannot store the batch now (") +
                                       std::strerror(e.code().value()) + "); retry later");
    } catch (const Error& e) {
        if (!senderMismatch.empty()) {
            refuse(peer, "", "", senderMismatch, transport::WireError::SenderMismatch);
        }
        const std::string reason = std::string("invalid batch: ") + e.what();
        refuse(peer, "", "", reason, transport::WireError::InvalidBatch);
    }
}

bool BatchReceiver::answeredBefore(const privacy::Manifest& manifest,
                                   Poco::Net::HTTPServerResponse& response) {
    const auto known = parts_.inbox.inboxBatch(manifest.batchId);
    if (!known) return false;
    if (known->payloadDigest != manifest.payloadDigest || known->sender != manifest.sender) {
        throw transport::HttpError(transport::WireError::BatchIdConflict,
                                   "batch " + manifest.batchId + " was already received with other content");
    }
    log().information("batch %s from %s received again: same receipt returned", manifest.batchId,
                      manifest.sender);
    transport::sendJson(response, Status::HTTP_OK,
                        SignedReceipt{known->receipt, known->receiptSignature}.body());
    return true;
}

void BatchReceiver::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                           const transport::PeerIdentity& peer) {
    const config::PeerSettings& peerSettings = admitBatch(request, peer);
    StagingFolder staging{parts_.folders.inbox / stagingName()};
    // Tells this live transfer from one a killed process left (outbox_recovery.h).
    const FileLock receiving = holdStaging(parts_.folders.inbox, staging.path, peer);
    const privacy::Manifest manifest = receiveInto(staging.path, request, peer, peerSettings);

    std::lock_guard lock(commitMutex_);
    // Another instance on the same PostgreSQL database may be storing the same batch.
    const store::ExclusiveLock instances = locks_.exclusive("inbox " + manifest.batchId);
    if (answeredBefore(manifest, response)) return;
    moveIntoInbox(parts_.folders.inbox, staging.path, manifest);

    SignedReceipt signedReceipt;
    try {
        signedReceipt = commit(manifest, peer);
    } catch (const Error& e) {
        // Our ledger or store (a full disk): the batch folder waits, unpromised; the sender retries.
        log().error("cannot record batch %s from %s: %s", manifest.batchId, manifest.sender, std::string(e.what()));
        throw transport::HttpError(
            transport::WireError::StorageUnavailable,
            "the receiving gateway cannot record the batch now (its ledger or state store "
            "refused the write); retry later");
    }
    metrics::batchReceived(manifest.sender, manifest.recordCount);
    log().information("batch %s from %s stored (%s records, purpose %s)", manifest.batchId, manifest.sender,
                      std::to_string(manifest.recordCount), manifest.purpose);
    transport::sendJson(response, Status::HTTP_OK, signedReceipt.body());
    if (onStored_) onStored_();
}

SignedReceipt BatchReceiver::commit(const privacy::Manifest& manifest, const transport::PeerIdentity& peer) {
    const config::GatewayConfig& config = parts_.config;
    const std::string receivedAt = formatUtc(std::chrono::system_clock::now());
    const config::PurposeSettings& purpose = config.purpose(manifest.purpose);
    const std::uint64_t index = parts_.ledger.append(
        ledger::LedgerEntry::aboutBatch(ledger::Operation::BatchReceived, ledger::Outcome::Stored,
                                        peer.subject, manifest, purpose.legalBasis, manifest.sender));

    Receipt receipt;
    receipt.batchId = manifest.batchId;
    receipt.sender = manifest.sender;
    receipt.receiver = config.party;
    receipt.purpose = manifest.purpose;
    receipt.recordCount = manifest.recordCount;
    receipt.payloadDigest = manifest.payloadDigest;
    receipt.receivedAt = receivedAt;
    receipt.ledgerIndex = index;
    receipt.checkpoint = parts_.ledger.checkpoint();
    receipt.receiverKeyId = parts_.keys.publicKeys().sign.id();
    const SignedReceipt signedReceipt = signReceipt(receipt, parts_.keys);

    store::InboxBatch row;
    row.batchId = manifest.batchId;
    row.sender = manifest.sender;
    row.purpose = manifest.purpose;
    row.recordCount = manifest.recordCount;
    row.payloadDigest = manifest.payloadDigest;
    row.receivedAt = receivedAt;
    row.receipt = signedReceipt.json;
    row.receiptSignature = signedReceipt.signature;
    row.filesFolderId = parts_.folders.folderId;
    const store::InboxBatch stored = parts_.inbox.addToInbox(row);
    // Stored once: should it be there already, its own receipt is the one that holds.
    return SignedReceipt{stored.receipt, stored.receiptSignature};
}

}  // namespace passerelle::exchange
