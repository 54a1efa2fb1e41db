#pragma once
// The receiver's signed word that it stored a batch: what the sender keeps as
// proof of delivery. The signature covers the exact JSON bytes.

#include "exchange/signed_json.h"
#include "ledger/checkpoint.h"
#include "privacy/party_keys.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace passerelle::exchange {

struct Receipt {
    std::string batchId;
    std::string sender;
    std::string receiver;
    std::string purpose;
    std::uint64_t recordCount = 0;
    std::string payloadDigest;
    std::string receivedAt;
    std::uint64_t ledgerIndex = 0;  // the receiver's ledger entry for this batch
    // The receiver's signed checkpoint covering that entry: the sender keeps it,
    // so the receiver can never later show a ledger without the entry. Absent
    // from receipts of the earlier hash-chain ledger, which named its head instead.
    std::optional<ledger::Checkpoint> checkpoint;
    std::string ledgerHead;  // those earlier receipts only
    std::string receiverKeyId;

    std::string json() const;
    static Receipt parse(const std::string& json);  // throws BatchError naming the key
};

struct SignedReceipt : SignedJson {
    // The HTTP body: {"receipt": "<base64 json>", "signature": "<base64>"}.
    std::string body() const;
    // Other keys are ignored. Throws BatchError naming the key.
    static SignedReceipt fromBody(const std::string& body);
};

SignedReceipt signReceipt(const Receipt& receipt, const privacy::PartyKeys& keys);
// Checks the signature with the receiver's key; throws BatchError if it fails.
Receipt verifyReceipt(const SignedReceipt& signedReceipt, const privacy::SignPublicKey& receiverKey);
// The same with the key `receiverKey` picks for what the receipt claims before its signature
// is checked (its receiver, receiver_key_id and received_at): a key of the receiver's history
// valid then (party/peer_keys.h). The lookup throws when there is none.
using ReceiverKeyLookup = std::function<privacy::SignPublicKey(const Receipt& claimed)>;
Receipt verifyReceipt(const SignedReceipt& signedReceipt, const ReceiverKeyLookup& receiverKey);

}  // namespace passerelle::exchange
