#include "exchange/extraction_request.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sodium.h>

#include <set>
#include <sstream>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/identifiers.h"
#include "privacy/sodium_init.h"

namespace passerelle::exchange {

namespace {

constexpr const char* kBodyKey = "request";

// A JSON object read key by key: a key missing or of the wrong shape is named,
// and so is a key nobody asked for.
class StrictObject {
public:
    StrictObject(const std::string& json, std::string what) : what_(std::move(what)) {
        try {
            object_ = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            throw ExtractionRequestError(what_ + " is not a JSON object: " + e.displayText());
        }
        if (!object_) throw ExtractionRequestError(what_ + " is not a JSON object");
    }

    std::string text(const std::string& key) {
        read_.insert(key);
        if (!object_->has(key)) throw ExtractionRequestError(what_ + ": key '" + key + "' is missing");
        if (!object_->get(key).isString())
            throw ExtractionRequestError(what_ + ": key '" + key + "' is not a string");
        return object_->getValue<std::string>(key);
    }

    std::optional<std::string> textOrNull(const std::string& key) {
        if (object_->has(key) && object_->isNull(key)) {
            read_.insert(key);
            return std::nullopt;
        }
        return text(key);
    }

    std::uint64_t count(const std::string& key) {
        read_.insert(key);
        if (!object_->has(key)) throw ExtractionRequestError(what_ + ": key '" + key + "' is missing");
        try {
            if (object_->get(key).isInteger()) return object_->getValue<std::uint64_t>(key);
        } catch (const Poco::Exception&) {
            // negative: refused below
        }
        throw ExtractionRequestError(what_ + ": key '" + key + "' is not a whole number");
    }

    // The key is named only when it is a plain identifier: the message reaches the ledger.
    void refuseOtherKeys() const {
        for (const auto& [key, value] : *object_) {
            if (read_.contains(key)) continue;
            const bool plain = key.size() <= 32 && std::all_of(key.begin(), key.end(), [](char c) {
                                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                               });
            throw ExtractionRequestError(what_ + ": unknown key" + (plain ? " '" + key + "'" : ""));
        }
    }

private:
    std::string what_;
    Poco::JSON::Object::Ptr object_;
    std::set<std::string> read_;
};

std::string compactJson(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

bool isLowerHex(std::string_view s, std::size_t size) {
    return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}


std::string randomHex16() {
    privacy::ensureSodium();
    std::uint8_t bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    return toHex(bytes);
}

}  // namespace

ExtractionRequest ExtractionRequest::fresh(std::string requester, std::string institution,
                                           std::string purpose, std::string exitFrom, std::string exitTo,
                                           std::string requesterKeyId,
                                           std::chrono::system_clock::time_point now) {
    ExtractionRequest r;
    r.requestId = randomHex16();
    r.requester = std::move(requester);
    r.institution = std::move(institution);
    r.purpose = std::move(purpose);
    r.exitFrom = std::move(exitFrom);
    r.exitTo = std::move(exitTo);
    r.nonce = randomHex16();
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
    StrictObject o(json, "extraction request");
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
    o.refuseOtherKeys();
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
    StrictObject o(json, "extraction answer");
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
