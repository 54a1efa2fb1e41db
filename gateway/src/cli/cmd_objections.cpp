// passerelle objections add / remove / list: a trainee's objection (GDPR art. 21)
// to one purpose, stored as the trainee's pseudonym in that purpose's domain and
// honoured by every later batch of the purpose. An objection recorded before a
// pseudonym key rotation carries the older epoch's pseudonym: it is still honoured
// (BatchPreparer recomputes that epoch) and `remove` finds it under every held epoch.

#include "audit/objections.h"
#include "cli/commands.h"
#include "common/errors.h"
#include "party/gateway.h"
#include "privacy/pseudonymiser.h"

#include <iostream>

namespace passerelle::cli {

namespace {

std::unique_ptr<exchange::Gateway> openInstitution(const ParsedOptions& options, const std::string& command) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    if (gateway->config().role != config::Role::Institution) {
        throw ConfigError(gateway->config().file.string() + ": key 'gateway.role': " + command +
                          " runs on an institution's gateway, which holds the trainees' records");
    }
    return gateway;
}

exchange::TraineeLookup lookupFrom(const ParsedOptions& options) {
    const auto localId = options.optional("local-id");
    const auto ine = options.optional("ine");
    if (localId.has_value() == ine.has_value()) {
        throw UsageError("give exactly one of --local-id and --ine");
    }
    return localId ? exchange::TraineeLookup::localId(*localId) : exchange::TraineeLookup::ine(*ine);
}

// The job whose export re-identifies the trainee: --job, or the only job of the purpose.
const config::JobSettings& jobFor(const config::GatewayConfig& config, const std::string& purpose,
                                  const std::optional<std::string>& jobName) {
    if (jobName) {
        const config::JobSettings& job = config.job(*jobName);
        if (job.purpose != purpose) {
            throw UsageError("job '" + *jobName + "' is for purpose '" + job.purpose + "', not '" + purpose + "'");
        }
        return job;
    }
    std::vector<const config::JobSettings*> candidates;
    for (const auto& [name, job] : config.jobs) {
        if (job.purpose == purpose) candidates.push_back(&job);
    }
    if (candidates.empty()) {
        throw ConfigError(config.file.string() + ": no job uses purpose '" + purpose +
                          "': an objection is computed from that job's export");
    }
    if (candidates.size() > 1) {
        std::string names;
        for (const auto* job : candidates) names += (names.empty() ? "" : ", ") + job->name;
        throw UsageError("several jobs use purpose '" + purpose + "' (" + names + "): choose one with --job");
    }
    return *candidates.front();
}

std::string shortPseudonym(const std::string& pseudonym) { return pseudonym.substr(0, 16) + "..."; }

int change(const ParsedOptions& options, bool add) {
    const std::string command = add ? "objections add" : "objections remove";
    auto gateway = openInstitution(options, command);
    const exchange::TraineeLookup lookup = lookupFrom(options);
    const config::PurposeSettings& purpose = gateway->config().purpose(options.value("purpose"));
    const config::JobSettings& job = jobFor(gateway->config(), purpose.id, options.optional("job"));
    const exchange::ObjectionChange result = exchange::changeObjection(*gateway, purpose, job, lookup, add);
    if (!result.changed) {
        std::cout << (add ? "objection already recorded" : "no objection recorded") << ": purpose " << purpose.id
                  << ", pseudonym " << shortPseudonym(result.pseudonym) << " (nothing changed)\n";
        if (result.olderEpoch) {
            std::cout << "  recorded under an older pseudonym key epoch: honoured, and moved to the\n"
                         "  current epoch by the next batch of the purpose that meets the trainee\n";
        }
        return kExitOk;
    }
    std::cout << (add ? "objection recorded" : "objection removed") << ": purpose " << purpose.id << ", pseudonym "
              << shortPseudonym(result.pseudonym) << " (ledger entry " << result.ledgerIndex << ")\n"
              << (add ? "  every later batch of this purpose leaves the trainee out\n"
                      : "  later batches of this purpose carry the trainee again\n");
    return kExitOk;
}

std::vector<OptionSpec> changeOptions() {
    return {configOption(),
            {"local-id", true, "the trainee's number in the institution's system", "ID"},
            {"ine", true, "the trainee's national student id (instead of --local-id)", "INE"},
            {"purpose", true, "the purpose objected to ([purpose.ID] in the configuration)", "ID"},
            {"job", true, "the job whose export holds the trainee (default: the purpose's only job)", "NAME"}};
}

constexpr const char* kChangeDetails =
    "The trainee is looked up in the job's export, read through its source plugin like a\n"
    "transfer, and the objection is stored as their pseudonym in the purpose's domain: no id,\n"
    "no name. Each change is written to the ledger (operation objection-added/-removed), without\n"
    "any identifier. After a pseudonym key rotation, an objection recorded under an older epoch\n"
    "still holds (add says it is already recorded) and remove withdraws it under every epoch\n"
    "whose key is held. See docs/privacy.md.";

}  // namespace

Command objectionsAddCommand() {
    CommandSpec spec;
    spec.name = "objections add";
    spec.summary = "record a trainee's objection (GDPR art. 21) to a purpose; later batches leave them out";
    spec.usage = "passerelle objections add --config FILE (--local-id ID | --ine INE) --purpose ID [--job NAME]";
    spec.options = changeOptions();
    spec.details = kChangeDetails;
    return {spec, [](const ParsedOptions& options) { return change(options, true); }};
}

Command objectionsRemoveCommand() {
    CommandSpec spec;
    spec.name = "objections remove";
    spec.summary = "withdraw a trainee's objection to a purpose";
    spec.usage = "passerelle objections remove --config FILE (--local-id ID | --ine INE) --purpose ID [--job NAME]";
    spec.options = changeOptions();
    spec.details = kChangeDetails;
    return {spec, [](const ParsedOptions& options) { return change(options, false); }};
}

Command objectionsListCommand() {
    CommandSpec spec;
    spec.name = "objections list";
    spec.summary = "list the recorded objections (purpose, pseudonym, date; never an identity)";
    spec.usage = "passerelle objections list --config FILE [--purpose ID]";
    spec.options = {configOption(), {"purpose", true, "only this purpose's objections", "ID"}};
    return {spec, [](const ParsedOptions& options) {
                auto gateway = openInstitution(options, "objections list");
                const auto purpose = options.optional("purpose");
                if (purpose) gateway->config().purpose(*purpose);  // an unknown purpose is an error, not "none"
                const auto objections = gateway->store().objections().all(purpose);
                const std::uint32_t epoch = gateway->keys().pseudonymEpoch();
                std::cout << objections.size() << " objection(s)\n";
                std::size_t older = 0;
                for (const auto& o : objections) {
                    std::string name = "  " + o.purpose;
                    if (name.size() < 26) name.resize(26, ' ');
                    std::cout << name << " " << shortPseudonym(o.pseudonym) << "  " << o.createdAt << "\n";
                    older += privacy::pseudonymEpochOf(o.pseudonym) != epoch ? 1 : 0;
                }
                if (older > 0) {
                    std::cout << older << " of them under an older pseudonym key epoch than the current "
                              << epoch << ": honoured with the retired key, and moved to epoch " << epoch
                              << " by the next batch that meets the trainee\n";
                }
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
