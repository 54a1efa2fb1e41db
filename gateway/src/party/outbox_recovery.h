#pragma once
// What a killed process leaves behind, found and cleared at the next start:
// an outbox folder being sealed when the process died (no outbox row, its
// sealing lock free), its pseudonym index, and the Region's half-received
// staging folders. Nothing that was promised is touched: a batch with an
// outbox row stays; a batch in the Region's inbox stays.

#include "common/file_lock.h"
#include "party/gateway.h"

#include <unistd.h>

#include <cstddef>

namespace passerelle::exchange {

// The lock file a batch folder holds while it is being sealed.
inline constexpr const char* kSealingLock = ".sealing";
// The name a batch folder is made under, with its lock, before it takes its own
// name: it names the making process, so one left by a killed process is known.
inline std::filesystem::path sealingFolderOf(const std::filesystem::path& batchDir) {
    return batchDir.string() + FileLock::kTemporaryMark + std::to_string(::getpid());
}
// The lock a Region's half-received batch folder holds, beside it.
inline std::filesystem::path stagingLockOf(const std::filesystem::path& stagingDir) {
    return stagingDir.string() + ".lock";
}

struct RecoveryReport {
    std::size_t discardedBatches = 0;  // sealed or half-sealed batches that never entered the outbox
    std::size_t stagingFolders = 0;    // Region: partial incoming batches
};

// Safe while other processes work on the same state: a folder still locked by
// a live process is left alone.
RecoveryReport recoverInterrupted(Gateway& gateway);

}  // namespace passerelle::exchange
