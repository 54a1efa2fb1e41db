#include "exchange/receipt.h"

#include "common/encoding.h"
#include "common/errors.h"
#include "common/identifiers.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace passerelle::exchange {

namespace {

std::string compact(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

Poco::JSON::Object::Ptr parseObject(const std::string& json, const char* what) {
    try {
        auto value = Poco::JSON::Parser().parse(json);
        auto object = value.extract<Poco::JSON::Object::Ptr>();
        if (!object) throw BatchError(std::string(what) + " is not a JSON object");
        return object;
    } catch (const Poco::Exception& e) {
        throw BatchError(std::string(what) + " is not valid JSON: " + e.displayText());
    }
}

std::string text(const Poco::JSON::Object& o, const std::string& key, const char* what) {
    if (!o.has(key) || !o.get(key).isString()) {
        throw BatchError(std::string(what) + ": key '" + key + "' is missing or not a string");
    }
    return o.getValue<std::string>(key);
}

std::uint64_t count(const Poco::JSON::Object& o, const std::string& key, const char* what) {
    try {
        if (o.has(key) && o.get(key).isInteger()) return o.getValue<std::uint64_t>(key);
    } catch (const Poco::Exception&) {
        // negative: refused below, as a BatchError like every other malformed receipt
    }
    throw BatchError(std::string(what) + ": key '" + key + "' is missing or not a whole number");
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
    return compact(o);
}

Receipt Receipt::parse(const std::string& json) {
    constexpr const char* what = "receipt";
    auto o = parseObject(json, what);
    if (text(*o, "type", what) != "passerelle-receipt-v1") {
        throw BatchError("receipt: unsupported type (this gateway reads passerelle-receipt-v1)");
    }
    Receipt r;
    r.batchId = text(*o, "batch_id", what);
    r.sender = text(*o, "sender", what);
    r.receiver = text(*o, "receiver", what);
    r.purpose = text(*o, "purpose", what);
    r.recordCount = count(*o, "record_count", what);
    r.payloadDigest = text(*o, "payload_digest", what);
    r.receivedAt = text(*o, "received_at", what);
    r.ledgerIndex = count(*o, "ledger_index", what);
    r.receiverKeyId = text(*o, "receiver_key_id", what);
    // Ids a receipt names are compared, stored and shown: each follows its rule.
    try {
        (void)BatchId::parse(r.batchId);
        (void)PartyId::parse(r.sender);
        (void)PartyId::parse(r.receiver);
        (void)PurposeId::parse(r.purpose);
    } catch (const IdentifierError& e) {
        throw BatchError(std::string("receipt: ") + e.what());
    }
    if (!o->has("checkpoint") && o->has("ledger_head")) {
        r.ledgerHead = text(*o, "ledger_head", what);  // a receipt of the earlier hash-chain ledger
        return r;
    }
    try {
        const auto signature = fromBase64(text(*o, "checkpoint_signature", what));
        r.checkpoint = ledger::parseCheckpoint(text(*o, "checkpoint", what), signature);
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

}  // namespace passerelle::exchange
