#include "receive/extraction_requester.h"

#include "common/errors.h"
#include "transport/exchange_client.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <thread>

namespace passerelle::exchange {

namespace {

using namespace std::chrono_literals;

// The institution prepares the batch before it answers: a large export takes a while.
constexpr auto kAnswerTimeout = 300s;
constexpr auto kPollEvery = 500ms;

// The peer this Region may ask: configured, reachable, and sending a purpose we accept from it.
const config::PeerSettings& institutionPeer(const config::GatewayConfig& config,
                                            const std::string& institution, const std::string& purpose) {
    const std::string file = config.file.string();
    if (config.role != config::Role::Region) {
        throw ConfigError(file +
                          ": key 'gateway.role': extraction requests are sent by the Region's gateway; " +
                          "this one is an institution's");
    }
    const auto it = config.peers.find(institution);
    if (it == config.peers.end()) {
        throw ConfigError(file + ": no [peer." + institution + "] section: '" + institution +
                          "' is not an institution this gateway exchanges with");
    }
    const config::PeerSettings& peer = it->second;
    if (peer.url.empty()) {
        throw ConfigError(file + ": key 'peer." + institution + ".url' is not set: the address of " +
                          institution +
                          "'s exchange listener (its gateway.listen) is needed to send it a request");
    }
    config.purpose(purpose);  // ConfigError naming the purpose when unknown
    const auto& accepted = peer.acceptPurposes;
    if (std::find(accepted.begin(), accepted.end(), purpose) == accepted.end()) {
        throw ConfigError(file + ": key 'peer." + institution + ".accept_purposes' does not list '" +
                          purpose + "': this gateway would refuse the batch it asks for");
    }
    return peer;
}

// The institution's refusal: {"error": code, "message": text}, or whatever it sent.
std::pair<std::string, std::string> errorOf(const transport::HttpResult& result) {
    try {
        const auto o = Poco::JSON::Parser().parse(result.body).extract<Poco::JSON::Object::Ptr>();
        if (o && o->has("error"))
            return {o->optValue<std::string>("error", ""), o->optValue<std::string>("message", "")};
    } catch (const Poco::Exception&) {
        // not the exchange API's JSON: said below
    }
    return {"unexpected_answer",
            "HTTP " + std::to_string(result.status) + " without the exchange API's JSON error"};
}

ExtractionOutcome send(const config::GatewayConfig& config, const config::PeerSettings& peer,
             const exchange::SignedExtractionRequest& signedRequest, const std::string& requestId) {
    ExtractionOutcome outcome;
    transport::HttpResult result;
    const std::string body = signedRequest.body();
    try {
        const transport::ExchangeClient client(config.tls, peer.url, peer.certificateSha256, kAnswerTimeout);
        result = client.post("/v1/extractions", "application/json", body.size(),
                             [&body](std::ostream& out) { out << body; });
    } catch (const TransportError& e) {
        outcome.status = ledger::Outcome::Failed;
        outcome.errorCode = "not_delivered";
        outcome.message = "the request did not reach " + peer.party + " at " + peer.url + ": " + e.what();
        return outcome;
    }
    outcome.httpStatus = result.status;
    if (result.status == 202) {
        try {
            outcome.answer = exchange::ExtractionAnswer::parse(result.body);
        } catch (const exchange::ExtractionRequestError& e) {
            outcome.status = ledger::Outcome::Failed;
            outcome.errorCode = "unexpected_answer";
            outcome.message = std::string("the institution's answer could not be read: ") + e.what();
            return outcome;
        }
        if (outcome.answer->requestId != requestId) {
            outcome.status = ledger::Outcome::Failed;
            outcome.errorCode = "unexpected_answer";
            outcome.message =
                "the institution answered for request " + outcome.answer->requestId + ", not " + requestId;
            outcome.answer.reset();
            return outcome;
        }
        outcome.status = ledger::Outcome::Sent;
        return outcome;
    }
    std::tie(outcome.errorCode, outcome.message) = errorOf(result);
    outcome.status = result.status >= 500 ? ledger::Outcome::Failed : ledger::Outcome::Refused;
    return outcome;
}

}  // namespace

SentExtraction requestExtraction(Gateway& gateway, const std::string& institution, const std::string& purposeId,
                                 const std::string& exitFrom, const std::string& exitTo) {
    const config::GatewayConfig& config = gateway.config();
    const config::PeerSettings& peer = institutionPeer(config, institution, purposeId);
    const config::PurposeSettings& purpose = config.purpose(purposeId);

    const auto request = ExtractionRequest::fresh(config.party, institution, purposeId, exitFrom,
                                                            exitTo, gateway.keys().publicKeys().sign.id(),
                                                            std::chrono::system_clock::now());
    ExtractionOutcome outcome =
        send(config, peer, signExtractionRequest(request, gateway.keys()), request.requestId);

    ledger::LedgerEntry entry = ledger::LedgerEntry::of(
        ledger::Operation::ExtractionRequested, outcome.status, "operator",
        "request " + request.requestId + ": exit dates " + exitFrom + " to " + exitTo + "; ");
    entry.purpose = purposeId;
    entry.legalBasis = purpose.legalBasis;
    entry.counterpart = institution;
    if (outcome.answer) {
        entry.batchId = outcome.answer->batchId.value_or("");
        entry.recordCount = outcome.answer->records;
        entry.reason +=
            outcome.answer->batchId ? "served, batch queued at the institution" : "served, no record matched";
    } else {
        entry.reason += (outcome.httpStatus ? "HTTP " + std::to_string(outcome.httpStatus) + " " : "") +
                        outcome.errorCode + ": " + outcome.message.substr(0, 500);
    }
    gateway.ledger().append(entry);

    return {request, std::move(outcome)};
}

void waitForBatch(Gateway& gateway, const std::string& batchId, std::chrono::seconds timeout,
                  ExtractionOutcome& outcome, const std::function<void(std::chrono::seconds)>& waiting) {
    const auto start = std::chrono::steady_clock::now();
    while (!(outcome.arrived = gateway.store().inbox().inboxBatch(batchId))) {
        const auto waited =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
        if (waited >= timeout) {
            outcome.waitedInVain = true;
            break;
        }
        waiting(waited);
        std::this_thread::sleep_for(kPollEvery);
    }
}

}  // namespace passerelle::exchange
