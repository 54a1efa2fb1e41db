#pragma once
// Retention (GDPR art. 5(1)(e)): payloads are kept for their purpose's
// retention_days — on an institution from the receipt, on the Region from the
// hand-off to the sink — and the ledger's entry bytes for [ledger]
// retention_days. Each deletion is a ledger entry; proofs stay valid because
// leaves commit to digests, not to payloads (docs/ledger.md).

#include "party/gateway.h"

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace passerelle::exchange {

struct PurgedBatch {
    std::string batchId;
    std::string purpose;
    std::string since;  // receipted (institution) or handed to the sink (Region)
};

struct PurgeReport {
    std::vector<PurgedBatch> batches;         // payloads deleted (or that would be, on a dry run)
    std::uint64_t ledgerEntriesBlanked = 0;  // ledger entries whose bytes were blanked
    std::vector<std::string> skipped;         // why a batch was left alone (its purpose is no longer configured)
};

// Deletes what has outlived its retention at `now`. With dryRun, only reports.
PurgeReport purgeExpired(Gateway& gateway, const std::string& actor, std::chrono::system_clock::time_point now,
                         bool dryRun);

// The batches whose payload a `payload-purged` ledger entry accounts for.
std::set<std::string> purgedBatchIds(Gateway& gateway);

}  // namespace passerelle::exchange
