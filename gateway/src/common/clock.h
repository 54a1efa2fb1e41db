#pragma once
// Time is injected so tests can fix it; production uses SystemClock.

#include <chrono>
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

}  // namespace passerelle
