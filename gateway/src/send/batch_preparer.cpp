#include "send/batch_preparer.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/file_lock.h"
#include "party/outbox_recovery.h"
#include "plugin/plugin_host.h"
#include "privacy/batch_writer.h"
#include "privacy/manifest.h"
#include "privacy/pseudonymiser.h"
#include "record/identity.h"
#include "record/record_validator.h"
#include "record/trainee_record.h"
#include "send/quarantine_report.h"
#include "send/source_records.h"
#include "store/carried_pseudonyms.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace passerelle::exchange {

namespace {

std::vector<std::string> fieldNames(const std::vector<record::Field>& fields) {
    std::vector<std::string> names;
    for (record::Field f : fields) names.emplace_back(record::nameOf(f));
    return names;
}

// Objections recorded before a pseudonym key rotation are pseudonyms of an older epoch
// ("<epoch>:<hex>"): one Pseudonymiser per such epoch, none in the common case. An epoch
// whose key is gone stops the batch: those trainees could no longer be recognised.
std::vector<std::unique_ptr<privacy::Pseudonymiser>> olderEpochPseudonymisers(
    const store::PseudonymSet& objections, const privacy::PartyKeys& keys,
    const config::GatewayConfig& config, const config::PurposeSettings& purpose) {
    std::map<std::uint32_t, std::uint64_t> objectionsByEpoch;
    for (const std::string& objection : objections) {
        const auto epoch = privacy::pseudonymEpochOf(objection);
        if (!epoch) {
            throw StoreError(
                "an objection to purpose '" + purpose.id +
                "' in the state store is not an \"<epoch>:<hex>\" pseudonym; the store was altered");
        }
        if (*epoch != keys.pseudonymEpoch()) ++objectionsByEpoch[*epoch];
    }
    std::vector<std::unique_ptr<privacy::Pseudonymiser>> older;
    for (const auto& [epoch, count] : objectionsByEpoch) {
        if (!keys.holdsPseudonymEpoch(epoch)) {
            const std::string e = std::to_string(epoch);
            throw KeyError(
                std::to_string(count) + " objection(s) to purpose '" + purpose.id +
                "' were recorded under pseudonym key epoch " + e + ", whose key " +
                (config.keysDir / privacy::KeyFolder::kPreviousPseudonymDir / (e + ".key")).string() +
                " is not held: those trainees cannot be recognised, so no batch of the purpose is "
                "prepared; restore that key from a backup of the key folder (docs/privacy.md)");
        }
        older.push_back(std::make_unique<privacy::Pseudonymiser>(keys, purpose.pseudonymDomain, epoch));
    }
    return older;
}

// 64 bits of BLAKE2b over values, each followed by a separator.
template <typename Values>
std::uint64_t digest64(const Values& values) {
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, sizeof(std::uint64_t));
    static const unsigned char separator = 0x1f;
    for (std::string_view v : values) {
        crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(v.data()), v.size());
        crypto_generichash_update(&state, &separator, 1);
    }
    std::uint64_t digest = 0;
    crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(&digest), sizeof digest);
    return digest;
}

// An incremental job's key for one record: the trainee (pseudonym, a keyed hash
// of the identity) and the course (entry date, RNCP code, title), so a trainee
// in two courses has two records, each followed on its own. Local only: the
// key never leaves the institution.
std::uint64_t cursorKey(std::string_view pseudonym, const record::TraineeRecord& record) {
    const std::string_view parts[] = {pseudonym, record.get(record::Field::entry_date),
                                      record.get(record::Field::rncp_code), record.get(record::Field::course_title)};
    return digest64(parts);
}

// The record as it leaves: a changed record has another digest.
std::uint64_t recordDigest(const std::vector<std::string_view>& values) { return digest64(values); }

}  // namespace

PreparedBatch BatchPreparer::prepare(const std::string& jobName, const std::string& actor,
                                     const PrepareOptions& options) {
    const std::string batchId = privacy::newBatchId();
    try {
        return prepareBatch(jobName, actor, batchId, options);
    } catch (...) {
        // A job that stops half-way leaves no half-written batch or report behind.
        std::error_code ec;
        std::filesystem::remove_all(parts_.folders.outbox / batchId, ec);
        std::filesystem::remove_all(sealingFolderOf(parts_.folders.outbox / batchId), ec);
        std::filesystem::remove(parts_.folders.quarantine / (batchId + ".csv"), ec);
        throw;
    }
}

