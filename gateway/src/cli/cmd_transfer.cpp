// passerelle transfer: one job, once, end to end.

#include "cli/commands.h"
#include "common/errors.h"
#include "common/file_lock.h"
#include "party/gateway.h"
#include "party/outbox_recovery.h"
#include "send/batch_delivery.h"
#include "send/batch_preparer.h"
#include "send/job_scheduler.h"

#include <Poco/JSON/Object.h>

#include <iostream>
#include <thread>
#include <unistd.h>

namespace passerelle::cli {

namespace {

// The daemon's workers took the batch the moment it was queued: its attempt decides.
exchange::DeliveryOutcome awaitOtherSender(exchange::Gateway& gateway, const std::string& batchId) {
    exchange::DeliveryOutcome outcome;
    outcome.batchId = batchId;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(gateway.config().delivery.leaseSeconds);
    while (std::chrono::steady_clock::now() < deadline) {
        const auto row = gateway.store().outbox().outboxBatch(batchId);
        if (!row) break;
        if (row->status == store::OutboxStatus::Receipted) {
            outcome.receipted = true;
            outcome.receipt = exchange::Receipt::parse(row->receipt);
            return outcome;
        }
        if (row->claimOwner.empty() && row->attempts > 0) {
            outcome.error = row->lastError;
            return outcome;
        }
        // The daemon died while sending it: send it ourselves.
        if (!row->claimOwner.empty() && store::ownerIsGone(row->claimOwner)) {
            if (auto sent = exchange::BatchDelivery(gateway).deliverNow(batchId, "transfer")) return *sent;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    outcome.error = "the gateway daemon is still sending it";
    return outcome;
}

int transfer(const ParsedOptions& options) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    if (gateway->config().role != config::Role::Institution) {
        throw ConfigError(gateway->config().file.string() +
                          ": key 'gateway.role': transfers are sent by an institution's gateway");
    }
    const std::string jobName = options.value("job");
    const config::JobSettings& job = gateway->config().job(jobName);
    const bool json = options.has("json");

    exchange::recoverInterrupted(*gateway);
    // One run of a job at a time, across processes (the daemon's schedule, another transfer).
    std::filesystem::create_directories(exchange::jobLockFile(*gateway, jobName).parent_path());
    const auto jobLock = FileLock::tryAcquire(exchange::jobLockFile(*gateway, jobName));
    // With PostgreSQL, across instances too (their state folders may differ).
    const auto instanceLock = jobLock ? gateway->store().locks().tryExclusive(exchange::jobLockName(jobName)) : std::nullopt;
    if (!jobLock || !instanceLock) {
        if (json) {
            std::cout << "{\"job\":\"" << jobName << "\",\"error\":\"already_running\"}" << std::endl;
        }
        throw Error("job " + jobName + " is already running in another process (its schedule in "
                             "'passerelle run', or another transfer); try again when that run ends");
    }
    exchange::BatchPreparer preparer(*gateway);
    if (isatty(STDERR_FILENO)) {
        preparer.onProgress([](std::uint64_t rows) { std::cerr << "\r  reading: " << rows << " rows" << std::flush; });
    }
    const exchange::PreparedBatch prepared = preparer.prepare(jobName, "operator");
    if (isatty(STDERR_FILENO)) std::cerr << "\r";

    // This batch first, then older ones still due for this recipient.
    exchange::BatchDelivery delivery(*gateway);
    std::optional<exchange::DeliveryOutcome> ourOutcome;
    if (prepared.batchId) {
        ourOutcome = delivery.deliverNow(*prepared.batchId, "operator");
        if (!ourOutcome) ourOutcome = awaitOtherSender(*gateway, *prepared.batchId);
    }
    const exchange::DeliveryOutcome* ours = ourOutcome ? &*ourOutcome : nullptr;
    std::uint64_t olderDelivered = 0;
    for (const auto& o : delivery.deliverDue(job.recipient, "operator")) {
        if (o.receipted) ++olderDelivered;
    }

    const bool receipted = ours != nullptr && ours->receipted;
    if (json) {
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("job", jobName);
        o.set("purpose", job.purpose);
        o.set("recipient", job.recipient);
        o.set("rows_read", prepared.rowsRead);
        o.set("quarantined", prepared.quarantined);
        o.set("objected", prepared.objected);
        o.set("objections_rekeyed", prepared.objectionsRekeyed);
        o.set("unchanged", prepared.unchanged);
        o.set("sealed", prepared.sealed);
        o.set("batch_id", prepared.batchId.value_or(""));
        o.set("receipted", receipted);
        o.set("delivered", receipted ? prepared.sealed : 0);
        o.set("receiver_ledger_index", receipted ? ours->receipt.ledgerIndex : 0);
        o.set("quarantine_report", prepared.quarantineReport.string());
        o.set("error", ours && !ours->receipted ? ours->error : "");
        o.set("older_batches_delivered", olderDelivered);
        o.stringify(std::cout);
        std::cout << std::endl;
    } else {
        std::cout << "job " << jobName << ": purpose " << job.purpose << ", to " << job.recipient << "\n"
                  << "  rows read     " << prepared.rowsRead << "\n"
                  << "  quarantined   " << prepared.quarantined;
        if (prepared.quarantined > 0) std::cout << "   (reasons: " << prepared.quarantineReport.string() << ")";
        if (prepared.objected > 0) {
            std::cout << "\n  objected      " << prepared.objected << "   (withheld: objection, GDPR art. 21)";
            if (prepared.objectionsRekeyed > 0) {
                std::cout
                    << "\n                " << prepared.objectionsRekeyed
                    << " of them recorded under an older pseudonym key epoch, now under the current one";
            }
        }
        if (job.incremental) {
            std::cout << "\n  unchanged     " << prepared.unchanged << "   (already sent as they are: incremental job)";
        }
        std::cout << "\n  sealed        " << prepared.sealed;
        if (prepared.batchId) std::cout << "   batch " << *prepared.batchId;
        std::cout << "\n";
        if (receipted) {
            std::cout << "  delivered     " << prepared.sealed << "   receipted by " << job.recipient
                      << " (its ledger entry " << ours->receipt.ledgerIndex << ")\n";
        } else if (ours != nullptr) {
            std::cout << "  NOT delivered: " << ours->error << "\n"
                      << "  the batch stays in the outbox and is retried by 'passerelle run' or the next transfer\n";
        }
        if (olderDelivered > 0) {
            std::cout << "  also delivered " << olderDelivered << " older batch(es) waiting in the outbox\n";
        }
    }
    if (!prepared.batchId) {
        if (prepared.rowsRead == 0) {
            std::cerr << "passerelle transfer: the export has no rows: nothing to send\n";
            return kExitOk;
        }
        if (prepared.unchanged > 0) {
            std::cerr << "passerelle transfer: nothing new or changed since the job's last batch ("
                      << prepared.unchanged << " record(s) unchanged)\n";
            return kExitOk;
        }
        if (prepared.objected > 0) {
            std::cerr << "passerelle transfer: nothing to send: " << prepared.objected
                      << " valid record(s) withheld by objection, " << prepared.quarantined << " quarantined\n";
            return kExitOk;
        }
        std::cerr << "passerelle transfer: every row was quarantined: nothing sent (see "
                  << prepared.quarantineReport.string() << ")\n";
        return kExitFailed;
    }
    return receipted ? kExitOk : kExitFailed;
}

}  // namespace

Command transferCommand() {
    CommandSpec spec;
    spec.name = "transfer";
    spec.summary = "run one job now: read, validate, seal, record, deliver, wait for the receipt";
    spec.usage = "passerelle transfer --config FILE --job NAME [--json]";
    spec.options = {configOption(),
                    {"job", true, "the job to run ([job.NAME] in the configuration)", "NAME"},
                    {"json", false, "print the summary as one JSON object"}};
    spec.details =
        "Rows that fail validation are quarantined: listed with their line, field and reason (never\n"
        "their value) in the quarantine report, and never sent. Exit 0 only when the batch was\n"
        "receipted by the recipient; otherwise it stays in the outbox and the exit code is 1.";
    return {spec, transfer};
}

}  // namespace passerelle::cli
