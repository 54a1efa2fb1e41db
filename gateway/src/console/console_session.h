#pragma once
// Browser sessions of the console: the login form trades the token for a
// random session id, kept server-side only, that the browser holds in an
// HttpOnly, SameSite=Strict cookie. A session lapses after a quiet period, and
// ends at its lifetime after login whatever the activity ([console]
// session_hours), so a forgotten browser does not stay logged in for days.
// Each session has its own anti-forgery (CSRF) token, which the page sends
// back with every state-changing request.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace passerelle::console {

class SessionRegistry {
public:
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;
    static constexpr std::chrono::minutes kIdleLimit{30};
    static constexpr std::chrono::hours kDefaultLifetime{8};
    static constexpr std::size_t kMaxSessions = 64;  // bounds memory if someone logs in in a loop

    // `now` is injected by tests; the console uses the steady clock.
    explicit SessionRegistry(std::chrono::hours lifetime = kDefaultLifetime, Now now = Clock::now);

    struct Opened {
        std::string id;         // 32 random bytes, hex: the cookie's value
        std::string csrfToken;  // 32 random bytes, hex: what the page sends back
    };
    Opened open();
    // The session's CSRF token when the id names a live session, which is then
    // extended by the idle limit (never past its lifetime); nullopt otherwise.
    std::optional<std::string> touch(const std::string& id);
    void close(const std::string& id);

private:
    struct Session {
        Clock::time_point idleUntil;
        Clock::time_point endsAt;  // login + lifetime
        std::string csrfToken;
    };
    void dropExpired(Clock::time_point now);

    std::chrono::hours lifetime_;
    Now now_;
    std::mutex mutex_;
    std::map<std::string, Session> sessions_;
};

}  // namespace passerelle::console