namespace {

// What each record of one batch goes through after validation, in order: the
// exit-date window, its identity and pseudonym, objections (GDPR art. 21, under
// every held key epoch), minimisation to the purpose's fields, and, for an
// incremental job, whether it changed since the last batch.
struct RecordSieve {
    RecordSieve(const config::GatewayConfig& c, const config::PurposeSettings& p, const PrepareOptions& o)
        : config(c), purpose(p), options(o) {}

    const config::GatewayConfig& config;
    const config::PurposeSettings& purpose;
    const PrepareOptions& options;
    bool filtered = false;
    std::optional<privacy::Pseudonymiser> pseudonymiser;
    store::PseudonymSet objections;  // loaded once per batch; probed per record
    std::vector<std::unique_ptr<privacy::Pseudonymiser>> olderEpochs;
    bool incremental = false;
    std::vector<store::CursorEntry> previous;  // the job's cursor, sorted
    std::vector<store::CursorEntry> advanced;  // what this batch moves it to
    std::string identity;        // reused row to row, like the record
    std::string pseudonym;       // reused too: pseudonymOf writes into it without allocating
    std::string olderPseudonym;  // the same under an older epoch's key
    // (older, current) pseudonyms of the objections found under an older epoch.
    std::vector<std::pair<std::string, std::string>> toRekey;
    std::vector<std::string_view> values;  // the record's purpose fields, once kept

    // Loads what each record is checked against: the pseudonym keys (the current
    // epoch's and older ones objections still name), the purpose's objections and,
    // for an incremental job, its cursor.
    void load(const SendingParts& parts, const config::JobSettings& job, const std::string& jobName) {
        filtered = !options.exitFrom.empty() || !options.exitTo.empty();
        const bool wantsPseudonym = std::find(purpose.fields.begin(), purpose.fields.end(),
                                              record::Field::pseudonym) != purpose.fields.end();
        // Computed even when the batch does not carry it: objections are kept, and
        // access requests answered, by pseudonym (docs/privacy.md).
        if (wantsPseudonym || !purpose.pseudonymDomain.empty()) {
            pseudonymiser.emplace(parts.keys, purpose.pseudonymDomain);
        }
        objections = parts.objections.objectionSet(purpose.id);
        if (pseudonymiser) olderEpochs = olderEpochPseudonymisers(objections, parts.keys, config, purpose);
        // An incremental job sends only records new or changed since its last batch.
        incremental = job.incremental && options.useCursor;
        if (incremental) previous = parts.jobs.cursor(jobName);
        values.resize(purpose.fields.size());
    }

    bool objected() {
        if (objections.contains(pseudonym)) return true;
        for (const auto& older : olderEpochs) {
            older->pseudonymOf(identity, olderPseudonym);
            if (objections.contains(olderPseudonym)) {
                toRekey.emplace_back(olderPseudonym, pseudonym);
                return true;
            }
        }
        return false;
    }

