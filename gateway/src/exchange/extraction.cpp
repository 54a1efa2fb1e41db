#include "exchange/extraction.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>

#include "common/encoding.h"
#include "exchange/batch_preparer.h"
#include "privacy/sodium_init.h"
#include "record/field_syntax.h"
#include "transport/http_error.h"

namespace passerelle::exchange {

namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

Poco::Logger& log() { return Poco::Logger::get("passerelle.extraction"); }

constexpr const char* kOperation = "extraction-requested";
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

// Party and purpose ids: what the configuration accepts as section names.
bool isId(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

const Clock& systemClock() {
    static const SystemClock clock;
    return clock;
}

std::string randomHex16() {
    privacy::ensureSodium();
    std::uint8_t bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    return toHex(bytes);
}

// yyyy-mm-ddThh:mm:ssZ exactly, as formatUtc writes it; nothing else.
std::optional<std::chrono::system_clock::time_point> parseUtc(const std::string& text) {
    std::tm tm{};
    if (text.size() != 20 || std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
                                         &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const auto t = std::chrono::system_clock::from_time_t(::timegm(&tm));
    if (formatUtc(t) != text) return std::nullopt;  // 2026-02-30, signs, spaces: not the same text back
    return t;
}

// An ISO date exactly (the wire carries no other form); nullopt otherwise.
bool isIsoDate(const std::string& text) {
    record::ShortValue iso;
    return record::parseDate(text, iso) == record::DateProblem::None && iso.view() == text;
}

}  // namespace

// --- the request and its answer ---------------------------------------------

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
    if (!isLowerHex(r.requestId, 32)) malformed("request_id", "32 lower-case hex characters");
    if (!isLowerHex(r.nonce, 32)) malformed("nonce", "32 lower-case hex characters");
    if (!isLowerHex(r.requesterKeyId, 16))
        malformed("requester_key_id", "a key id: 16 lower-case hex characters");
    if (!isId(r.requester)) malformed("requester", "a party id");
    if (!isId(r.institution)) malformed("institution", "a party id");
    if (!isId(r.purpose)) malformed("purpose", "a purpose id");
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
    return a;
}

// --- the institution's service -----------------------------------------------

// Who is asking and what they asked, as far as known: the extraction-requested
// ledger entries are made from it, and each refusal is one (outcome denied)
// before it is an HTTP error.
struct ExtractionService::RequestContext {
    Gateway& gateway;
    const transport::PeerIdentity& peer;
    // Known before the signature is checked, so kept to what cannot carry free text:
    // a purpose this gateway configures, a request id of 32 hex characters.
    std::string purpose;
    std::string requestId;

    ledger::LedgerEntry entry(const std::string& outcome, const std::string& reason) const {
        ledger::LedgerEntry e;
        e.actor = peer.subject;
        e.operation = kOperation;
        e.purpose = purpose;
        if (!purpose.empty()) e.legal_basis = gateway.config().purpose(purpose).legalBasis;
        e.counterpart = peer.commonName;
        e.outcome = outcome;
        e.reason = (requestId.empty() ? "" : "request " + requestId + ": ") + reason;
        return e;
    }

