#include "send/extraction.h"

#include <Poco/Logger.h>

#include <algorithm>

#include "common/errors.h"
#include "record/field_syntax.h"
#include "send/batch_preparer.h"
#include "transport/admission.h"
#include "transport/http_error.h"

namespace passerelle::exchange {

namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

Poco::Logger& log() { return Poco::Logger::get("passerelle.extraction"); }

const Clock& systemClock() {
    static const SystemClock clock;
    return clock;
}

// An ISO date exactly (the wire carries no other form); nullopt otherwise.
bool isIsoDate(const std::string& text) {
    record::ShortValue iso;
    return record::parseDate(text, iso) == record::DateProblem::None && iso.view() == text;
}

}  // namespace

// Who is asking and what they asked, as far as known: the extraction-requested
// ledger entries are made from it, and each refusal is one (outcome denied)
// before it is an HTTP error.
struct ExtractionService::RequestContext {
    const config::GatewayConfig& config;
    ledger::LedgerAppender& ledger;
    const transport::PeerIdentity& peer;
    // Known before the signature is checked, so kept to what cannot carry free text:
    // a purpose this gateway configures, a request id of 32 hex characters.
    std::string purpose;
    std::string requestId;

    ledger::LedgerEntry entry(ledger::Outcome outcome, const std::string& reason) const {
        ledger::LedgerEntry e = ledger::LedgerEntry::fromPeer(
            ledger::Operation::ExtractionRequested, outcome, peer.subject, peer.commonName,
            (requestId.empty() ? "" : "request " + requestId + ": ") + reason);
        e.purpose = purpose;
        if (!purpose.empty()) e.legalBasis = config.purpose(purpose).legalBasis;
        return e;
    }

    [[noreturn]] void deny(transport::WireError code, const std::string& message) const {
        ledger.append(entry(ledger::Outcome::Denied, std::string(transport::codeOf(code)) + ": " + message));
        throw transport::HttpError(code, message);
    }
};

ExtractionService::ExtractionService(SendingParts parts, store::ExtractionRequests requests,
                                     std::function<void()> onQueued)
    : ExtractionService(parts, std::move(requests), std::move(onQueued), systemClock()) {}

ExtractionService::ExtractionService(SendingParts parts, store::ExtractionRequests requests,
                                     std::function<void()> onQueued, const Clock& clock)
    : parts_(parts), onQueued_(std::move(onQueued)), clock_(clock), requests_(std::move(requests)) {}

void ExtractionService::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                               const transport::PeerIdentity& peer) {
    const config::GatewayConfig& config = parts_.config;
    RequestContext ctx{config, parts_.ledger, peer, "", ""};

    // 1. Size, before anything is read: a request is a few hundred bytes.
    const transport::Admission admission =
        transport::admit(config, peer, request, config.http.maxRequestBytes);
    const std::string body = readBody(request, admission.body, ctx);

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
    if (const auto& refusal = admission.peerRefusal) {
        ctx.deny(refusal->code, refusal->message);
    }
    const config::PeerSettings& peerSettings = *admission.peer;

    // 3. A well-formed request, signed by that peer, for this institution.
    if (request.getContentType().rfind("application/json", 0) != 0) {
        ctx.deny(transport::WireError::UnsupportedMediaType,
                 "an extraction request is sent as application/json");
    }
    if (!parsed) ctx.deny(transport::WireError::InvalidRequest, malformed);
    const ExtractionRequest& req = *parsed;
    checkSigned(req, *envelope, ctx);

    // 4. Allowed: the purpose is one this peer may ask for, and a job serves it.
    const auto& allowed = peerSettings.extractPurposes;
    if (std::find(allowed.begin(), allowed.end(), req.purpose) == allowed.end()) {
        ctx.deny(transport::WireError::PurposeNotAllowed,
                 "party '" + peer.commonName + "' may not request extractions for purpose '" + req.purpose +
                     "' (peer." + peer.commonName + ".extract_purposes)");
    }
    const config::JobSettings& job = jobFor(req, ctx);
    checkWindow(req, ctx);

    // 5. Fresh, and never seen: the time window bounds how long a nonce must be remembered.
    checkFreshness(req, ctx);
    admitOnce(req, ctx);
    serve(req, job, peer, response);
}

