#include "exchange/batch_preparer.h"

#include "common/clock.h"
#include "common/errors.h"
#include "exchange/quarantine_report.h"
#include "plugin/plugin_host.h"
#include "privacy/batch_writer.h"
#include "privacy/manifest.h"
#include "privacy/pseudonymiser.h"
#include "record/identity.h"
#include "record/record_validator.h"
#include "record/trainee_record.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

namespace passerelle::exchange {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// Finds each mapped column in the export's header, exactly or ignoring case.
std::vector<std::pair<record::Field, std::size_t>> resolveColumns(const config::GatewayConfig& config,
                                                                  const config::JobSettings& job,
                                                                  const std::vector<std::string_view>& columns) {
    std::vector<std::pair<record::Field, std::size_t>> resolved;
    for (const config::ColumnMapping& m : job.mapping) {
        auto it = std::find(columns.begin(), columns.end(), m.column);
        if (it == columns.end()) {
            it = std::find_if(columns.begin(), columns.end(),
                              [&](std::string_view c) { return lower(c) == lower(m.column); });
        }
        if (it == columns.end()) {
            std::string known;
            for (std::string_view c : columns) known += (known.empty() ? "" : ", ") + std::string(c);
            throw ConfigError(config.file.string() + ": key 'job." + job.name + ".map." +
                              std::string(record::nameOf(m.field)) + "': column '" + m.column +
                              "' is not in the export's header (its columns are: " + known + ")");
        }
        resolved.emplace_back(m.field, static_cast<std::size_t>(it - columns.begin()));
    }
    return resolved;
}

std::vector<std::string> fieldNames(const std::vector<record::Field>& fields) {
    std::vector<std::string> names;
    for (record::Field f : fields) names.emplace_back(record::nameOf(f));
    return names;
}

}  // namespace

PreparedBatch BatchPreparer::prepare(const std::string& jobName, const std::string& actor) {
    const std::string batchId = privacy::newBatchId();
    try {
        return prepareBatch(jobName, actor, batchId);
    } catch (...) {
        // A job that stops half-way leaves no half-written batch or report behind.
        std::error_code ec;
        std::filesystem::remove_all(gateway_.outboxDir() / batchId, ec);
        std::filesystem::remove(gateway_.quarantineDir() / (batchId + ".csv"), ec);
        throw;
    }
}

