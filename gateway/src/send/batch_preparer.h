#pragma once
// The institution's pipeline for one job: read the export through its source
// plugin, map columns to the trainee record, validate, keep only what the
// purpose allows, pseudonymise, and seal the batch into the outbox.

#include "send/sending_parts.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace passerelle::exchange {

// What one run asks of the job beyond its configuration.
struct PrepareOptions {
    // Only trainees whose exit date is in [exitFrom, exitTo] (ISO dates, inclusive;
    // empty = open). Passed to the source plugin, and applied to every validated
    // record whatever the plugin did.
    std::string exitFrom;
    std::string exitTo;
    // Why this run happens, for the ledger's batch-sealed entry: "job NAME" by
    // default; e.g. "extraction request R" or "schedule 0 6 1 * *".
    std::string reason;
    // An incremental job's cursor applies (and advances) unless this is false: an
    // extraction request wants its whole cohort, and leaves the schedule's cursor alone.
    bool useCursor = true;
};

struct PreparedBatch {
    std::string job;
    std::uint64_t rowsRead = 0;     // rows the source produced, good or bad
    std::uint64_t quarantined = 0;  // rows refused, each listed in the quarantine report
    std::uint64_t sealed = 0;       // records in the batch
    std::uint64_t objected = 0;     // valid records withheld: the trainee objected to the purpose
    // Of those, objections found under an older pseudonym key epoch and moved to the current one.
    std::uint64_t objectionsRekeyed = 0;
    std::uint64_t outsideFilter = 0;  // valid records left out: exit date outside the run's window
    std::uint64_t unchanged = 0;      // incremental job: records already queued as they are now
    std::optional<std::string> batchId;  // none when no record was valid
    std::filesystem::path quarantineReport;  // empty when nothing was refused
    std::string payloadDigest;
};

class BatchPreparer {
public:
    explicit BatchPreparer(SendingParts parts) : parts_(parts) {}

    // Called now and then with the number of rows read so far.
    void onProgress(std::function<void(std::uint64_t)> progress) { progress_ = std::move(progress); }

    // Seals the job's records into the outbox and records it in the ledger.
    // Throws PluginError / ConfigError when the source cannot be read at all.
    PreparedBatch prepare(const std::string& jobName, const std::string& actor, const PrepareOptions& options = {});

private:
    PreparedBatch prepareBatch(const std::string& jobName, const std::string& actor, const std::string& batchId,
                               const PrepareOptions& options);

    SendingParts parts_;
    std::function<void(std::uint64_t)> progress_;
};

}  // namespace passerelle::exchange
