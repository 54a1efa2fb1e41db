#include "exchange/receipt.h"

#include "common/encoding.h"
#include "common/errors.h"
#include "common/identifiers.h"
#include "common/json_text.h"
#include "common/strict_json.h"

#include <Poco/JSON/Object.h>

namespace passerelle::exchange {

namespace {

constexpr const char* kWhat = "receipt";

void refuse(const JsonRefusal& r) {
    const std::string what = kWhat;
    if (r.problem == JsonRefusal::Problem::NotJson || r.problem == JsonRefusal::Problem::NotObject) {
        // The parser's words when it had any (a top level that is not an object included).
        if (r.parserDisplayText.empty()) throw BatchError(what + " is not a JSON object");
        throw BatchError(what + " is not valid JSON: " + r.parserDisplayText);
    }
    throw BatchError(what + ": key '" + r.member + "' is missing or not " +
                     (r.expected == JsonRefusal::Shape::Integer ? "a whole number" : "a string"));
}

}  // namespace

std::string Receipt::json() const {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("type", "passerelle-receipt-v1");
    o.set("batch_id", batchId);
    o.set("sender", sender);
    o.set("receiver", receiver);
    o.set("purpose", purpose);
    o.set("record_count", recordCount);
    o.set("payload_digest", payloadDigest);
    o.set("received_at", receivedAt);
    o.set("ledger_index", ledgerIndex);
    if (checkpoint) {
        o.set("checkpoint", checkpoint->signedBytes());
        o.set("checkpoint_signature", toBase64(checkpoint->signature));
    } else {
        o.set("ledger_head", ledgerHead);
    }
    o.set("receiver_key_id", receiverKeyId);
    return compactJson(o);
}

Receipt Receipt::parse(const std::string& json) {
    StrictJsonObject o(json, refuse);
    if (o.text("type") != "passerelle-receipt-v1") {
        throw BatchError("receipt: unsupported type (this gateway reads passerelle-receipt-v1)");
    }
    Receipt r;
    r.batchId = o.text("batch_id");
    r.sender = o.text("sender");
    r.receiver = o.text("receiver");
    r.purpose = o.text("purpose");
    r.recordCount = o.count("record_count");
    r.payloadDigest = o.text("payload_digest");
    r.receivedAt = o.text("received_at");
    r.ledgerIndex = o.count("ledger_index");
    r.receiverKeyId = o.text("receiver_key_id");
    // Ids a receipt names are compared, stored and shown: each follows its rule.
    try {
        (void)BatchId::parse(r.batchId);
        (void)PartyId::parse(r.sender);
        (void)PartyId::parse(r.receiver);
        (void)PurposeId::parse(r.purpose);
    } catch (const IdentifierError& e) {
        throw BatchError(std::string("receipt: ") + e.what());
    }
    if (!o.has("checkpoint") && o.has("ledger_head")) {
        r.ledgerHead = o.text("ledger_head");  // a receipt of the earlier hash-chain ledger
        return r;
    }
    try {
        const auto signature = fromBase64(o.text("checkpoint_signature"));
        r.checkpoint = ledger::parseCheckpoint(o.text("checkpoint"), signature);
    } catch (const std::invalid_argument&) {
        throw BatchError("receipt: key 'checkpoint_signature' is not base64");
    } catch (const LedgerError& e) {
        throw BatchError(std::string("receipt: key 'checkpoint': ") + e.what());
    }
    if (r.checkpoint->origin != r.receiver || r.checkpoint->treeSize < r.ledgerIndex) {
        throw BatchError("receipt: its checkpoint is not the receiver's, or does not cover the receipt's ledger entry");
    }
    return r;
}

namespace {
constexpr const char* kBodyKey = "receipt";
}  // namespace

std::string SignedReceipt::body() const { return SignedJson::body(kBodyKey); }

SignedReceipt SignedReceipt::fromBody(const std::string& body) {
    try {
        return {SignedJson::fromBody(body, kBodyKey, "receipt response", OtherKeys::Ignored)};
    } catch (const SignedJsonError& e) {
        throw BatchError(e.what());
    }
}

SignedReceipt signReceipt(const Receipt& receipt, const privacy::PartyKeys& keys) {
    return {SignedJson::sign(receipt.json(), keys)};
}

Receipt verifyReceipt(const SignedReceipt& signedReceipt, const privacy::SignPublicKey& receiverKey) {
    if (!signedReceipt.verifies(receiverKey)) {
        throw BatchError("receipt signature does not verify with the receiver's key " + receiverKey.id() +
                         " (altered, not base64, or signed by another party)");
    }
    return Receipt::parse(signedReceipt.json);
}

Receipt verifyReceipt(const SignedReceipt& signedReceipt, const ReceiverKeyLookup& receiverKey) {
    return verifyReceipt(signedReceipt, receiverKey(Receipt::parse(signedReceipt.json)));
}

}  // namespace passerelle::exchange
