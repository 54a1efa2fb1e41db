#pragma once
// The Region's signed extraction request and the institution's answer, as they
// travel over the wire (docs/extraction.md): strict canonical JSON, so that the
// signature covers exactly the bytes both sides read.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/errors.h"
#include "exchange/signed_json.h"
#include "privacy/party_keys.h"

namespace passerelle::exchange {

// An extraction request or its answer is malformed; the message names the key.
class ExtractionRequestError : public Error {
public:
    using Error::Error;
};

// What the Region asks of one institution. Its JSON is compact, keys in this
// order, and only that form is accepted: the signature covers the exact bytes.
struct ExtractionRequest {
    static constexpr const char* kType = "passerelle-extraction-request-v1";

    std::string requestId;  // 16 random bytes, lower-case hex
    std::string requester;  // the Region's party id: its certificate's CN
    std::string institution;
    std::string purpose;
    std::string exitFrom;        // yyyy-mm-dd, inclusive
    std::string exitTo;          // yyyy-mm-dd, inclusive
    std::string nonce;           // 16 random bytes, lower-case hex
    std::string issuedAt;        // UTC, yyyy-mm-ddThh:mm:ssZ
    std::string requesterKeyId;  // the Ed25519 key that signs it

    // A request issued at `now` with a fresh random request id and nonce.
    static ExtractionRequest fresh(std::string requester, std::string institution, std::string purpose,
                                   std::string exitFrom, std::string exitTo, std::string requesterKeyId,
                                   std::chrono::system_clock::time_point now);

    std::string json() const;
    // Strict: every key present with the right shape, no other key, canonical form.
    // The dates are only required to be strings here: the window is checked later
    // (invalid_filter). Throws ExtractionRequestError naming the key.
    static ExtractionRequest parse(const std::string& json);
};

struct SignedExtractionRequest : SignedJson {
    // The HTTP body: {"request": "<base64 json>", "signature": "<base64>"}.
    std::string body() const;
    // Strict: exactly those two keys. Throws ExtractionRequestError.
    static SignedExtractionRequest fromBody(const std::string& body);
};

SignedExtractionRequest signExtractionRequest(const ExtractionRequest& request,
                                              const privacy::PartyKeys& keys);

// The institution's answer to a served request (HTTP 202): the batch is in its
// outbox, on its way to the Region.
struct ExtractionAnswer {
    std::string requestId;
    std::optional<std::string> batchId;  // none when no record matched
    std::uint64_t records = 0;           // sealed into the batch
    std::uint64_t quarantined = 0;       // rows refused by validation (reported at the institution)
    std::uint64_t objected = 0;          // withheld: the trainee objected (GDPR art. 21)
    std::uint64_t outsideFilter = 0;     // valid records whose exit date is outside the window

    std::string json() const;
    static ExtractionAnswer parse(const std::string& json);  // throws ExtractionRequestError
};

}  // namespace passerelle::exchange
