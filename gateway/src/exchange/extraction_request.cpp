#include "exchange/extraction_request.h"

#include <Poco/JSON/Object.h>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/identifiers.h"
#include "common/json_text.h"
#include "common/random_id.h"
#include "common/strict_json.h"

namespace passerelle::exchange {

namespace {

constexpr const char* kBodyKey = "request";

// The wording every extraction message has used: `what` names the document.
JsonRefuse refusal(std::string what) {
    return [what = std::move(what)](const JsonRefusal& r) {
        using P = JsonRefusal::Problem;
        switch (r.problem) {
            case P::NotJson:
            case P::NotObject:
                throw ExtractionRequestError(what + " is not a JSON object" +
                                             (r.parserDisplayText.empty() ? "" : ": " + r.parserDisplayText));
            case P::Missing:
                throw ExtractionRequestError(what + ": key '" + r.member + "' is missing");
            case P::NotString:
                throw ExtractionRequestError(what + ": key '" + r.member + "' is not a string");
            case P::Unknown:
                throw ExtractionRequestError(what + ": unknown key" +
                                             (r.member.empty() ? "" : " '" + r.member + "'"));
            default:
                throw ExtractionRequestError(what + ": key '" + r.member + "' is not a whole number");
        }
    };
}

}  // namespace

ExtractionRequest ExtractionRequest::fresh(std::string requester, std::string institution,
                                           std::string purpose, std::string exitFrom, std::string exitTo,
                                           std::string requesterKeyId,
                                           std::chrono::system_clock::time_point now) {
    ExtractionRequest r;
    r.requestId = randomHex(16);
    r.requester = std::move(requester);
    r.institution = std::move(institution);
    r.purpose = std::move(purpose);
    r.exitFrom = std::move(exitFrom);
    r.exitTo = std::move(exitTo);
    r.nonce = randomHex(16);
    r.issuedAt = formatUtc(now);
    r.requesterKeyId = std::move(requesterKeyId);
    return r;
}

std::string ExtractionRequest::json() const {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("type", kType);
    o.set("request_id", requestId);
    o.set("requester", requester);
    o.set("institution", institution);
    o.set("purpose", purpose);
    o.set("exit_from", exitFrom);
    o.set("exit_to", exitTo);
    o.set("nonce", nonce);
    o.set("issued_at", issuedAt);
    o.set("requester_key_id", requesterKeyId);
    return compactJson(o);
}

ExtractionRequest ExtractionRequest::parse(const std::string& json) {
    StrictJsonObject o(json, refusal("extraction request"));
    if (o.text("type") != kType) {
        throw ExtractionRequestError(
            std::string("extraction request: unsupported type (this gateway reads ") + kType + ")");
    }
    ExtractionRequest r;
    r.requestId = o.text("request_id");
    r.requester = o.text("requester");
    r.institution = o.text("institution");
    r.purpose = o.text("purpose");
    r.exitFrom = o.text("exit_from");
    r.exitTo = o.text("exit_to");
    r.nonce = o.text("nonce");
    r.issuedAt = o.text("issued_at");
    r.requesterKeyId = o.text("requester_key_id");
    o.refuseOtherMembers();
    auto malformed = [](const std::string& key, const std::string& expected) {
        throw ExtractionRequestError("extraction request: key '" + key + "' must be " + expected);
    };
    if (!RequestId::isValid(r.requestId)) malformed("request_id", identifier_rules::Hex128::kRule);
    if (!isLowerHex(r.nonce, 32)) malformed("nonce", "32 lower-case hex characters");
    if (!isLowerHex(r.requesterKeyId, 16))
        malformed("requester_key_id", "a key id: 16 lower-case hex characters");
    if (!PartyId::isValid(r.requester)) malformed("requester", std::string("a party id: ") + identifier_rules::Name::kRule);
    if (!PartyId::isValid(r.institution)) {
        malformed("institution", std::string("a party id: ") + identifier_rules::Name::kRule);
    }
    if (!PurposeId::isValid(r.purpose)) malformed("purpose", std::string("a purpose id: ") + identifier_rules::Name::kRule);
    if (!parseUtc(r.issuedAt)) malformed("issued_at", "a UTC time written yyyy-mm-ddThh:mm:ssZ");
    // One spelling only, so no two readers can see different requests in the signed bytes.
    if (r.json() != json) {
        throw ExtractionRequestError(
            "extraction request: not in canonical form (key order, spacing or escaping differ)");
    }
    return r;
}

std::string SignedExtractionRequest::body() const { return SignedJson::body(kBodyKey); }

SignedExtractionRequest SignedExtractionRequest::fromBody(const std::string& body) {
    try {
        return {SignedJson::fromBody(body, kBodyKey, "extraction request body", OtherKeys::Refused)};
    } catch (const SignedJsonError& e) {
        throw ExtractionRequestError(e.what());
    }
}

SignedExtractionRequest signExtractionRequest(const ExtractionRequest& request,
                                              const privacy::PartyKeys& keys) {
    return {SignedJson::sign(request.json(), keys)};
}

std::string ExtractionAnswer::json() const {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("request_id", requestId);
    o.set("batch_id", batchId ? Poco::Dynamic::Var(*batchId) : Poco::Dynamic::Var());
    o.set("records", records);
    o.set("quarantined", quarantined);
    o.set("objected", objected);
    o.set("outside_filter", outsideFilter);
    return compactJson(o);
}

ExtractionAnswer ExtractionAnswer::parse(const std::string& json) {
    // Keys added by a newer institution are ignored: the Region reads what it knows.
    StrictJsonObject o(json, refusal("extraction answer"));
    ExtractionAnswer a;
    a.requestId = o.text("request_id");
    a.batchId = o.textOrNull("batch_id");
    a.records = o.count("records");
    a.quarantined = o.count("quarantined");
    a.objected = o.count("objected");
    a.outsideFilter = o.count("outside_filter");
    // Both ids are shown, stored and looked up by the Region: checked here, where they arrive.
    if (!RequestId::isValid(a.requestId)) {
        throw ExtractionRequestError(std::string("extraction answer: key 'request_id' must be ") +
                                     identifier_rules::Hex128::kRule);
    }
    if (a.batchId && !BatchId::isValid(*a.batchId)) {
        throw ExtractionRequestError(std::string("extraction answer: key 'batch_id' must be null or ") +
                                     identifier_rules::Hex128::kRule);
    }
    return a;
}

}  // namespace passerelle::exchange