    [[noreturn]] void deny(Status status, const std::string& code, const std::string& message) const {
        gateway.ledger().append(entry("denied", code + ": " + message));
        throw transport::HttpError(status, code, message);
    }
};

ExtractionService::ExtractionService(Gateway& gateway, std::function<void()> onQueued)
    : ExtractionService(gateway, std::move(onQueued), systemClock()) {}

ExtractionService::ExtractionService(Gateway& gateway, std::function<void()> onQueued, const Clock& clock)
    : gateway_(gateway), onQueued_(std::move(onQueued)), clock_(clock), requests_(gateway.store().file()) {}

void ExtractionService::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                               const transport::PeerIdentity& peer) {
    const config::GatewayConfig& config = gateway_.config();
    RequestContext ctx{gateway_, peer, "", ""};

    // 1. Size, before anything is read: a request is a few hundred bytes.
    const std::uint64_t limit = config.http.maxRequestBytes;
    const std::string tooLarge =
        "an extraction request is limited to " + std::to_string(limit) + " bytes (http.max_request_bytes)";
    if (!request.hasContentLength()) {
        // A body read to the end of the connection would hold a thread until the timeout.
        ctx.deny(Status::HTTP_LENGTH_REQUIRED, "length_required",
                 "an extraction request is sent with a Content-Length");
    }
    if (request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
        ctx.deny(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "request_too_large", tooLarge);
    }
    std::string body(limit + 1, '\0');
    request.stream().read(body.data(), static_cast<std::streamsize>(body.size()));
    body.resize(static_cast<std::size_t>(request.stream().gcount()));
    if (body.size() > limit) ctx.deny(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "request_too_large", tooLarge);

    // What the request says, read strictly now but trusted only once its signature
    // is checked below: until then it only names the request and purpose in the ledger.
    std::optional<SignedExtractionRequest> envelope;
    std::optional<ExtractionRequest> parsed;
    std::string malformed;
    try {
        envelope = SignedExtractionRequest::fromBody(body);
        parsed = ExtractionRequest::parse(envelope->json);
        ctx.requestId = parsed->requestId;
        if (config.purposes.contains(parsed->purpose)) ctx.purpose = parsed->purpose;
    } catch (const ExtractionRequestError& e) {
        malformed = e.what();
    }

    // 2. Who is asking: a configured peer, with the pinned certificate when one is pinned.
    const auto peerIt = config.peers.find(peer.commonName);
    if (peerIt == config.peers.end()) {
        ctx.deny(Status::HTTP_FORBIDDEN, "unknown_party",
                 "certificate '" + peer.commonName + "' is not a configured peer");
    }
    const config::PeerSettings& peerSettings = peerIt->second;
    if (!peerSettings.certificateSha256.empty() && peerSettings.certificateSha256 != peer.sha256) {
        ctx.deny(Status::HTTP_FORBIDDEN, "certificate_not_pinned",
                 "certificate of '" + peer.commonName + "' (SHA-256 " + peer.sha256 +
                     ") is not the one pinned in peer." + peer.commonName + ".certificate_sha256");
    }

    // 3. A well-formed request, signed by that peer, for this institution.
    if (request.getContentType().rfind("application/json", 0) != 0) {
        ctx.deny(Status::HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                 "an extraction request is sent as application/json");
    }
    if (!parsed) ctx.deny(Status::HTTP_BAD_REQUEST, "invalid_request", malformed);
    const ExtractionRequest& req = *parsed;
    const privacy::SignPublicKey& peerKey = gateway_.peerKeys(peer.commonName).sign;
    if (req.requesterKeyId != peerKey.id()) {
        ctx.deny(Status::HTTP_FORBIDDEN, "bad_signature",
                 "the request names signing key " + req.requesterKeyId + " but peer." + peer.commonName +
                     ".public_keys holds key " + peerKey.id() + " (after a key rotation, update that file)");
    }
    if (!envelope->verifies(peerKey)) {
        ctx.deny(Status::HTTP_FORBIDDEN, "bad_signature",
                 "the request's signature does not verify with the key of '" + peer.commonName + "' (" +
                     peerKey.id() + "): altered, or signed by another party");
    }
    if (req.requester != peer.commonName) {
        ctx.deny(Status::HTTP_FORBIDDEN, "requester_mismatch",
                 "the request names requester '" + req.requester + "' but the certificate is '" +
                     peer.commonName + "'");
    }
    if (req.institution != config.party) {
        ctx.deny(Status::HTTP_FORBIDDEN, "wrong_institution",
                 "the request is addressed to '" + req.institution + "', not to '" + config.party + "'");
    }

    // 4. Allowed: the purpose is one this peer may ask for, and a job serves it.
    const auto& allowed = peerSettings.extractPurposes;
    if (std::find(allowed.begin(), allowed.end(), req.purpose) == allowed.end()) {
        ctx.deny(Status::HTTP_FORBIDDEN, "purpose_not_allowed",
                 "party '" + peer.commonName + "' may not request extractions for purpose '" + req.purpose +
                     "' (peer." + peer.commonName + ".extract_purposes)");
    }
    const config::JobSettings& job = jobFor(req, ctx);
    checkWindow(req, ctx);

    // 5. Fresh, and never seen: the time window bounds how long a nonce must be remembered.
    checkFreshness(req, ctx);
    const auto now = clock_.now();
    const auto window = std::chrono::seconds(config.http.requestMaxAgeSeconds);
    // Kept at least a day, so raising request_max_age_seconds (at most an hour) never
    // makes a forgotten request acceptable again.
    requests_.forgetReceivedBefore(
        formatUtc(now - std::max<std::chrono::seconds>(2 * window, std::chrono::hours(24))));
    store::ExtractionRequestRow row{req.requestId, req.nonce,    req.requester,  req.purpose, req.exitFrom,
                                    req.exitTo,    req.issuedAt, formatUtc(now), "admitted",  ""};
    if (!requests_.admit(row)) {
        ctx.deny(
            Status::HTTP_CONFLICT, "replayed_request",
            "this request id or nonce was already received: a request is served once; send a new request");
    }
    serve(req, job, peer, response);
}

