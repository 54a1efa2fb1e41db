#pragma once
// Retention's record that it blanked ledger entries (Operation::LedgerPurged,
// docs/ledger.md): which entries retention never blanks (they account for what is
// gone), the reason it writes, which names the last entry it covers, and reading
// that reason back. The verifier alarms on blanked bytes no such entry accounts for.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/entry.h"

namespace passerelle::ledger {

// Whether retention keeps this entry's bytes (payload-purged and ledger-purged entries).
bool keptByRetention(const LedgerEntry& entry);

// "entry bytes older than DAYS days blanked through entry N; their hashes remain".
std::string ledgerPurgeReason(std::uint32_t retentionDays, std::uint64_t throughIndex);

// What a ledger-purged entry's reason says. Entries written before the reason named
// its last entry say only the days (throughIndex 0).
struct PurgeRecord {
    std::uint32_t days = 0;
    std::uint64_t throughIndex = 0;
};
// nullopt when `reason` is not one ledgerPurgeReason writes (or wrote).
std::optional<PurgeRecord> parsePurgeReason(std::string_view reason);

}  // namespace passerelle::ledger
