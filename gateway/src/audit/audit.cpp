#include "audit/audit.h"

#include "audit/retention.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "common/identifiers.h"
#include "exchange/receipt.h"
#include "privacy/batch_reader.h"
#include "privacy/sha256.h"

#include <fstream>

namespace passerelle::exchange {

namespace {

std::string readFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw BatchError(file.string() + " is missing or unreadable");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Checked with the key the receipt names, if the receiver is who it must be and that key of its
// history was valid when the receipt was signed (received_at).
void checkReceipt(const std::string& json, const std::string& signature, const std::string& receiver,
                  const ledger::KeyResolver& keys, const std::string& batchId, const std::string& digest) {
    const Receipt r = verifyReceipt(SignedReceipt{json, signature}, [&](const Receipt& claimed) {
        if (claimed.receiver != receiver) {
            throw BatchError("the receipt names receiver '" + claimed.receiver + "', not '" + receiver + "'");
        }
        const auto key = keys(receiver, claimed.receiverKeyId, claimed.receivedAt);
        if (!key) {
            throw BatchError("the receipt is signed with key " + claimed.receiverKeyId + ": " + key.refusal);
        }
        return privacy::SignPublicKey{*key};
    });
    if (r.batchId != batchId || r.payloadDigest != digest) {
        throw BatchError("the receipt is signed but names another batch or digest");
    }
}

}  // namespace

void checkStoredBatch(const std::filesystem::path& batchDir, const std::string& sender,
                      const ledger::KeyResolver& keys) {
    if (!std::filesystem::exists(batchDir)) {
        throw BatchError(batchDir.string() +
                         " is gone, and no payload-purged ledger entry accounts for it (deleted outside retention)");
    }
    const std::string manifestJson = readFile(batchDir / "manifest.json");
    const std::string signature = readFile(batchDir / "manifest.sig");
    // The manifest names the key that signed it and its date: only a key of the sender's
    // history valid then may verify it.
    const privacy::Manifest manifest =
        privacy::verifyManifest(manifestJson, asBytes(signature), [&](const privacy::ManifestSigner& signer) {
            const auto key = keys(sender, signer.keyId, signer.createdAt);
            if (!key) {
                throw BatchError("its manifest is signed with key " + signer.keyId + ": " + key.refusal);
            }
            return privacy::SignPublicKey{*key};
        });
    if (manifest.sender != sender) throw BatchError("its manifest names sender '" + manifest.sender + "', not '" + sender + "'");
    if (manifest.batchId != batchDir.filename().string()) {
        throw BatchError("its manifest names another batch id than its folder's (a batch moved or copied here)");
    }
    std::ifstream payload(batchDir / "payload.bin", std::ios::binary);
    if (!payload) throw BatchError((batchDir / "payload.bin").string() + " is missing or unreadable");
    privacy::Sha256 sha;
    std::vector<char> buffer(1 << 16);
    while (payload) {
        payload.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        sha.update({reinterpret_cast<const std::uint8_t*>(buffer.data()), static_cast<std::size_t>(payload.gcount())});
    }
    const auto digest = sha.finish();
    if ("sha256:" + toHex(digest) != manifest.payloadDigest) {
        throw BatchError("payload.bin does not match the digest its signed manifest names (altered)");
    }
}

// A batch whose files are in another instance's state folder (several instances on one
// PostgreSQL database): that instance's audit checks them; its receipt is checked here.
bool elsewhere(const Gateway& gateway, const std::string& filesFolderId) {
    return !filesFolderId.empty() && filesFolderId != gateway.folderId();
}

AuditReport auditGateway(Gateway& gateway) {
    AuditReport report;
    const auto verification = gateway.ledger().verify(gateway.checkpointKeys());
    report.ledgerEntries = verification.entries;
    report.ledgerRoot = verification.rootHash;
    report.ownCheckpoints = verification.checkpoints;
    report.peerCheckpoints = verification.peerCheckpoints;
    if (!verification.intact) {
        report.findings.push_back({"ledger " + gateway.ledger().name(), verification.problem});
    }
    const ledger::KeyResolver keys = gateway.checkpointKeys();
    std::set<std::string> purged;
    try {
        purged = purgedBatchIds(gateway);
    } catch (const LedgerError& e) {
        // A ledger that does not parse is already a finding; batches are checked regardless.
        if (verification.intact) report.findings.push_back({"ledger " + gateway.ledger().name(), e.what()});
    }

    for (const store::OutboxBatch& batch : gateway.store().outbox().all()) {
        const std::string what = "outbox batch " + batch.batchId;
        try {
            // A payload deleted by retention is accounted for by its payload-purged
            // entry; its receipt remains the proof of delivery.
            if (elsewhere(gateway, batch.filesFolderId)) {
                ++report.batchesElsewhere;
            } else if (!purged.contains(batch.batchId)) {
                checkStoredBatch(childPath(gateway.outboxDir(), BatchId::parse(batch.batchId)), gateway.config().party,
                                 keys);
                ++report.batchesChecked;
            }
            if (batch.status == store::OutboxStatus::Receipted) {
                checkReceipt(batch.receipt, batch.receiptSignature, batch.recipient, keys,
                             batch.batchId, batch.payloadDigest);
                ++report.receiptsChecked;
            }
        } catch (const Error& e) {
            report.findings.push_back({what, e.what()});
        }
    }
    for (const store::InboxBatch& batch : gateway.store().inbox().all()) {
        const std::string what = "inbox batch " + batch.batchId;
        try {
            if (elsewhere(gateway, batch.filesFolderId)) {
                ++report.batchesElsewhere;
            } else if (!purged.contains(batch.batchId)) {
                checkStoredBatch(childPath(gateway.inboxDir(), BatchId::parse(batch.batchId)), batch.sender, keys);
                ++report.batchesChecked;
            }
            checkReceipt(batch.receipt, batch.receiptSignature, gateway.config().party, keys, batch.batchId,
                         batch.payloadDigest);
            ++report.receiptsChecked;
        } catch (const Error& e) {
            report.findings.push_back({what, e.what()});
        }
    }
    return report;
}

}  // namespace passerelle::exchange
