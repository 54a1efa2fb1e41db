#include "exchange/outbox_recovery.h"

#include "common/file_lock.h"

#include <Poco/Logger.h>

#include <chrono>
#include <system_error>

namespace passerelle::exchange {

namespace fs = std::filesystem;

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.recovery"); }

// A folder without a sealing lock predates it (an earlier version) or is being
// created this instant: only an old one is taken for abandoned.
bool abandoned(const fs::path& dir, const fs::path& lock) {
    std::error_code ec;
    if (fs::exists(lock, ec)) return FileLock::tryAcquire(lock).has_value();
    const auto written = fs::last_write_time(dir, ec);
    return !ec && fs::file_time_type::clock::now() - written > std::chrono::minutes(10);
}

}  // namespace

RecoveryReport recoverInterrupted(Gateway& gateway) {
    RecoveryReport report;
    std::error_code ec;
    if (fs::is_directory(gateway.outboxDir(), ec)) {
        for (const auto& item : fs::directory_iterator(gateway.outboxDir(), ec)) {
            if (!item.is_directory()) continue;
            const std::string batchId = item.path().filename().string();
            if (gateway.store().outboxBatch(batchId) || !abandoned(item.path(), item.path() / kSealingLock)) continue;
            const bool sealed = fs::exists(item.path() / "manifest.json", ec);
            fs::remove_all(item.path(), ec);
            fs::remove(gateway.carriedDir() / (batchId + ".pseudonyms"), ec);
            fs::remove(gateway.carriedDir() / (batchId + ".pseudonyms.tmp"), ec);
            ++report.discardedBatches;
            if (sealed) {
                // Its batch-sealed entry is in the ledger: the ledger says it never left.
                ledger::LedgerEntry entry;
                entry.actor = "gateway";
                entry.operation = "batch-discarded";
                entry.batch_id = batchId;
                entry.outcome = "discarded";
                entry.reason = "the process sealing it stopped before the batch entered the outbox; never sent, "
                               "its records go with the job's next run";
                gateway.ledger().append(entry);
            }
            log().warning("batch %s was being sealed when its process stopped: removed, never sent", batchId);
        }
    }
    if (gateway.config().role == config::Role::Region && fs::is_directory(gateway.inboxDir(), ec)) {
        for (const auto& item : fs::directory_iterator(gateway.inboxDir(), ec)) {
            const std::string name = item.path().filename().string();
            if (!name.starts_with(".incoming-")) continue;
            if (name.ends_with(".lock")) {  // a lock whose transfer never created its folder
                const fs::path dir = item.path().parent_path() / name.substr(0, name.size() - 5);
                if (!fs::exists(dir, ec) && FileLock::tryAcquire(item.path())) fs::remove(item.path(), ec);
                continue;
            }
            if (!abandoned(item.path(), stagingLockOf(item.path()))) continue;
            fs::remove_all(item.path(), ec);
            fs::remove(stagingLockOf(item.path()), ec);
            ++report.stagingFolders;
        }
        if (report.stagingFolders > 0) {
            log().information("removed %s partial incoming batch folder(s) left by a stopped process",
                              std::to_string(report.stagingFolders));
        }
    }
    return report;
}

}  // namespace passerelle::exchange
