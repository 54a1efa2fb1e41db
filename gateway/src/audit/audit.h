#pragma once
// What `passerelle audit verify` checks, offline, from the gateway's own files:
// the ledger chain, every stored batch (signature and payload digest), and
// every receipt (the counterpart's signature on it).

#include "party/gateway.h"

#include <optional>
#include <string>
#include <vector>

namespace passerelle::exchange {

struct AuditFinding {
    std::string what;     // e.g. "ledger", "outbox batch 3f…", "receipt for batch 3f…"
    std::string problem;  // why it does not verify
};

struct AuditReport {
    std::uint64_t ledgerEntries = 0;
    std::string ledgerRoot;  // Merkle root recomputed from the entries, hex
    std::uint64_t ownCheckpoints = 0;
    std::uint64_t peerCheckpoints = 0;
    std::uint64_t batchesChecked = 0;
    std::uint64_t receiptsChecked = 0;
    std::uint64_t batchesElsewhere = 0;  // files in another instance's state folder: audited there
    std::vector<AuditFinding> findings;  // in the order found; the first is the one to look at
    bool intact() const { return findings.empty(); }
};

AuditReport auditGateway(Gateway& gateway);

// Checks a sealed batch folder without opening it: the manifest's signature by
// its sender, with the key its manifest names (current or retired, valid at its
// created_at, as `keys` knows it), and the payload's digest. Throws BatchError naming the problem.
void checkStoredBatch(const std::filesystem::path& batchDir, const std::string& sender,
                      const ledger::KeyResolver& keys);

}  // namespace passerelle::exchange
