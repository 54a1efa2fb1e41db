#include "store/instance_locks.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

using namespace Poco::Data::Keywords;

namespace passerelle::store {

ExclusiveLock::ExclusiveLock(std::unique_ptr<Poco::Data::Session> session, std::int64_t key)
    : session_(std::move(session)), key_(key) {}

ExclusiveLock::ExclusiveLock(ExclusiveLock&& other) noexcept
    : session_(std::move(other.session_)), key_(other.key_) {}

ExclusiveLock::~ExclusiveLock() {
    if (!session_) return;
    try {
        Poco::Int64 key = key_;
        bool released = false;
        *session_ << "SELECT pg_advisory_unlock($1)", use(key), into(released), now;
    } catch (const Poco::Exception&) {
        // The session is going back to the pool or away: a lost connection frees its locks.
    }
}

std::optional<ExclusiveLock> InstanceLocks::takeExclusive(const std::string& name, bool wait) {
    if (!db_->postgres()) return ExclusiveLock{};
    try {
        // A session of its own, out of the pool for as long as the lock is held.
        auto session = std::make_unique<Poco::Data::Session>(db_->withSession([](Poco::Data::Session& s) { return s; }));
        Poco::Int64 key = db::Database::lockKey(name);
        bool taken = false;
        *session << (wait ? "SELECT true FROM pg_advisory_lock($1)" : "SELECT pg_try_advisory_lock($1)"), use(key),
            into(taken), now;
        if (!taken) return std::nullopt;
        return ExclusiveLock(std::move(session), key);
    } catch (const Poco::Exception& e) {
        throw StoreError("state store " + db_->name() + ": cannot take the lock '" + name + "': " + db::describe(e));
    }
}

std::optional<ExclusiveLock> InstanceLocks::tryExclusive(const std::string& name) { return takeExclusive(name, false); }

ExclusiveLock InstanceLocks::exclusive(const std::string& name) { return std::move(*takeExclusive(name, true)); }

}  // namespace passerelle::store
