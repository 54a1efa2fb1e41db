#include "receive/sink_dispatcher.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/identifiers.h"
#include "party/exchange_metrics.h"
#include "plugin/plugin_host.h"
#include "privacy/batch_reader.h"
#include "receive/purpose_fields.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <set>
#include <chrono>

namespace passerelle::exchange {

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.sink"); }

}  // namespace

SinkDispatcher::SinkDispatcher(ReceivingParts parts)
    : parts_(parts), loop_([this]() -> std::chrono::steady_clock::duration {
          const std::size_t waiting = drain();
          pause_ = waiting == 0 ? std::chrono::seconds(2) : std::min(pause_ * 2, std::chrono::seconds(300));
          return pause_;
      }) {
    if (!parts_.config.sink) {
        throw ConfigError(parts_.config.file.string() + ": key 'sink.plugin': no sink configured");
    }
}

SinkDispatcher::~SinkDispatcher() { stop(); }

void SinkDispatcher::deliver(const store::InboxBatch& batch) {
    const config::SinkSettings& settings = *parts_.config.sink;
    auto plugin = plugin::SinkPlugin::load(parts_.config.pluginsDir, settings.plugin);
    privacy::BatchReader reader(childPath(parts_.folders.inbox, BatchId::parse(batch.batchId)), parts_.keys,
                                [&](const privacy::ManifestSigner& signer) {
                                    // Accepted when it arrived: the key valid at its date, whenever delivered.
                                    return parts_.peers.signKeyAt(signer.sender, signer.keyId, signer.createdAt);
                                });
    const privacy::Manifest& manifest = reader.manifest();
    // Strict on this side too: the batch must be the one its row describes, and carry
    // exactly the fields of the purpose as this gateway defines it now (a batch stored by
    // an earlier version, or before the purpose was narrowed, is not handed over).
    if (manifest.batchId != batch.batchId || manifest.sender != batch.sender || manifest.purpose != batch.purpose) {
        throw BatchError("the batch in inbox folder " + batch.batchId + " is not the one its inbox row describes");
    }
    if (!parts_.config.purposes.contains(manifest.purpose)) {
        throw BatchError("purpose '" + manifest.purpose + "' is no longer configured: its fields are unknown");
    }
    if (const auto refusal = fieldsRefusal(manifest.fields, parts_.config.purpose(manifest.purpose))) {
        throw BatchError(refusal->reason);
    }

    std::vector<psl_str> fieldNames;
    for (const std::string& f : manifest.fields) fieldNames.push_back({f.data(), f.size()});
    psl_batch_info info{};
    info.batch_id = manifest.batchId.c_str();
    info.sender = manifest.sender.c_str();
    info.purpose = manifest.purpose.c_str();
    info.fields = fieldNames.data();
    info.field_count = fieldNames.size();
    info.record_count = manifest.recordCount;

    auto writer = plugin->open(settings.settings);
    writer->beginBatch(info);
    std::vector<std::string> values;
    std::vector<psl_str> cells;
    try {
        while (reader.next(values)) {
            if (values.size() != manifest.fields.size()) {  // BatchReader checks it per chunk; the sink relies on it
                throw BatchError("a record of batch " + batch.batchId + " does not carry exactly the manifest's fields");
            }
            cells.clear();
            for (const std::string& v : values) cells.push_back({v.data(), v.size()});
            writer->writeRecord(cells);
        }
        writer->commitBatch();
    } catch (...) {
        writer->abortBatch();
        throw;
    }
}

std::size_t SinkDispatcher::drain() {
    std::lock_guard drainLock(drainMutex_);
    std::set<std::string> failed;  // tried in this drain and still stored: what drain() returns the count of
    // Claimed a round at a time, so that two Region instances never hand the same batch
    // over at once and a claim's lease covers its round. Batches that failed before come
    // last (fewest attempts first); the drain ends with a round where nothing succeeded.
    constexpr std::size_t kRound = 32;
    for (bool progress = true; progress;) {
        progress = false;
        const store::Claim claim{store::processOwner(), unixSeconds(std::chrono::system_clock::now()),
                                 static_cast<std::int64_t>(parts_.config.delivery.leaseSeconds),
                                 parts_.folders.folderId};
        const auto round = parts_.inbox.claimAwaitingSink(claim, kRound);
        for (const store::InboxBatch& batch : round) {
            ledger::LedgerEntry entry = ledger::LedgerEntry::of(ledger::Operation::BatchHandedToSink,
                                                                ledger::Outcome::Delivered, "gateway");
            entry.purpose = batch.purpose;
            entry.counterpart = parts_.config.sink->plugin;
            entry.recordCount = batch.recordCount;
            entry.batchId = batch.batchId;
            entry.payloadDigest = batch.payloadDigest;
            try {
                deliver(batch);
                // The ledger first, then the state: killed in between, the batch is handed over
                // again (a sink commits a batch id once) and logged twice, never unlogged.
                parts_.ledger.append(entry);
                parts_.inbox.recordSinkDelivery(batch.batchId, formatUtc(std::chrono::system_clock::now()));
                metrics::sinkHandOff(true);
                log().information("batch %s from %s handed to %s", batch.batchId, batch.sender, entry.counterpart);
                progress = true;
                failed.erase(batch.batchId);  // failed in an earlier round of this drain
            } catch (const std::exception& e) {
                failed.insert(batch.batchId);
                parts_.inbox.recordSinkFailure(batch.batchId, e.what());
                metrics::sinkHandOff(false);
                // One ledger entry for the first failure, not one per retry.
                if (batch.sinkAttempts == 0) {
                    entry.set(ledger::Operation::SinkFailed, ledger::Outcome::Retrying);
                    entry.reason = e.what();
                    parts_.ledger.append(entry);
                }
                log().error("batch %s could not be handed to %s (attempt %s, it stays stored and is retried): %s",
                            batch.batchId, entry.counterpart, std::to_string(batch.sinkAttempts + 1),
                            std::string(e.what()));
            }
        }
        if (round.size() < kRound) break;
    }
    return failed.size();
}

void SinkDispatcher::start() { loop_.start(pause_); }

void SinkDispatcher::notify() { loop_.notify(); }

void SinkDispatcher::stop() { loop_.stop(); }

}  // namespace passerelle::exchange