const config::JobSettings& ExtractionService::jobFor(const ExtractionRequest& req,
                                                     const RequestContext& ctx) const {
    std::vector<const config::JobSettings*> matching;
    for (const auto& [name, job] : gateway_.config().jobs) {
        if (job.purpose == req.purpose && job.recipient == req.requester) matching.push_back(&job);
    }
    if (matching.empty()) {
        ctx.deny(Status::HTTP_UNPROCESSABLE_ENTITY, "no_job",
                 "no job of '" + gateway_.config().party + "' sends purpose '" + req.purpose + "' to '" +
                     req.requester + "'");
    }
    if (matching.size() > 1) {
        // Running only one of them could leave part of the cohort out without anyone noticing.
        ctx.deny(Status::HTTP_UNPROCESSABLE_ENTITY, "ambiguous_job",
                 "jobs '" + matching[0]->name + "' and '" + matching[1]->name + "' both send purpose '" +
                     req.purpose + "' to '" + req.requester +
                     "': the institution must keep one for extractions");
    }
    return *matching.front();
}

void ExtractionService::checkWindow(const ExtractionRequest& req, const RequestContext& ctx) const {
    for (const auto& [key, value] :
         {std::pair{"exit_from", &req.exitFrom}, std::pair{"exit_to", &req.exitTo}}) {
        if (!isIsoDate(*value)) {
            ctx.deny(Status::HTTP_BAD_REQUEST, "invalid_filter",
                     std::string("key '") + key + "' is not a calendar date written yyyy-mm-dd");
        }
    }
    if (req.exitFrom > req.exitTo) {  // ISO dates compare as text
        ctx.deny(Status::HTTP_BAD_REQUEST, "invalid_filter",
                 "exit_from " + req.exitFrom + " is after exit_to " + req.exitTo);
    }
}

void ExtractionService::checkFreshness(const ExtractionRequest& req, const RequestContext& ctx) const {
    const auto issued = parseUtc(req.issuedAt);  // checked by parse
    const auto skew = std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - *issued).count();
    const auto maxAge = static_cast<long long>(gateway_.config().http.requestMaxAgeSeconds);
    if (skew > maxAge || -skew > maxAge) {
        ctx.deny(Status::HTTP_FORBIDDEN, "request_expired",
                 "issued_at " + req.issuedAt + " is " + std::to_string(skew > 0 ? skew : -skew) + " s " +
                     (skew > 0 ? "in the past" : "in the future") + " by this gateway's clock " +
                     formatUtc(clock_.now()) + "; at most " + std::to_string(maxAge) +
                     " s are accepted (http.request_max_age_seconds): send a new request, and check both "
                     "clocks (NTP)");
    }
}

void ExtractionService::serve(const ExtractionRequest& req, const config::JobSettings& job,
                              const transport::PeerIdentity& peer, Poco::Net::HTTPServerResponse& response) {
    const RequestContext ctx{gateway_, peer, req.purpose, req.requestId};
    gateway_.ledger().append(
        ctx.entry("served", "exit dates " + req.exitFrom + " to " + req.exitTo + ", job " + job.name));

    PreparedBatch prepared;
    auto fail = [&](Status status, const std::string& code, const std::string& message, const Error& e) {
        log().error("extraction request %s from %s: job %s failed: %s", req.requestId, peer.commonName,
                    job.name, std::string(e.what()));
        gateway_.ledger().append(ctx.entry("failed", "job " + job.name + ": " + e.what()));
        requests_.recordOutcome(req.requestId, "failed", "");
        // The details stay here (log, ledger): they name the institution's own files.
        throw transport::HttpError(status, code, message + "; the institution's gateway log says why");
    };
    try {
        BatchPreparer preparer(gateway_);
        PrepareOptions options;
        options.exitFrom = req.exitFrom;
        options.exitTo = req.exitTo;
        options.reason = "extraction request " + req.requestId + " from " + peer.commonName;
        options.useCursor = false;  // the whole cohort; the job's schedule keeps its own cursor
        prepared = preparer.prepare(job.name, peer.subject, options);
    } catch (const PluginError& e) {
        fail(Status::HTTP_SERVICE_UNAVAILABLE, "source_unavailable",
             "job '" + job.name + "' could not read its source", e);
    } catch (const ConfigError& e) {
        fail(Status::HTTP_INTERNAL_SERVER_ERROR, "job_misconfigured",
             "job '" + job.name + "' is misconfigured", e);
    } catch (const Error& e) {
        fail(Status::HTTP_INTERNAL_SERVER_ERROR, "extraction_failed",
             "job '" + job.name + "' could not prepare the batch", e);
    }
    requests_.recordOutcome(req.requestId, "served", prepared.batchId.value_or(""));
    log().information("extraction request %s from %s served by job %s: batch %s, %s records", req.requestId,
                      peer.commonName, job.name, prepared.batchId.value_or("none"),
                      std::to_string(prepared.sealed));
    if (prepared.batchId && onQueued_) onQueued_();

    ExtractionAnswer answer;
    answer.requestId = req.requestId;
    answer.batchId = prepared.batchId;
    answer.records = prepared.sealed;
    answer.quarantined = prepared.quarantined;
    answer.objected = prepared.objected;
    answer.outsideFilter = prepared.outsideFilter;
    transport::sendJson(response, Status::HTTP_ACCEPTED, answer.json());
}

}  // namespace passerelle::exchange