    // True when the record goes into the batch, its purpose fields then in `values`;
    // otherwise it is counted in `result` (and quarantined when it cannot be pseudonymised).
    bool keep(const record::TraineeRecord& record, PreparedBatch& result, QuarantineReport& quarantine) {
        if (filtered) {  // validated dates are ISO, so they compare as strings
            const std::string_view exit = record.get(record::Field::exit_date);
            if ((!options.exitFrom.empty() && exit < options.exitFrom) ||
                (!options.exitTo.empty() && exit > options.exitTo)) {
                ++result.outsideFilter;
                return false;
            }
        }
        if (pseudonymiser) {
            try {
                record::identityKey(record, config.uai, identity);
            } catch (const record::IdentityError&) {
                quarantine.add(record.sourceLine, "pseudonym", "the record carries no identity to pseudonymise");
                ++result.quarantined;
                return false;
            }
            pseudonymiser->pseudonymOf(identity, pseudonym);
            if (!objections.empty() && objected()) {
                ++result.objected;  // GDPR art. 21: never leaves, counted in the ledger
                return false;
            }
        }
        // Minimisation: only the purpose's fields, in its order, leave the sieve.
        for (std::size_t i = 0; i < purpose.fields.size(); ++i) {
            values[i] = purpose.fields[i] == record::Field::pseudonym ? std::string_view(pseudonym)
                                                                      : record.get(purpose.fields[i]);
        }
        if (incremental) {
            const store::CursorEntry entry{cursorKey(pseudonym, record), recordDigest(values)};
            const auto it = std::lower_bound(previous.begin(), previous.end(), entry);
            if (it != previous.end() && it->key == entry.key && it->digest == entry.digest) {
                ++result.unchanged;
                return false;
            }
            advanced.push_back(entry);
        }
        return true;
    }
};

// The batch's folder appears under its name with its sealing lock already held
// inside: it is made under a temporary name that says which process makes it.
// Held until the batch is in the outbox: a folder whose lock is free and that
// has no outbox row was left by a killed process (party/outbox_recovery.h).
FileLock openBatchFolder(const std::filesystem::path& batchDir) {
    const std::filesystem::path making = sealingFolderOf(batchDir);
    std::filesystem::create_directories(making);
    FileLock sealing = FileLock::createHeld(making / kSealingLock);
    std::filesystem::rename(making, batchDir);
    return sealing;
}

// The job's ledger entries besides the sealed batch: records quarantined, withheld
// by objection, and objections moved to the current pseudonym key epoch. Every
// entry names who, why (purpose and legal basis) and for whom.
void recordJobOutcomes(const SendingParts& parts, const config::JobSettings& job,
                       const config::PurposeSettings& purpose, const std::string& actor,
                       const std::filesystem::path& quarantineFile, RecordSieve& sieve,
                       PreparedBatch& result) {
    auto jobEntry = [&](ledger::Operation operation, std::uint64_t count, ledger::Outcome outcome,
                        std::string reason) {
        ledger::LedgerEntry entry = ledger::LedgerEntry::of(operation, outcome, actor, std::move(reason));
        entry.purpose = purpose.id;
        entry.legalBasis = purpose.legalBasis;
        entry.counterpart = job.recipient;
        entry.recordCount = count;
        return entry;
    };
    if (result.quarantined > 0) {
        parts.ledger.append(
            jobEntry(ledger::Operation::RecordsQuarantined, result.quarantined, ledger::Outcome::Quarantined,
                     "job " + result.job + ": see quarantine report " + quarantineFile.filename().string()));
    }
    if (result.objected > 0) {
        parts.ledger.append(jobEntry(ledger::Operation::RecordsWithheld, result.objected,
                                     ledger::Outcome::Withheld, "objection (GDPR art. 21)"));
    }
    // Under the current key, the objection no longer needs the retired one.
    for (const auto& [older, current] : sieve.toRekey) {
        result.objectionsRekeyed += parts.objections.rekeyObjection(purpose.id, older, current) ? 1 : 0;
    }
    if (result.objectionsRekeyed > 0) {
        parts.ledger.append(jobEntry(
            ledger::Operation::ObjectionsRekeyed, result.objectionsRekeyed, ledger::Outcome::Recorded,
            "objection (GDPR art. 21) recorded under an older pseudonym key epoch, moved to epoch " +
                std::to_string(sieve.pseudonymiser->epoch())));
    }
}

// The sealed batch: ledgered (batch-sealed), then queued in the outbox with the
// job's advanced cursor, in one transaction.
void queueSealed(const SendingParts& parts, const config::JobSettings& job,
                 const config::PurposeSettings& purpose, const std::string& actor,
                 const PrepareOptions& options, const privacy::Manifest& manifest, const RecordSieve& sieve,
                 const PreparedBatch& result) {
    std::string why = options.reason.empty() ? "job " + result.job : options.reason;
    if (sieve.incremental) {
        why += "; incremental: " + std::to_string(result.unchanged) + " record(s) unchanged since the last batch";
    }
    ledger::LedgerEntry sealedEntry = ledger::LedgerEntry::aboutBatch(
        ledger::Operation::BatchSealed, ledger::Outcome::Queued, actor, manifest, purpose.legalBasis, job.recipient);
    sealedEntry.reason = why;
    parts.ledger.append(sealedEntry);

    store::OutboxBatch queued;
    queued.batchId = manifest.batchId;
    queued.recipient = job.recipient;
    queued.purpose = purpose.id;
    queued.job = result.job;
    queued.recordCount = manifest.recordCount;
    queued.payloadDigest = manifest.payloadDigest;
    queued.createdAt = manifest.createdAt;
    queued.filesFolderId = parts.folders.folderId;
    parts.outbox.addToOutbox(queued, sieve.advanced);
}

// What the batch's manifest says before it is sealed: who sends what, to whom, for which purpose.
privacy::Manifest draftManifest(const config::GatewayConfig& config, const config::JobSettings& job,
                                const config::PurposeSettings& purpose, const std::string& batchId) {
    privacy::Manifest draft;
    draft.batchId = batchId;
    draft.sender = config.party;
    draft.recipient = job.recipient;
    draft.purpose = purpose.id;
    draft.fields = fieldNames(purpose.fields);
    return draft;
}

// Reads the source to its end: each refused row is counted (the source lists it in
// the quarantine report), each valid record goes through the sieve into the batch,
// its pseudonym into the carried list. `progress` hears the rows read now and then.
void sealRecords(SourceRecords& source, RecordSieve& sieve, privacy::BatchWriter& writer,
                 QuarantineReport& quarantine, store::CarriedPseudonymsWriter& carried, PreparedBatch& result,
                 const std::function<void(std::uint64_t)>& progress) {
    record::TraineeRecord record;
    auto lastProgress = std::chrono::steady_clock::now();
    for (;;) {
        const auto step = source.next(record);
        if (step == SourceRecords::Step::End) break;
        result.rowsRead = source.rowsRead();
        if (progress && (result.rowsRead & 0xFFFF) == 0) {
            const auto now = std::chrono::steady_clock::now();
            if (now - lastProgress > std::chrono::seconds(1)) {
                progress(result.rowsRead);
                lastProgress = now;
            }
        }
        if (step == SourceRecords::Step::Refused) {
            ++result.quarantined;
            continue;
        }
        if (!sieve.keep(record, result, quarantine)) continue;
        if (sieve.pseudonymiser) carried.add(sieve.pseudonym);
        writer.addRecord(sieve.values);
        ++result.sealed;
    }
}

}  // namespace

