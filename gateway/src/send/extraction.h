#pragma once
// Region-initiated extraction (docs/extraction.md): the Region signs a
// request for one purpose and an exit-date window; the institution's gateway checks
// it, records it in its ledger (served or denied, with the reason), runs the job's
// source with the filter and queues the batch in its outbox.

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/errors.h"
#include "exchange/extraction_request.h"
#include "exchange/signed_json.h"
#include "privacy/party_keys.h"
#include "send/sending_parts.h"
#include "store/extraction_requests.h"
#include "transport/admission.h"
#include "transport/tls_context.h"

namespace passerelle::exchange {

// The institution's side of POST /v1/extractions.
class ExtractionService {
public:
    // Runs the job's BatchPreparer on `parts`; `requests` remembers the requests
    // received (replays are refused). onQueued: called after a batch entered the
    // outbox, to wake the delivery workers.
    ExtractionService(SendingParts parts, store::ExtractionRequests requests, std::function<void()> onQueued);
    ExtractionService(SendingParts parts, store::ExtractionRequests requests, std::function<void()> onQueued,
                      const Clock& clock);

    // Answers 202 with an ExtractionAnswer, or throws transport::HttpError after
    // recording the denial in the ledger.
    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                const transport::PeerIdentity& peer);

private:
    struct RequestContext;
    // The body, once its size is known to fit (http.max_request_bytes).
    std::string readBody(Poco::Net::HTTPServerRequest& request, transport::BodyCheck size,
                         const RequestContext& context) const;
    // Signed by the peer of the certificate, naming it as requester and us as institution.
    void checkSigned(const ExtractionRequest& request, const SignedExtractionRequest& envelope,
                     const RequestContext& context) const;
    const config::JobSettings& jobFor(const ExtractionRequest& request, const RequestContext& context) const;
    void checkWindow(const ExtractionRequest& request, const RequestContext& context) const;
    void checkFreshness(const ExtractionRequest& request, const RequestContext& context) const;
    // Records the request as admitted unless its id or nonce was seen before.
    void admitOnce(const ExtractionRequest& request, const RequestContext& context);
    void serve(const ExtractionRequest& request, const config::JobSettings& job,
               const transport::PeerIdentity& peer, Poco::Net::HTTPServerResponse& response);

    SendingParts parts_;
    std::function<void()> onQueued_;
    const Clock& clock_;
    store::ExtractionRequests requests_;
};

}  // namespace passerelle::exchange
