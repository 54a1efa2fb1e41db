// passerelle subject: a trainee's access request (GDPR art. 15). Re-identifies
// the trainee from this institution's own exports, prints their pseudonym in
// every domain and every batch that carried them.

#include "audit/subject_access.h"
#include "cli/commands.h"
#include "common/errors.h"
#include "party/gateway.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

namespace passerelle::cli {

namespace {

void printJson(const exchange::SubjectAccessReport& report) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Array jobs;
    for (const auto& j : report.jobsWithTrainee) jobs.add(j);
    Poco::JSON::Array pseudonyms;
    for (const auto& p : report.pseudonyms) {
        Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
        Poco::JSON::Array purposes;
        for (const auto& id : p.purposes) purposes.add(id);
        item.set("domain", p.domain);
        item.set("purposes", purposes);
        item.set("epoch", p.epoch);
        item.set("pseudonym", p.pseudonym);
        Poco::JSON::Array fromJobs;
        for (const auto& j : p.jobs) fromJobs.add(j);
        item.set("jobs", fromJobs);
        pseudonyms.add(item);
    }
    Poco::JSON::Array batches;
    for (const auto& b : report.batches) {
        Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
        item.set("batch_id", b.batchId);
        item.set("purpose", b.purpose);
        item.set("recipient", b.recipient);
        item.set("created_at", b.createdAt);
        item.set("status", b.status);
        item.set("receipted_at", b.receiptedAt);
        batches.add(item);
    }
    o.set("jobs", jobs);
    o.set("pseudonyms", pseudonyms);
    o.set("batches", batches);
    o.stringify(std::cout);
    std::cout << std::endl;
}

void printText(const exchange::SubjectAccessReport& report) {
    std::cout << "found in the export of job(s):";
    for (const auto& j : report.jobsWithTrainee) std::cout << " " << j;
    std::cout
        << "\npseudonyms (per domain, per pseudonym key epoch held, and per identity when the jobs' exports "
           "give different ones):\n";
    for (const auto& p : report.pseudonyms) {
        std::string domain = "  " + p.domain;
        if (domain.size() < 22) domain.resize(22, ' ');
        std::cout << domain << " " << p.pseudonym << "  (key epoch " << p.epoch << "; purposes:";
        for (const auto& id : p.purposes) std::cout << " " << id;
        std::cout << "; from job(s):";
        for (const auto& j : p.jobs) std::cout << " " << j;
        std::cout << ")\n";
    }
    std::cout << "batches that carried the trainee: " << report.batches.size() << "\n";
    for (const auto& b : report.batches) {
        std::cout << "  " << b.batchId << "  " << b.purpose << "  " << b.createdAt << "  to " << b.recipient << "  "
                  << b.status;
        if (!b.receiptedAt.empty()) std::cout << " " << b.receiptedAt;
        std::cout << "\n";
    }
}

int subject(const ParsedOptions& options) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    if (gateway->config().role != config::Role::Institution) {
        throw ConfigError(gateway->config().file.string() +
                          ": key 'gateway.role': access requests are answered by the institution's gateway, "
                          "which holds the trainees' records");
    }
    const auto localId = options.optional("local-id");
    const auto ine = options.optional("ine");
    if (localId.has_value() == ine.has_value()) {
        throw UsageError("give exactly one of --local-id and --ine");
    }
    const auto lookup = localId ? exchange::TraineeLookup::localId(*localId) : exchange::TraineeLookup::ine(*ine);
    const exchange::SubjectAccessReport report = exchange::lookUpSubject(*gateway, lookup, "operator");

    if (options.has("json")) {
        printJson(report);
    } else {
        printText(report);
    }
    return kExitOk;
}

}  // namespace

Command subjectCommand() {
    CommandSpec spec;
    spec.name = "subject";
    spec.summary = "answer an access request (GDPR art. 15): a trainee's pseudonyms and the batches that carried them";
    spec.usage = "passerelle subject --config FILE (--local-id ID | --ine INE) [--json]";
    spec.options = {configOption(),
                    {"local-id", true, "the trainee's number in the institution's system", "ID"},
                    {"ine", true, "the trainee's national student id (instead of --local-id)", "INE"},
                    {"json", false, "print the answer as one JSON object"}};
    spec.details =
        "Only the institution can do this: it re-identifies the trainee from its own exports and\n"
        "its own pseudonym keys: the current one and the retired ones kept by keys rotate --pseudonym,\n"
        "so batches sealed before a rotation are found too. Batches are found through the pseudonyms\n"
        "recorded when each batch was sealed (state/carried/); no table maps a pseudonym to a person.\n"
        "Each look-up is written to the ledger (operation subject-lookup), without any identifier.";
    return {spec, subject};
}

}  // namespace passerelle::cli
