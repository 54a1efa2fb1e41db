#include "store/instance_locks.h"

namespace passerelle::store {

std::optional<ExclusiveLock> InstanceLocks::takeExclusive(const std::string& name, bool wait) {
    try {
        return db_->sessionLock(name, wait);
    } catch (const db::DatabaseError& e) {
        throw StoreError("state store " + db_->name() + ": cannot take the lock '" + name + "': " + e.what());
    }
}

std::optional<ExclusiveLock> InstanceLocks::tryExclusive(const std::string& name) { return takeExclusive(name, false); }

ExclusiveLock InstanceLocks::exclusive(const std::string& name) { return std::move(*takeExclusive(name, true)); }

}  // namespace passerelle::store
