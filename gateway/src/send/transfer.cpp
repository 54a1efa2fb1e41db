#include "send/transfer.h"

#include "common/file_lock.h"
#include "party/outbox_recovery.h"
#include "send/job_scheduler.h"

#include <chrono>
#include <filesystem>
#include <thread>

namespace passerelle::exchange {

namespace {

// The daemon's workers took the batch the moment it was queued: its attempt decides.
DeliveryOutcome awaitOtherSender(Gateway& gateway, BatchDelivery& delivery, const std::string& batchId) {
    DeliveryOutcome outcome;
    outcome.batchId = batchId;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(gateway.config().delivery.leaseSeconds);
    while (std::chrono::steady_clock::now() < deadline) {
        const auto row = gateway.store().outbox().outboxBatch(batchId);
        if (!row) break;
        if (row->status == store::OutboxStatus::Receipted) {
            outcome.receipted = true;
            outcome.receipt = Receipt::parse(row->receipt);
            return outcome;
        }
        if (row->claimOwner.empty() && row->attempts > 0) {
            outcome.error = row->lastError;
            return outcome;
        }
        // The daemon died while sending it: send it ourselves.
        if (!row->claimOwner.empty() && store::ownerIsGone(row->claimOwner)) {
            if (auto sent = delivery.deliverNow(batchId, "transfer")) return *sent;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    outcome.error = "the gateway daemon is still sending it";
    return outcome;
}

}  // namespace

TransferReport transferOnce(Gateway& gateway, const std::string& jobName,
                            const std::function<void(std::uint64_t rows)>& progress) {
    if (gateway.config().role != config::Role::Institution) {
        throw ConfigError(gateway.config().file.string() +
                          ": key 'gateway.role': transfers are sent by an institution's gateway");
    }
    const config::JobSettings& job = gateway.config().job(jobName);
    recoverInterrupted(gateway);
    // One run of a job at a time, across processes (the daemon's schedule, another transfer).
    std::filesystem::create_directories(jobLockFile(gateway.config(), jobName).parent_path());
    const auto jobLock = FileLock::tryAcquire(jobLockFile(gateway.config(), jobName));
    // With PostgreSQL, across instances too (their state folders may differ).
    const auto instanceLock =
        jobLock ? gateway.store().locks().tryExclusive(jobLockName(jobName)) : std::nullopt;
    if (!jobLock || !instanceLock) {
        throw JobAlreadyRunning("job " + jobName +
                                " is already running in another process (its schedule in "
                                "'passerelle run', or another transfer); try again when that run ends");
    }
    TransferReport report;
    const SendingParts parts = sendingParts(gateway);
    BatchPreparer preparer(parts);
    if (progress) preparer.onProgress(progress);
    report.prepared = preparer.prepare(jobName, "operator");

    // This batch first, then older ones still due for this recipient.
    BatchDelivery delivery(parts.config, parts.peers, parts.ledger, parts.outbox, parts.folders);
    if (report.prepared.batchId) {
        report.ours = delivery.deliverNow(*report.prepared.batchId, "operator");
        if (!report.ours) report.ours = awaitOtherSender(gateway, delivery, *report.prepared.batchId);
    }
    for (const auto& o : delivery.deliverDue(job.recipient, "operator")) {
        if (o.receipted) ++report.olderDelivered;
    }
    return report;
}

}  // namespace passerelle::exchange
