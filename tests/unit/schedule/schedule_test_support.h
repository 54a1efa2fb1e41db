#pragma once
// Instants written as RFC 3339 UTC strings, so expectations read like the
// hand computations in the comments beside them.

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/errors.h"

namespace passerelle::schedule::testing {

// "2026-03-29T01:00:00Z"
inline std::chrono::sys_seconds utc(std::string_view text) {
    int year = 0;
    unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (std::sscanf(std::string(text).c_str(), "%d-%u-%uT%u:%u:%uZ", &year, &month, &day, &hour, &minute,
                    &second) != 6) {
        throw std::invalid_argument("bad test instant " + std::string(text));
    }
    using namespace std::chrono;
    return sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}} +
           hours{hour} + minutes{minute} + seconds{second};
}

inline std::string iso(std::chrono::sys_seconds t) { return formatUtc(t); }

// A Paris (or any zone's) wall time: "2026-03-29 02:30".
inline std::chrono::local_seconds wall(std::string_view text) {
    int year = 0;
    unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
    const int n = std::sscanf(std::string(text).c_str(), "%d-%u-%u %u:%u:%u", &year, &month, &day, &hour,
                              &minute, &second);
    if (n < 5) throw std::invalid_argument("bad test wall time " + std::string(text));
    using namespace std::chrono;
    return local_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}} +
           hours{hour} + minutes{minute} + seconds{second};
}

// The ConfigError message `f` throws, or "<no error>".
template <typename F>
std::string configErrorOf(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace passerelle::schedule::testing
