#pragma once
// Browser sessions of the console: the login form trades the token for a
// random session id, kept server-side only, that the browser holds in an
// HttpOnly, SameSite=Strict cookie. A session lapses after a quiet period.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace passerelle::console {

class SessionRegistry {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::minutes kIdleLimit{30};
    static constexpr std::size_t kMaxSessions = 64;  // bounds memory if someone logs in in a loop

    // A new session id (32 random bytes, hex).
    std::string open();
    // True when the id names a live session; extends it.
    bool touch(const std::string& id);
    void close(const std::string& id);

private:
    void dropExpired(Clock::time_point now);

    std::mutex mutex_;
    std::map<std::string, Clock::time_point> expiry_;
};

}  // namespace passerelle::console
