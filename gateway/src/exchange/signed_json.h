#pragma once
// A JSON document and the Ed25519 signature over its exact bytes, as receipts and
// extraction requests travel: {"<key>": "<base64 json>", "signature": "<base64>"}.
// Base64 keeps the signed bytes intact through any JSON reader on the way.

#include "common/errors.h"
#include "privacy/party_keys.h"

#include <string>

namespace passerelle::exchange {

// A body is not a signed JSON document; the message names the key. Each kind of
// document reports it as its own failure family (BatchError, ExtractionRequestError).
class SignedJsonError : public Error {
public:
    using Error::Error;
};

struct SignedJson {
    std::string json;       // exact signed bytes
    std::string signature;  // base64 Ed25519 over json

    enum class OtherKeys { Ignored, Refused };

    // The HTTP body, the document under `key`.
    std::string body(const std::string& key) const;
    // Reads a body written by body(key); `what` names it in the errors.
    // Throws SignedJsonError.
    static SignedJson fromBody(const std::string& body, const std::string& key, const std::string& what,
                               OtherKeys otherKeys);
    static SignedJson sign(std::string json, const privacy::PartyKeys& keys);
    // False when the signature is not base64 or not `publicKey`'s over json.
    bool verifies(const privacy::SignPublicKey& publicKey) const;
};

}  // namespace passerelle::exchange
