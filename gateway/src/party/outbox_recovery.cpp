#include "party/outbox_recovery.h"

#include "common/file_lock.h"
#include "common/identifiers.h"
#include "store/carried_pseudonyms.h"

#include <Poco/Logger.h>

#include <chrono>
#include <unordered_set>
#include <system_error>

namespace passerelle::exchange {

namespace fs = std::filesystem;

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.recovery"); }

// A folder without its lock file predates it (an earlier version): only an old
// one is taken for abandoned (`lockless`). With its lock file, the lock taken
// here is returned, held while the caller decides: the caller must check
// again, under it, that the work was not finished meanwhile.
std::optional<FileLock> abandoned(const fs::path& dir, const fs::path& lock, bool& lockless) {
    std::error_code ec;
    lockless = false;
    if (fs::exists(lock, ec)) return FileLock::tryAcquireExisting(lock);
    const auto written = fs::last_write_time(dir, ec);
    lockless = !ec && fs::file_time_type::clock::now() - written > std::chrono::minutes(10);
    return std::nullopt;
}

}  // namespace

RecoveryReport recoverInterrupted(Gateway& gateway) {
    RecoveryReport report;
    std::error_code ec;
    if (fs::is_directory(gateway.outboxDir(), ec)) {
        // One read, not one query per folder: most folders are queued or receipted
        // batches. A batch queued after this read still has its lock file, or is
        // younger than abandoned() allows; the row is checked again under the lock.
        const std::unordered_set<std::string> queued = gateway.store().outbox().outboxBatchIds();
        for (const auto& item : fs::directory_iterator(gateway.outboxDir(), ec)) {
            if (!item.is_directory()) continue;
            const std::string batchId = item.path().filename().string();
            if (batchId.find(FileLock::kTemporaryMark) != std::string::npos) {  // a batch folder being made
                if (FileLock::isTemporaryOfDeadProcess(item.path())) {
                    fs::remove_all(item.path(), ec);
                    ++report.discardedBatches;
                }
                continue;
            }
            // Only a batch's own folder is ours to remove: anything else someone put there is left alone.
            if (!BatchId::isValid(batchId)) continue;
            const fs::path lockFile = item.path() / kSealingLock;
            if (!fs::exists(lockFile, ec) && queued.contains(batchId)) continue;  // the usual case
            bool lockless = false;
            const std::optional<FileLock> held = abandoned(item.path(), lockFile, lockless);
            if (!held && !lockless) continue;  // being sealed, or already in the outbox
            // Checked under the lock: a sealer that finished has its outbox row
            // (written before it lets the lock go); one that died never will.
            if (gateway.store().outbox().outboxBatch(batchId)) {
                fs::remove(lockFile, ec);  // its sealer died after the row, before this
                continue;
            }
            const bool sealed = fs::exists(item.path() / "manifest.json", ec);
            fs::remove_all(childPath(gateway.outboxDir(), BatchId::parse(batchId)), ec);
            store::forgetCarriedPseudonyms(gateway.carriedDir(), batchId);
            ++report.discardedBatches;
            if (sealed) {
                // Its batch-sealed entry is in the ledger: the ledger says it never left.
                ledger::LedgerEntry entry = ledger::LedgerEntry::of(
                    ledger::Operation::BatchDiscarded, ledger::Outcome::Discarded, "gateway",
                    "the process sealing it stopped before the batch entered the outbox; never sent, "
                    "its records go with the job's next run");
                entry.batchId = batchId;
                gateway.ledger().append(entry);
            }
            log().warning("batch %s was being sealed when its process stopped: removed, never sent", batchId);
        }
    }
    if (gateway.config().role == config::Role::Region && fs::is_directory(gateway.inboxDir(), ec)) {
        for (const auto& item : fs::directory_iterator(gateway.inboxDir(), ec)) {
            const std::string name = item.path().filename().string();
            if (!name.starts_with(".incoming-")) continue;
            if (name.find(FileLock::kTemporaryMark) != std::string::npos) {  // a lock a killed process never placed
                if (FileLock::isTemporaryOfDeadProcess(item.path())) fs::remove(item.path(), ec);
                continue;
            }
            if (name.ends_with(".lock")) {  // a lock whose transfer never created its folder
                const fs::path dir = item.path().parent_path() / name.substr(0, name.size() - 5);
                if (!fs::exists(dir, ec) && FileLock::tryAcquireExisting(item.path())) fs::remove(item.path(), ec);
                continue;
            }
            bool lockless = false;
            if (!abandoned(item.path(), stagingLockOf(item.path()), lockless) && !lockless) continue;
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
