#pragma once
// Locks across gateway instances sharing one PostgreSQL database (a session-level
// advisory lock); on SQLite, whose instances share one host, an empty lock.
#include "store/table_access.h"

#include <optional>
#include <string>

namespace passerelle::store {

// Held while a process does something no other instance may do at the same time
// (run a scheduled job, commit a received batch): a PostgreSQL session-level
// advisory lock on a connection of its own (db::Database::sessionLock); on SQLite,
// whose instances share one host, nothing (callers hold their file locks).
// Released when destroyed.
using ExclusiveLock = db::Database::SessionLock;

class InstanceLocks : TableAccess {
public:
    explicit InstanceLocks(std::shared_ptr<db::Database> database) : TableAccess(std::move(database)) {}

    // Tries to take the lock named `name` for as long as the result lives; nullopt
    // when another instance holds it. On SQLite, always an (empty) lock.
    std::optional<ExclusiveLock> tryExclusive(const std::string& name);
    // Waits for the lock named `name`.
    ExclusiveLock exclusive(const std::string& name);

private:
    std::optional<ExclusiveLock> takeExclusive(const std::string& name, bool wait);
};

}  // namespace passerelle::store
