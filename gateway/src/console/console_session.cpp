#include "console/console_session.h"

#include <algorithm>

#include "common/random_id.h"
#include "console/access_token.h"

namespace passerelle::console {

SessionRegistry::SessionRegistry(std::chrono::hours lifetime, Now now) : lifetime_(lifetime), now_(std::move(now)) {}

SessionRegistry::Opened SessionRegistry::open() {
    const auto now = now_();
    Opened opened{randomHex(32), randomHex(32)};
    std::lock_guard lock(mutex_);
    dropExpired(now);
    if (sessions_.size() >= kMaxSessions) {
        // The session closest to lapsing gives way.
        sessions_.erase(std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
            return std::min(a.second.idleUntil, a.second.endsAt) < std::min(b.second.idleUntil, b.second.endsAt);
        }));
    }
    sessions_[opened.id] = Session{now + kIdleLimit, now + lifetime_, opened.csrfToken};
    return opened;
}

std::optional<std::string> SessionRegistry::touch(const std::string& id) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    dropExpired(now);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    it->second.idleUntil = now + kIdleLimit;
    return it->second.csrfToken;
}

void SessionRegistry::close(const std::string& id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

void SessionRegistry::dropExpired(Clock::time_point now) {
    std::erase_if(sessions_, [now](const auto& s) { return s.second.idleUntil <= now || s.second.endsAt <= now; });
}

}  // namespace passerelle::console
