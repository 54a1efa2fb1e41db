#pragma once
// The institution's pipeline for one job: read the export through its source
// plugin, map columns to the trainee record, validate, keep only what the
// purpose allows, pseudonymise, and seal the batch into the outbox.

#include "exchange/gateway.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace passerelle::exchange {

struct PreparedBatch {
    std::string job;
    std::uint64_t rowsRead = 0;     // rows the source produced, good or bad
    std::uint64_t quarantined = 0;  // rows refused, each listed in the quarantine report
    std::uint64_t sealed = 0;       // records in the batch
    std::uint64_t objected = 0;     // valid records withheld: the trainee objected to the purpose
    // Of those, objections found under an older pseudonym key epoch and moved to the current one.
    std::uint64_t objectionsRekeyed = 0;
    std::optional<std::string> batchId;  // none when no record was valid
    std::filesystem::path quarantineReport;  // empty when nothing was refused
    std::string payloadDigest;
};

class BatchPreparer {
public:
    explicit BatchPreparer(Gateway& gateway) : gateway_(gateway) {}

    // Called now and then with the number of rows read so far.
    void onProgress(std::function<void(std::uint64_t)> progress) { progress_ = std::move(progress); }

    // Seals the job's records into the outbox and records it in the ledger.
    // Throws PluginError / ConfigError when the source cannot be read at all.
    PreparedBatch prepare(const std::string& jobName, const std::string& actor);

private:
    PreparedBatch prepareBatch(const std::string& jobName, const std::string& actor, const std::string& batchId);

    Gateway& gateway_;
    std::function<void(std::uint64_t)> progress_;
};

}  // namespace passerelle::exchange