std::string ExtractionService::readBody(Poco::Net::HTTPServerRequest& request, transport::BodyCheck size,
                                        const RequestContext& ctx) const {
    const std::uint64_t limit = parts_.config.http.maxRequestBytes;
    const std::string tooLarge =
        "an extraction request is limited to " + std::to_string(limit) + " bytes (http.max_request_bytes)";
    if (size == transport::BodyCheck::LengthRequired) {
        // A body read to the end of the connection would hold a thread until the timeout.
        ctx.deny(transport::WireError::LengthRequired, "an extraction request is sent with a Content-Length");
    }
    if (size != transport::BodyCheck::Fits) {
        ctx.deny(transport::WireError::RequestTooLarge, tooLarge);
    }
    std::string body(limit + 1, '\0');
    request.stream().read(body.data(), static_cast<std::streamsize>(body.size()));
    body.resize(static_cast<std::size_t>(request.stream().gcount()));
    if (body.size() > limit) ctx.deny(transport::WireError::RequestTooLarge, tooLarge);
    return body;
}

void ExtractionService::checkSigned(const ExtractionRequest& req, const SignedExtractionRequest& envelope,
                                    const RequestContext& ctx) const {
    const std::string& peer = ctx.peer.commonName;
    // The peer's current key (issued_at is then judged by the freshness window checked next),
    // or a key of its history valid at issued_at and retired less than a week ago.
    privacy::SignPublicKey peerKey = parts_.peers.of(peer).sign;
    try {
        if (req.requesterKeyId != peerKey.id()) {
            peerKey = parts_.peers.liveSignKey(peer, req.requesterKeyId, req.issuedAt);
        }
    } catch (const BatchError& e) {
        ctx.deny(transport::WireError::BadSignature,
                 "the request names signing key " + req.requesterKeyId + ", which peer." + peer +
                     ".public_keys does not give for its date: " + e.what() +
                     " (after a key rotation, update that file)");
    }
    if (!envelope.verifies(peerKey)) {
        ctx.deny(transport::WireError::BadSignature,
                 "the request's signature does not verify with the key of '" + peer + "' (" + peerKey.id() +
                     "): altered, or signed by another party");
    }
    if (req.requester != peer) {
        ctx.deny(transport::WireError::RequesterMismatch,
                 "the request names requester '" + req.requester + "' but the certificate is '" + peer + "'");
    }
    if (req.institution != parts_.config.party) {
        ctx.deny(transport::WireError::WrongInstitution, "the request is addressed to '" + req.institution +
                                                             "', not to '" + parts_.config.party + "'");
    }
}

void ExtractionService::admitOnce(const ExtractionRequest& req, const RequestContext& ctx) {
    const auto now = clock_.now();
    const auto window = std::chrono::seconds(parts_.config.http.requestMaxAgeSeconds);
    // Kept at least a day, so raising request_max_age_seconds (at most an hour) never
    // makes a forgotten request acceptable again.
    requests_.forgetReceivedBefore(
        formatUtc(now - std::max<std::chrono::seconds>(2 * window, std::chrono::hours(24))));
    store::ExtractionRequestRow row{req.requestId, req.nonce,    req.requester,  req.purpose, req.exitFrom,
                                    req.exitTo,    req.issuedAt, formatUtc(now), "admitted",  ""};
    if (!requests_.admit(row)) {
        ctx.deny(
            transport::WireError::ReplayedRequest,
            "this request id or nonce was already received: a request is served once; send a new request");
    }
}

