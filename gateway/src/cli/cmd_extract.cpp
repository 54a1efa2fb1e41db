// passerelle extract: the Region asks an institution for a cohort (docs/extraction.md).

#include <Poco/JSON/Object.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "common/errors.h"
#include "party/gateway.h"
#include "record/field_syntax.h"
#include "receive/extraction_requester.h"

namespace passerelle::cli {

namespace {

std::string isoDateOption(const ParsedOptions& options, const std::string& name) {
    const std::string value = options.value(name);
    record::ShortValue iso;
    switch (record::parseDate(record::trimmed(value), iso)) {
        case record::DateProblem::None:
            return std::string(iso.view());
        case record::DateProblem::NotACalendarDate:
            throw UsageError("--" + name + " '" + value + "' is not a calendar date");
        case record::DateProblem::YearOutOfRange:
            throw UsageError("--" + name + " '" + value + "': the year must be between " +
                             std::to_string(record::kMinYear) + " and " + std::to_string(record::kMaxYear));
        case record::DateProblem::Syntax:
            break;
    }
    throw UsageError("--" + name + " '" + value + "' is not a date: expected yyyy-mm-dd or dd/mm/yyyy");
}

std::chrono::seconds timeoutOption(const ParsedOptions& options) {
    const std::string value = options.optional("timeout").value_or("600");
    try {
        std::size_t used = 0;
        const long seconds = std::stol(value, &used);
        if (used == value.size() && seconds >= 1) return std::chrono::seconds(seconds);
    } catch (const std::exception&) {
        // refused below
    }
    throw UsageError("--timeout expects a number of seconds, at least 1");
}

// "  label          " in one column, so the figures line up.
std::string label(std::string text) {
    text.resize(16, ' ');
    return "  " + text;
}

void printText(const exchange::ExtractionRequest& request, const exchange::ExtractionOutcome& o,
               std::chrono::seconds timeout) {
    std::cout << "extraction request " << request.requestId << " to " << request.institution << ": purpose "
              << request.purpose << ", exit dates " << request.exitFrom << " to " << request.exitTo << "\n";
    if (!o.answer) return;  // the error goes to stderr
    const exchange::ExtractionAnswer& a = *o.answer;
    std::cout << label("records") << a.records;
    if (a.batchId) std::cout << "   batch " << *a.batchId;
    std::cout << "\n"
              << label("outside window") << a.outsideFilter << "\n"
              << label("quarantined") << a.quarantined
              << "   (rows refused by validation, reported at the institution)\n";
    if (a.objected > 0) {
        std::cout << label("objected") << a.objected << "   (withheld: objection, GDPR art. 21)\n";
    }
    if (!a.batchId) {
        std::cout << "  no record matched the window: nothing will arrive\n";
    } else if (o.arrived) {
        std::cout << label("arrived") << o.arrived->receivedAt << ", " << o.arrived->recordCount
                  << " record(s); "
                  << (o.arrived->status == store::InboxStatus::Delivered
                          ? "handed to the sink"
                          : "not yet handed to the sink (the running gateway does it)")
                  << "\n";
    } else if (o.waitedInVain) {
        std::cout << label("arrived") << "not yet, after " << timeout.count() << " s\n";
    } else {
        std::cout << "  the batch is in " << request.institution << "'s outbox, on its way\n";
    }
}

void printJson(const exchange::ExtractionRequest& request, const exchange::ExtractionOutcome& o) {
    Poco::JSON::Object j(Poco::JSON_PRESERVE_KEY_ORDER);
    j.set("request_id", request.requestId);
    j.set("institution", request.institution);
    j.set("purpose", request.purpose);
    j.set("exit_from", request.exitFrom);
    j.set("exit_to", request.exitTo);
    j.set("outcome", std::string(ledger::toText(o.status)));
    j.set("http_status", o.httpStatus);
    const auto batchId = o.answer ? o.answer->batchId : std::nullopt;
    j.set("batch_id", batchId ? Poco::Dynamic::Var(*batchId) : Poco::Dynamic::Var());
    j.set("records", o.answer ? o.answer->records : 0);
    j.set("quarantined", o.answer ? o.answer->quarantined : 0);
    j.set("objected", o.answer ? o.answer->objected : 0);
    j.set("outside_filter", o.answer ? o.answer->outsideFilter : 0);
    j.set("arrived", o.arrived.has_value());
    j.set("handed_to_sink", o.arrived && o.arrived->status == store::InboxStatus::Delivered);
    j.set("error", o.errorCode);
    j.set("message", o.message);
    j.stringify(std::cout);
    std::cout << std::endl;
}

int extract(const ParsedOptions& options) {
    const std::string exitFrom = isoDateOption(options, "exit-from");
    const std::string exitTo = isoDateOption(options, "exit-to");
    if (exitFrom > exitTo) throw UsageError("--exit-from " + exitFrom + " is after --exit-to " + exitTo);
    const std::chrono::seconds timeout = timeoutOption(options);
    const std::string institution = options.value("institution");
    const std::string purposeId = options.value("purpose");

    auto gateway = exchange::Gateway::open(options.value("config"));
    auto [request, outcome] = exchange::requestExtraction(*gateway, institution, purposeId, exitFrom, exitTo);

    if (outcome.answer && outcome.answer->batchId && options.has("wait")) {
        const bool tty = isatty(STDERR_FILENO) != 0;
        const std::string batchId = *outcome.answer->batchId;
        const auto progress = [tty, &batchId](std::chrono::seconds waited) {
            if (tty) std::cerr << "\r  waiting for batch " << batchId << ": " << waited.count() << " s" << std::flush;
        };
        exchange::waitForBatch(*gateway, batchId, timeout, outcome, progress);
        if (tty) std::cerr << "\r\033[K" << std::flush;
    }
    if (options.has("json")) {
        printJson(request, outcome);
    } else {
        printText(request, outcome, timeout);
    }
    if (!outcome.answer) {
        std::cerr << "passerelle extract: " << institution << " did not serve request " << request.requestId
                  << " (" << (outcome.httpStatus ? "HTTP " + std::to_string(outcome.httpStatus) + " " : "")
                  << outcome.errorCode << "): " << outcome.message << "\n";
        return kExitFailed;
    }
    if (outcome.waitedInVain) {
        std::cerr
            << "passerelle extract: batch " << *outcome.answer->batchId << " has not arrived after "
            << timeout.count() << " s: it is still in " << institution
            << "'s outbox and will arrive when its gateway delivers it (watch for it with 'passerelle audit "
               "list --operation batch-received')\n";
        return kExitFailed;
    }
    return kExitOk;
}

}  // namespace

Command extractCommand() {
    CommandSpec spec;
    spec.name = "extract";
    spec.summary = "region: ask an institution for the trainees who left in a date window (signed request)";
    spec.usage =
        "passerelle extract --config FILE --institution ID --purpose ID --exit-from DATE --exit-to DATE\n"
        "                          [--wait [--timeout SECONDS]] [--json]";
    spec.options = {
        configOption(),
        {"institution", true, "the institution to ask: a [peer.ID] with a url", "ID"},
        {"purpose", true, "the purpose of the extraction (in that peer's accept_purposes)", "ID"},
        {"exit-from", true, "first exit date of the cohort, inclusive (yyyy-mm-dd or dd/mm/yyyy)", "DATE"},
        {"exit-to", true, "last exit date of the cohort, inclusive (yyyy-mm-dd or dd/mm/yyyy)", "DATE"},
        {"wait", false, "return once the batch has arrived in this gateway's inbox"},
        {"timeout", true, "with --wait: give up waiting after this long (default 600)", "SECONDS"},
        {"json", false, "print the outcome as one JSON object"}};
    spec.details =
        "The request is signed with this gateway's Ed25519 key and sent over mutual TLS to the\n"
        "institution's gateway, which checks the certificate, the signature, that the purpose is in its\n"
        "peer.<region>.extract_purposes, and that the request is fresh and new; it records the request\n"
        "in its ledger, seals the cohort into its outbox and delivers it like any batch, to the\n"
        "running 'passerelle run' of this gateway. Both ledgers get an extraction-requested entry.\n"
        "Exit 0 when served (and, with --wait, arrived); 1 when refused, unreachable or not arrived\n"
        "in time (the batch then still arrives later). See docs/extraction.md.";
    return {spec, extract};
}

}  // namespace passerelle::cli