PreparedBatch BatchPreparer::prepareBatch(const std::string& jobName, const std::string& actor,
                                          const std::string& batchId, const PrepareOptions& options) {
    const config::GatewayConfig& config = parts_.config;
    const config::JobSettings& job = config.job(jobName);
    const config::PurposeSettings& purpose = config.purpose(job.purpose);
    const privacy::PublicKeys& recipient = parts_.peers.of(job.recipient);

    SourceRecords source(config, job, purpose.required, {options.exitFrom, options.exitTo, ""});
    RecordSieve sieve(config, purpose, options);
    sieve.load(parts_, job, jobName);

    PreparedBatch result;
    result.job = jobName;
    const std::filesystem::path batchDir = parts_.folders.outbox / batchId;
    const FileLock sealing = openBatchFolder(batchDir);
    privacy::BatchWriter writer(batchDir, draftManifest(config, job, purpose, batchId), parts_.keys,
                                recipient.box);
    QuarantineReport quarantine(parts_.folders.quarantine / (batchId + ".csv"));
    source.onRefused([&quarantine](std::uint64_t line, std::string_view where, std::string_view reason) {
        quarantine.add(line, where, reason);
    });
    // The batch's pseudonyms go to the state store in chunks, so memory stays flat.
    store::CarriedPseudonymsWriter carried(parts_.folders.carried, batchId);
    sealRecords(source, sieve, writer, quarantine, carried, result, progress_);
    quarantine.close();
    if (result.quarantined > 0) result.quarantineReport = quarantine.file();
    recordJobOutcomes(parts_, job, purpose, actor, quarantine.file(), sieve, result);

    if (result.sealed == 0) {
        std::filesystem::remove_all(batchDir);
        return result;
    }
    const privacy::Manifest manifest = writer.finish();
    carried.commit();
    result.batchId = batchId;
    result.payloadDigest = manifest.payloadDigest;
    queueSealed(parts_, job, purpose, actor, options, manifest, sieve, result);
    std::error_code ec;
    std::filesystem::remove(batchDir / kSealingLock, ec);
    return result;
}

}  // namespace passerelle::exchange
