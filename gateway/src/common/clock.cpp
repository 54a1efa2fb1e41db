#include "common/clock.h"

#include <ctime>

namespace passerelle {

std::string formatUtc(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<std::chrono::system_clock::time_point> parseUtc(const std::string& text) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
    // A peer may write any year: past about +-292 years from 1970 the clock's
    // nanoseconds would overflow (undefined behaviour), so such a time is refused.
    const std::time_t seconds = timegm(&tm);
    constexpr auto kLimit =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count();
    if (seconds >= kLimit || seconds <= -kLimit) return std::nullopt;
    const auto t = std::chrono::system_clock::from_time_t(seconds);
    // Only formatUtc's own form: strptime also takes 2026-2-3T4:5:6Z, and timegm
    // turns 2026-02-30 into March; neither gives the same text back.
    if (formatUtc(t) != text) return std::nullopt;
    return t;
}

}  // namespace passerelle
