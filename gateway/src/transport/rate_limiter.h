#pragma once
// Per-peer token buckets: each key may spend `burst` requests at once, then
// `ratePerSecond` on average. Kept as one "theoretical arrival time" per key
// (GCRA), in integer clock ticks, so refill and retry-after are exact.
//
// A key whose bucket is full has nothing worth remembering: it is forgotten
// once more than maxKeys are held, so a flood of distinct keys cannot grow
// memory without bound. If the flood leaves more than maxKeys buckets not
// yet full, the ones closest to full are forgotten first (their owners get
// a full bucket a little early; nothing else changes).

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace passerelle::transport {

class RateLimiter {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    struct Decision {
        bool allowed;
        // When refused: how long until one token is available (rounded up,
        // so retrying after it succeeds). Zero when allowed.
        std::chrono::milliseconds retryAfter;
    };

    // ratePerSecond 0 means unlimited. Otherwise burst must be at least 1.
    // Throws std::invalid_argument on a negative, NaN or infinite setting.
    RateLimiter(double ratePerSecond, double burst, Clock clock = std::chrono::steady_clock::now,
                std::size_t maxKeys = 10'000);

    // Spends one token of this key's bucket if it has one. Thread-safe.
    Decision take(const std::string& key);

    // Buckets currently remembered (full ones may already be forgotten).
    std::size_t trackedKeys() const;

private:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::steady_clock::duration;

    void forgetSome(TimePoint now);

    bool unlimited_;
    Duration interval_{};   // time to earn one token
    Duration tolerance_{};  // (burst - 1) intervals: how far ahead of the clock a key may run
    Clock clock_;
    std::size_t maxKeys_;

    mutable std::mutex mutex_;
    // Theoretical arrival time: when the bucket is full again. At or before
    // now means full, the same as having no entry.
    std::unordered_map<std::string, TimePoint> fullAt_;
};

}  // namespace passerelle::transport
