#pragma once
// Time is injected so tests can fix it; production uses SystemClock.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace passerelle {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

// RFC 3339 UTC with seconds, e.g. 2026-11-29T08:36:38Z.
std::string formatUtc(std::chrono::system_clock::time_point t);
// The inverse of formatUtc; nullopt when the text is not exactly in that form.
std::optional<std::chrono::system_clock::time_point> parseUtc(const std::string& text);
// Unix seconds, the outbox's and the scheduler's unit.
inline std::int64_t unixSeconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace passerelle