const config::JobSettings& ExtractionService::jobFor(const ExtractionRequest& req,
                                                     const RequestContext& ctx) const {
    std::vector<const config::JobSettings*> matching;
    for (const auto& [name, job] : parts_.config.jobs) {
        if (job.purpose == req.purpose && job.recipient == req.requester) matching.push_back(&job);
    }
    if (matching.empty()) {
        ctx.deny(transport::WireError::NoJob, "no job of '" + parts_.config.party + "' sends purpose '" +
                                                  req.purpose + "' to '" + req.requester + "'");
    }
    if (matching.size() > 1) {
        // Running only one of them could leave part of the cohort out without anyone noticing.
        ctx.deny(transport::WireError::AmbiguousJob, "jobs '" + matching[0]->name + "' and '" +
                                                         matching[1]->name + "' both send purpose '" +
                                                         req.purpose + "' to '" + req.requester +
                                                         "': the institution must keep one for extractions");
    }
    return *matching.front();
}

void ExtractionService::checkWindow(const ExtractionRequest& req, const RequestContext& ctx) const {
    for (const auto& [key, value] :
         {std::pair{"exit_from", &req.exitFrom}, std::pair{"exit_to", &req.exitTo}}) {
        if (!isIsoDate(*value)) {
            ctx.deny(transport::WireError::InvalidFilter,
                     std::string("key '") + key + "' is not a calendar date written yyyy-mm-dd");
        }
    }
    if (req.exitFrom > req.exitTo) {  // ISO dates compare as text
        ctx.deny(transport::WireError::InvalidFilter,
                 "exit_from " + req.exitFrom + " is after exit_to " + req.exitTo);
    }
}

void ExtractionService::checkFreshness(const ExtractionRequest& req, const RequestContext& ctx) const {
    const auto issued = parseUtc(req.issuedAt);  // checked by parse
    const auto skew = std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - *issued).count();
    const auto maxAge = static_cast<long long>(parts_.config.http.requestMaxAgeSeconds);
    if (skew > maxAge || -skew > maxAge) {
        ctx.deny(transport::WireError::RequestExpired,
                 "issued_at " + req.issuedAt + " is " + std::to_string(skew > 0 ? skew : -skew) + " s " +
                     (skew > 0 ? "in the past" : "in the future") + " by this gateway's clock " +
                     formatUtc(clock_.now()) + "; at most " + std::to_string(maxAge) +
                     " s are accepted (http.request_max_age_seconds): send a new request, and check both "
                     "clocks (NTP)");
    }
}

void ExtractionService::serve(const ExtractionRequest& req, const config::JobSettings& job,
                              const transport::PeerIdentity& peer, Poco::Net::HTTPServerResponse& response) {
    const RequestContext ctx{parts_.config, parts_.ledger, peer, req.purpose, req.requestId};
    parts_.ledger.append(ctx.entry(ledger::Outcome::Served,
                                   "exit dates " + req.exitFrom + " to " + req.exitTo + ", job " + job.name));

    PreparedBatch prepared;
    auto fail = [&](transport::WireError code, const std::string& message, const Error& e) {
        log().error("extraction request %s from %s: job %s failed: %s", req.requestId, peer.commonName,
                    job.name, std::string(e.what()));
        parts_.ledger.append(ctx.entry(ledger::Outcome::Failed, "job " + job.name + ": " + e.what()));
        requests_.recordOutcome(req.requestId, "failed", "");
        // The details stay here (log, ledger): they name the institution's own files.
        throw transport::HttpError(code, message + "; the institution's gateway log says why");
    };
    try {
        BatchPreparer preparer(parts_);
        PrepareOptions options;
        options.exitFrom = req.exitFrom;
        options.exitTo = req.exitTo;
        options.reason = "extraction request " + req.requestId + " from " + peer.commonName;
        options.useCursor = false;  // the whole cohort; the job's schedule keeps its own cursor
        prepared = preparer.prepare(job.name, peer.subject, options);
    } catch (const PluginError& e) {
        fail(transport::WireError::SourceUnavailable, "job '" + job.name + "' could not read its source", e);
    } catch (const ConfigError& e) {
        fail(transport::WireError::JobMisconfigured, "job '" + job.name + "' is misconfigured", e);
    } catch (const Error& e) {
        fail(transport::WireError::ExtractionFailed, "job '" + job.name + "' could not prepare the batch", e);
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
