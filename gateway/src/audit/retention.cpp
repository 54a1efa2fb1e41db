#include "audit/retention.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/identifiers.h"
#include "store/carried_pseudonyms.h"

#include <Poco/Logger.h>

#include <optional>

namespace passerelle::exchange {

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.retention"); }

std::string cutoffFor(std::uint32_t days, std::chrono::system_clock::time_point now) {
    return formatUtc(now - std::chrono::hours(24) * days);
}

// Deletes one stored batch's folder and records it; the row, its receipt and
// the carried-pseudonym index go with the payload's retention.
void purgeBatch(Gateway& gateway, const std::filesystem::path& dir, const PurgedBatch& batch,
                const std::string& counterpart, const std::string& digest, std::uint32_t days,
                const std::string& actor) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) throw StoreError("cannot delete " + dir.string() + ": " + ec.message());
    store::forgetCarriedPseudonyms(gateway.carriedDir(), batch.batchId);
    const auto& config = gateway.config();
    ledger::LedgerEntry entry =
        ledger::LedgerEntry::of(ledger::Operation::PayloadPurged, ledger::Outcome::Deleted, actor,
                                "retention of " + std::to_string(days) + " days since " + batch.since);
    entry.purpose = batch.purpose;
    entry.legalBasis = config.purpose(batch.purpose).legalBasis;
    entry.counterpart = counterpart;
    entry.batchId = batch.batchId;
    entry.payloadDigest = digest;
    gateway.ledger().append(entry);
    log().information("batch %s: payload deleted (retention of %s days)", batch.batchId, std::to_string(days));
}

}  // namespace

std::set<std::string> purgedBatchIds(Gateway& gateway) {
    ledger::EntryFilter filter;
    filter.operation = ledger::toText(ledger::Operation::PayloadPurged);
    std::set<std::string> ids;
    for (const auto& e : gateway.ledger().query(filter)) ids.insert(e.batchId);
    return ids;
}

PurgeReport purgeExpired(Gateway& gateway, const std::string& actor, std::chrono::system_clock::time_point now,
                         bool dryRun) {
    PurgeReport report;
    const auto& config = gateway.config();
    // A batch is due when the moment its retention runs from is older than the cutoff.
    // The folder of a stored batch, only ever from a valid batch id: a row whose id is
    // not one (written by hand, or by a version that did not check) is reported, not followed.
    auto folderOf = [&](const std::filesystem::path& root, const std::string& batchId)
        -> std::optional<std::filesystem::path> {
        if (!BatchId::isValid(batchId)) {
            report.skipped.push_back("a stored batch whose id is not a batch id (32 lower-case hex characters): "
                                     "left alone, check the state store");
            return std::nullopt;
        }
        return childPath(root, BatchId::parse(batchId));
    };
    auto due = [&](const std::string& purpose, const std::string& since, const std::string& batchId,
                   const std::filesystem::path& dir) -> const config::PurposeSettings* {
        if (since.empty() || !std::filesystem::exists(dir)) return nullptr;
        if (!config.purposes.contains(purpose)) {
            report.skipped.push_back("batch " + batchId + ": purpose '" + purpose +
                                     "' is no longer configured, so its retention is unknown");
            return nullptr;
        }
        const auto& p = config.purpose(purpose);
        return since < cutoffFor(p.retentionDays, now) ? &p : nullptr;
    };
    for (const auto& b : gateway.store().outbox().outboxWithStatus(store::OutboxStatus::Receipted)) {  // never before the receipt
        const auto dir = folderOf(gateway.outboxDir(), b.batchId);
        if (!dir) continue;
        if (const auto* p = due(b.purpose, b.receiptedAt, b.batchId, *dir)) {
            const PurgedBatch batch{b.batchId, b.purpose, b.receiptedAt};
            if (!dryRun) purgeBatch(gateway, *dir, batch, b.recipient, b.payloadDigest, p->retentionDays, actor);
            report.batches.push_back(batch);
        }
    }
    for (const auto& b : gateway.store().inbox().all()) {
        if (b.status != store::InboxStatus::Delivered) continue;  // never before the sink has it
        const auto dir = folderOf(gateway.inboxDir(), b.batchId);
        if (!dir) continue;
        if (const auto* p = due(b.purpose, b.deliveredAt, b.batchId, *dir)) {
            const PurgedBatch batch{b.batchId, b.purpose, b.deliveredAt};
            if (!dryRun) purgeBatch(gateway, *dir, batch, b.sender, b.payloadDigest, p->retentionDays, actor);
            report.batches.push_back(batch);
        }
    }
    if (config.ledger.retentionDays > 0 && !dryRun) {
        // The records of deletions are kept as long as the ledger: they account for
        // every payload that is gone (and hold no personal data).
        // The entry that accounts for the blanked bytes is written first: `audit verify`
        // alarms on blanked bytes none covers.
        const auto record = [&](const ledger::Ledger::Blanked& blanked) {
            ledger::LedgerEntry entry = ledger::LedgerEntry::of(
                ledger::Operation::LedgerPurged, ledger::Outcome::Blanked, actor,
                ledger::ledgerPurgeReason(config.ledger.retentionDays, blanked.throughIndex));
            entry.recordCount = blanked.count;
            gateway.ledger().append(entry);
        };
        report.ledgerEntriesBlanked =
            gateway.ledger().blankEntriesBefore(cutoffFor(config.ledger.retentionDays, now), record).count;
    }
    return report;
}

}  // namespace passerelle::exchange
