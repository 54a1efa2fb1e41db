#pragma once
// The Region asks an institution for a cohort (docs/extraction.md): a request
// signed with the Region's key, sent over mutual TLS to the institution's
// extraction listener, its answer checked, and an extraction-requested entry
// in the Region's ledger whatever the outcome.

#include "exchange/extraction_request.h"
#include "party/gateway.h"
#include "store/state_store.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace passerelle::exchange {

struct ExtractionOutcome {
    // Sent, Refused or Failed: the ledger entry's outcome, printed as its text.
    ledger::Outcome status = ledger::Outcome::Failed;
    int httpStatus = 0;
    std::optional<ExtractionAnswer> answer;
    std::string errorCode;
    std::string message;
    std::optional<store::InboxBatch> arrived;  // once waited for
    bool waitedInVain = false;
};

struct SentExtraction {
    ExtractionRequest request;
    ExtractionOutcome outcome;
};

// Checks that `institution` is a peer this Region may ask for `purpose` (ConfigError
// naming the key otherwise), signs and sends the request, and ledgers the outcome.
// Refusals and transport failures are outcomes, not exceptions.
SentExtraction requestExtraction(Gateway& gateway, const std::string& institution, const std::string& purpose,
                                 const std::string& exitFrom, const std::string& exitTo);

// Until the answered batch is in this gateway's inbox (the running `passerelle run`
// stores it) or `timeout` passed; `waiting` is told the seconds waited so far.
void waitForBatch(Gateway& gateway, const std::string& batchId, std::chrono::seconds timeout,
                  ExtractionOutcome& outcome, const std::function<void(std::chrono::seconds)>& waiting);

}  // namespace passerelle::exchange
