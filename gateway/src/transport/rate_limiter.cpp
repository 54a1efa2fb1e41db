#include "transport/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

namespace passerelle::transport {
namespace {

std::chrono::steady_clock::duration ticks(double seconds) {
    const auto count = std::llround(seconds * static_cast<double>(std::chrono::steady_clock::period::den) /
                                    static_cast<double>(std::chrono::steady_clock::period::num));
    return std::chrono::steady_clock::duration(count);
}

}  // namespace

RateLimiter::RateLimiter(double ratePerSecond, double burst, Clock clock, std::size_t maxKeys)
    : unlimited_(ratePerSecond == 0.0), clock_(std::move(clock)), maxKeys_(maxKeys) {
    if (!std::isfinite(ratePerSecond) || ratePerSecond < 0.0) {
        throw std::invalid_argument("rate limit: ratePerSecond must be a finite number >= 0 (0 = unlimited)");
    }
    if (unlimited_) return;
    if (!std::isfinite(burst) || burst < 1.0) {
        throw std::invalid_argument(
            "rate limit: burst must be a finite number >= 1, or no request would pass");
    }
    if (!clock_) throw std::invalid_argument("rate limit: a clock is needed");
    if (maxKeys_ == 0) throw std::invalid_argument("rate limit: maxKeys must be at least 1");
    // At least one tick, so an absurd rate still limits instead of dividing by zero.
    interval_ = std::max(ticks(1.0 / ratePerSecond), Duration(1));
    tolerance_ = ticks((burst - 1.0) * std::chrono::duration<double>(interval_).count());
}

RateLimiter::Decision RateLimiter::take(const std::string& key) {
    if (unlimited_) return {true, std::chrono::milliseconds(0)};
    const TimePoint now = clock_();
    std::lock_guard lock(mutex_);
    auto it = fullAt_.find(key);
    const TimePoint fullAt = it == fullAt_.end() ? now : std::max(it->second, now);
    if (fullAt - now > tolerance_) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(fullAt - now - tolerance_);
        return {false, wait};
    }
    if (it == fullAt_.end()) {
        if (fullAt_.size() >= maxKeys_) forgetSome(now);
        fullAt_.emplace(key, fullAt + interval_);
    } else {
        it->second = fullAt + interval_;
    }
    return {true, std::chrono::milliseconds(0)};
}

std::size_t RateLimiter::trackedKeys() const {
    std::lock_guard lock(mutex_);
    return fullAt_.size();
}

// Called with the map at maxKeys, before adding one. Forgets every full
// bucket; if that leaves the map more than three quarters full, forgets the
// buckets closest to full down to three quarters, so the next sweep is at
// least maxKeys/4 new keys away and the cost stays constant per key.
void RateLimiter::forgetSome(TimePoint now) {
    std::erase_if(fullAt_, [now](const auto& entry) { return entry.second <= now; });
    const std::size_t target = maxKeys_ - maxKeys_ / 4 - 1;  // leaves room for the key being added
    if (fullAt_.size() <= target) return;
    std::vector<std::pair<TimePoint, std::string>> byFullAt;
    byFullAt.reserve(fullAt_.size());
    for (const auto& [key, fullAt] : fullAt_) byFullAt.emplace_back(fullAt, key);
    const std::size_t excess = fullAt_.size() - target;
    std::nth_element(byFullAt.begin(), byFullAt.begin() + static_cast<std::ptrdiff_t>(excess - 1),
                     byFullAt.end());
    for (std::size_t i = 0; i < excess; ++i) fullAt_.erase(byFullAt[i].second);
}

}  // namespace passerelle::transport
