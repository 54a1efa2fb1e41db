#include "exchange/audit.h"

#include "common/encoding.h"
#include "common/errors.h"
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

void checkReceipt(const std::string& json, const std::string& signature, const privacy::SignPublicKey& key,
                  const std::string& batchId, const std::string& digest) {
    const Receipt r = verifyReceipt(SignedReceipt{json, signature}, key);
    if (r.batchId != batchId || r.payloadDigest != digest) {
        throw BatchError("the receipt is signed but names another batch or digest");
    }
}

}  // namespace

void checkStoredBatch(const std::filesystem::path& batchDir, const privacy::SignPublicKey& senderKey) {
    const std::string manifestJson = readFile(batchDir / "manifest.json");
    const std::string signature = readFile(batchDir / "manifest.sig");
    const privacy::Manifest manifest =
        privacy::verifyManifest(manifestJson, asBytes(signature), [&](const std::string&) { return senderKey; });
    std::ifstream payload(batchDir / "payload.bin", std::ios::binary);
    if (!payload) throw BatchError((batchDir / "payload.bin").string() + " is missing or unreadable");
    privacy::Sha256 sha;
    std::vector<char> buffer(1 << 16);
    while (payload) {
        payload.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        sha.update({reinterpret_cast<const std::uint8_t*>(buffer.data()), static_cast<std::size_t>(payload.gcount())});
    }
    const auto digest = sha.finish();
    if ("sha256:" + toHex(digest) != manifest.payload_digest) {
        throw BatchError("payload.bin does not match the digest its signed manifest names (altered)");
    }
}

AuditReport auditGateway(Gateway& gateway) {
    AuditReport report;
    const auto verification = gateway.ledger().verify(gateway.checkpointKeys());
    report.ledgerEntries = verification.entries;
    report.ledgerRoot = verification.rootHash;
    report.ownCheckpoints = verification.checkpoints;
    report.peerCheckpoints = verification.peerCheckpoints;
    if (!verification.intact) {
        report.findings.push_back({"ledger " + gateway.ledgerFile().string(), verification.problem});
    }
    const privacy::SignPublicKey& ownKey = gateway.keys().publicKeys().sign;

    for (const store::OutboxBatch& batch : gateway.store().outbox()) {
        const std::string what = "outbox batch " + batch.batchId;
        try {
            // A receipted batch's payload may be purged by retention; its receipt is the proof.
            if (std::filesystem::exists(gateway.outboxDir() / batch.batchId)) {
                checkStoredBatch(gateway.outboxDir() / batch.batchId, ownKey);
                ++report.batchesChecked;
            }
            if (batch.status == store::OutboxStatus::Receipted) {
                checkReceipt(batch.receipt, batch.receiptSignature, gateway.peerKeys(batch.recipient).sign,
                             batch.batchId, batch.payloadDigest);
                ++report.receiptsChecked;
            }
        } catch (const Error& e) {
            report.findings.push_back({what, e.what()});
        }
    }
    for (const store::InboxBatch& batch : gateway.store().inbox()) {
        const std::string what = "inbox batch " + batch.batchId;
        try {
            checkStoredBatch(gateway.inboxDir() / batch.batchId, gateway.peerKeys(batch.sender).sign);
            ++report.batchesChecked;
            checkReceipt(batch.receipt, batch.receiptSignature, ownKey, batch.batchId, batch.payloadDigest);
            ++report.receiptsChecked;
        } catch (const Error& e) {
            report.findings.push_back({what, e.what()});
        }
    }
    return report;
}

}  // namespace passerelle::exchange
