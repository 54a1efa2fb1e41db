#include "console/console_session.h"

#include <algorithm>

#include "console/access_token.h"

namespace passerelle::console {

std::string SessionRegistry::open() {
    const auto now = Clock::now();
    std::string id = randomHex(32);
    std::lock_guard lock(mutex_);
    dropExpired(now);
    if (expiry_.size() >= kMaxSessions) {
        // The session closest to lapsing gives way.
        expiry_.erase(std::min_element(expiry_.begin(), expiry_.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
    expiry_[id] = now + kIdleLimit;
    return id;
}

bool SessionRegistry::touch(const std::string& id) {
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    dropExpired(now);
    const auto it = expiry_.find(id);
    if (it == expiry_.end()) return false;
    it->second = now + kIdleLimit;
    return true;
}

void SessionRegistry::close(const std::string& id) {
    std::lock_guard lock(mutex_);
    expiry_.erase(id);
}

void SessionRegistry::dropExpired(Clock::time_point now) {
    std::erase_if(expiry_, [now](const auto& s) { return s.second <= now; });
}

}  // namespace passerelle::console