PreparedBatch BatchPreparer::prepareBatch(const std::string& jobName, const std::string& actor,
                                          const std::string& batchId) {
    const config::GatewayConfig& config = gateway_.config();
    const config::JobSettings& job = config.job(jobName);
    const config::PurposeSettings& purpose = config.purpose(job.purpose);
    const privacy::PublicKeys& recipient = gateway_.peerKeys(job.recipient);

    auto plugin = plugin::SourcePlugin::load(config.pluginsDir, job.source);
    auto reader = plugin->open(job.sourceSettings);
    const auto columns = resolveColumns(config, job, reader->columns());

    const bool uaiMapped = std::any_of(job.mapping.begin(), job.mapping.end(), [](const config::ColumnMapping& m) {
        return m.field == record::Field::institution_uai;
    });
    const bool wantsPseudonym =
        std::find(purpose.fields.begin(), purpose.fields.end(), record::Field::pseudonym) != purpose.fields.end();
    std::optional<privacy::Pseudonymiser> pseudonymiser;
    if (wantsPseudonym) {
        pseudonymiser.emplace(gateway_.keys(), purpose.pseudonymDomain);
    }
    const record::RecordValidator validator(purpose.required);

    PreparedBatch result;
    result.job = jobName;
    const std::filesystem::path batchDir = gateway_.outboxDir() / batchId;
    std::filesystem::create_directories(batchDir);

    privacy::Manifest draft;
    draft.batch_id = batchId;
    draft.sender = config.party;
    draft.recipient = job.recipient;
    draft.purpose = purpose.id;
    draft.fields = fieldNames(purpose.fields);
    privacy::BatchWriter writer(batchDir, draft, gateway_.keys(), recipient.box);
    QuarantineReport quarantine(gateway_.quarantineDir() / (batchId + ".csv"));

    record::TraineeRecord record;
    std::string identity;  // reused row to row, like the record
    std::string pseudonym;
    std::vector<std::string_view> values(purpose.fields.size());
    psl_row row{};
    psl_error err{};
    auto lastProgress = std::chrono::steady_clock::now();
    for (;;) {
        const auto step = reader->next(row, err);
        if (step == plugin::SourceReader::Step::End) break;
        ++result.rowsRead;
        if (progress_ && (result.rowsRead & 0xFFFF) == 0) {
            const auto now = std::chrono::steady_clock::now();
            if (now - lastProgress > std::chrono::seconds(1)) {
                progress_(result.rowsRead);
                lastProgress = now;
            }
        }
        if (step == plugin::SourceReader::Step::RowError) {
            quarantine.add(err.line, err.column ? "column " + std::to_string(err.column) : "row", err.message);
            ++result.quarantined;
            continue;
        }
        record.clear();
        record.sourceLine = row.line;
        for (const auto& [field, index] : columns) {
            if (index < row.cell_count) {
                record.set(field, std::string_view(row.cells[index].data, row.cells[index].size));
            }
        }
        if (!uaiMapped) {
            record.set(record::Field::institution_uai, config.uai);
        }
        const auto problems = validator.normalise(record);
        if (!problems.empty()) {
            for (const auto& p : problems) {
                quarantine.add(row.line, record::nameOf(p.field), p.reason);
            }
            ++result.quarantined;
            continue;
        }
        if (pseudonymiser) {
            record::identityKey(record, config.uai, identity);
            pseudonym = pseudonymiser->pseudonymOf(identity);
        }
        // Minimisation: only the purpose's fields, in its order, leave this loop.
        for (std::size_t i = 0; i < purpose.fields.size(); ++i) {
            values[i] = purpose.fields[i] == record::Field::pseudonym ? std::string_view(pseudonym)
                                                                      : std::string_view(record.get(purpose.fields[i]));
        }
        writer.addRecord(values);
        ++result.sealed;
    }
    quarantine.close();
    if (result.quarantined > 0) {
        result.quarantineReport = quarantine.file();
    }

    ledger::LedgerEntry quarantineEntry;
    if (result.quarantined > 0) {
        quarantineEntry.actor = actor;
        quarantineEntry.operation = "records-quarantined";
        quarantineEntry.purpose = purpose.id;
        quarantineEntry.legal_basis = purpose.legalBasis;
        quarantineEntry.counterpart = job.recipient;
        quarantineEntry.record_count = result.quarantined;
        quarantineEntry.outcome = "quarantined";
        quarantineEntry.reason = "job " + jobName + ": see quarantine report " + quarantine.file().filename().string();
        gateway_.ledger().append(quarantineEntry);
    }

    if (result.sealed == 0) {
        std::filesystem::remove_all(batchDir);
        return result;
    }
    const privacy::Manifest manifest = writer.finish();
    result.batchId = batchId;
    result.payloadDigest = manifest.payload_digest;

    ledger::LedgerEntry sealedEntry;
    sealedEntry.actor = actor;
    sealedEntry.operation = "batch-sealed";
    sealedEntry.purpose = purpose.id;
    sealedEntry.legal_basis = purpose.legalBasis;
    sealedEntry.counterpart = job.recipient;
    sealedEntry.fields = manifest.fields;
    sealedEntry.record_count = manifest.record_count;
    sealedEntry.batch_id = batchId;
    sealedEntry.payload_digest = manifest.payload_digest;
    sealedEntry.outcome = "queued";
    sealedEntry.reason = "job " + jobName;
    gateway_.ledger().append(sealedEntry);

    store::OutboxBatch queued;
    queued.batchId = batchId;
    queued.recipient = job.recipient;
    queued.purpose = purpose.id;
    queued.job = jobName;
    queued.recordCount = manifest.record_count;
    queued.payloadDigest = manifest.payload_digest;
    queued.createdAt = manifest.created_at;
    gateway_.store().addToOutbox(queued);
    return result;
}

}  // namespace passerelle::exchange
