// passerelle transfer: one job, once, end to end.

#include "cli/commands.h"
#include "common/errors.h"
#include "party/gateway.h"
#include "send/transfer.h"

#include <Poco/JSON/Object.h>

#include <iostream>
#include <unistd.h>

namespace passerelle::cli {

namespace {

using exchange::TransferReport;

void printJson(const std::string& jobName, const config::JobSettings& job, const TransferReport& report) {
    const exchange::PreparedBatch& prepared = report.prepared;
    const exchange::DeliveryOutcome* ours = report.ours ? &*report.ours : nullptr;
    const bool receipted = report.receipted();
    const std::uint64_t olderDelivered = report.olderDelivered;
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
}

void printText(const std::string& jobName, const config::JobSettings& job, const TransferReport& report) {
    const exchange::PreparedBatch& prepared = report.prepared;
    const exchange::DeliveryOutcome* ours = report.ours ? &*report.ours : nullptr;
    const bool receipted = report.receipted();
    const std::uint64_t olderDelivered = report.olderDelivered;
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

// What the run comes to when no batch was sealed, said on stderr; the exit status.
int exitStatus(const TransferReport& report) {
    const exchange::PreparedBatch& prepared = report.prepared;
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
    return report.receipted() ? kExitOk : kExitFailed;
}

int transfer(const ParsedOptions& options) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    const std::string jobName = options.value("job");
    const bool json = options.has("json");
    const bool tty = isatty(STDERR_FILENO) != 0;
    TransferReport report;
    try {
        report = exchange::transferOnce(*gateway, jobName, [tty](std::uint64_t rows) {
            if (tty) std::cerr << "\r  reading: " << rows << " rows" << std::flush;
        });
    } catch (const exchange::JobAlreadyRunning&) {
        if (json) {
            Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
            o.set("job", jobName);
            o.set("error", "already_running");
            o.stringify(std::cout);
            std::cout << std::endl;
        }
        throw;
    }
    if (tty) std::cerr << "\r";
    const config::JobSettings& job = gateway->config().job(jobName);
    if (json) {
        printJson(jobName, job, report);
    } else {
        printText(jobName, job, report);
    }
    return exitStatus(report);
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
