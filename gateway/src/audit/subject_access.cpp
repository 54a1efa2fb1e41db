#include "audit/subject_access.h"

#include "store/carried_pseudonyms.h"

#include "privacy/pseudonymiser.h"
#include "record/identity.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace passerelle::exchange {

namespace {

std::string notFoundMessage(const TraineeLookup& lookup, const std::string& where) {
    return "no valid record with " + lookup.describe() + " in " + where +
           " (check the number; a row refused by validation is never sent, see the quarantine reports)";
}

}  // namespace

std::vector<std::string> pseudonymsFor(const Gateway& gateway, const config::PurposeSettings& purpose,
                                       const record::TraineeRecord& record) {
    if (purpose.pseudonymDomain.empty()) {
        throw ConfigError(gateway.config().file.string() + ": key 'purpose." + purpose.id +
                          ".pseudonym_domain' is missing: objections and access requests need it");
    }
    const std::string identity = record::identityKey(record, gateway.config().uai);
    std::vector<std::string> pseudonyms;
    for (const std::uint32_t epoch : gateway.keys().pseudonymEpochs()) {
        pseudonyms.push_back(
            privacy::Pseudonymiser(gateway.keys(), purpose.pseudonymDomain, epoch).pseudonymOf(identity));
    }
    return pseudonyms;
}

std::vector<std::string> traineePseudonyms(const Gateway& gateway, const config::JobSettings& job,
                                           const TraineeLookup& lookup) {
    const auto record = findTrainee(gateway.config(), job, lookup);
    if (!record) {
        throw TraineeNotFound(notFoundMessage(lookup, "the export of job '" + job.name + "'"));
    }
    return pseudonymsFor(gateway, gateway.config().purpose(job.purpose), *record);
}

SubjectAccessReport lookUpSubject(Gateway& gateway, const TraineeLookup& lookup, const std::string& actor) {
    const config::GatewayConfig& config = gateway.config();
    SubjectAccessReport report;

    // Each distinct identity found, with the jobs whose record gave it.
    std::vector<std::pair<std::string, std::vector<std::string>>> identities;
    for (const auto& [name, job] : config.jobs) {
        const auto record = findTrainee(config, job, lookup);
        if (!record) continue;
        report.jobsWithTrainee.push_back(name);
        std::string identity = record::identityKey(*record, config.uai);
        auto it = std::find_if(identities.begin(), identities.end(), [&](const auto& i) { return i.first == identity; });
        if (it == identities.end()) {
            identities.emplace_back(std::move(identity), std::vector<std::string>{name});
        } else {
            it->second.push_back(name);
        }
    }

    ledger::LedgerEntry entry = ledger::LedgerEntry::of(ledger::Operation::SubjectLookup,
                                                        ledger::Outcome::NotFound, actor, "GDPR art. 15");
    if (identities.empty()) {
        gateway.ledger().append(entry);
        throw TraineeNotFound(notFoundMessage(lookup, "the exports of the configured jobs"));
    }

    std::map<std::string, std::vector<std::string>> purposesByDomain;
    for (const auto& [id, purpose] : config.purposes) {
        if (!purpose.pseudonymDomain.empty()) purposesByDomain[purpose.pseudonymDomain].push_back(id);
    }
    std::vector<std::string> pseudonyms;
    for (const auto& [domain, purposes] : purposesByDomain) {
        // Batches sealed before a pseudonym key rotation carried the older epochs' pseudonyms.
        for (const std::uint32_t epoch : gateway.keys().pseudonymEpochs()) {
            const privacy::Pseudonymiser pseudonymiser(gateway.keys(), domain, epoch);
            for (const auto& [identity, jobs] : identities) {
                pseudonyms.push_back(pseudonymiser.pseudonymOf(identity));
                report.pseudonyms.push_back({domain, purposes, epoch, pseudonyms.back(), jobs});
            }
        }
    }
    std::set<std::string> batchIds;
    for (std::string& id : store::batchesCarryingAny(gateway.carriedDir(), pseudonyms))
        batchIds.insert(std::move(id));
    for (const std::string& id : batchIds) {
        const auto batch = gateway.store().outbox().outboxBatch(id);
        if (!batch) continue;  // purged from the outbox
        report.batches.push_back({batch->batchId, batch->purpose, batch->recipient, batch->createdAt,
                                  batch->status == store::OutboxStatus::Receipted ? "receipted" : "pending",
                                  batch->receiptedAt});
    }
    std::sort(report.batches.begin(), report.batches.end(), [](const SubjectBatch& a, const SubjectBatch& b) {
        return std::tie(a.createdAt, a.batchId) < std::tie(b.createdAt, b.batchId);
    });

    entry.set(ledger::Operation::SubjectLookup, ledger::Outcome::Answered);
    entry.recordCount = report.batches.size();
    gateway.ledger().append(entry);
    return report;
}

}  // namespace passerelle::exchange
