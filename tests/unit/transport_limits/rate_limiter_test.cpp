// Per-peer rate limiting on an injected clock: what a peer sending too fast
// is told, and that a flood of distinct keys cannot exhaust memory.

#include "transport/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace passerelle::transport {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// A steady clock that moves only when the test says so.
class FakeClock {
public:
    RateLimiter::Clock function() {
        return [this] { return now_; };
    }
    void advance(std::chrono::steady_clock::duration d) { now_ += d; }

private:
    std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

TEST(RateLimiter, AllowsTheBurstThenRefuses) {
    FakeClock clock;
    RateLimiter limiter(2.0, 5.0, clock.function());
    for (int i = 0; i < 5; ++i) {
        const auto decision = limiter.take("region-occitanie");
        EXPECT_TRUE(decision.allowed) << "request " << i << " is within the burst";
        EXPECT_EQ(decision.retryAfter, 0ms);
    }
    const auto refused = limiter.take("region-occitanie");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retryAfter, 500ms) << "one token every 500 ms at 2 per second";
}

TEST(RateLimiter, RefillsOverTimeUpToTheBurst) {
    FakeClock clock;
    RateLimiter limiter(10.0, 3.0, clock.function());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.take("peer").allowed);
    ASSERT_FALSE(limiter.take("peer").allowed);

    clock.advance(100ms);  // one token
    EXPECT_TRUE(limiter.take("peer").allowed);
    EXPECT_FALSE(limiter.take("peer").allowed);

    clock.advance(250ms);  // two and a half tokens
    EXPECT_TRUE(limiter.take("peer").allowed);
    EXPECT_TRUE(limiter.take("peer").allowed);
    const auto refused = limiter.take("peer");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retryAfter, 50ms) << "half a token earned, half still to wait";

    clock.advance(1h);  // a long idle time refills to the burst, not beyond
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("peer").allowed) << i;
    EXPECT_FALSE(limiter.take("peer").allowed);
}

TEST(RateLimiter, RetryAfterIsExactAndShrinksAsTimePasses) {
    FakeClock clock;
    RateLimiter limiter(2.0, 2.0, clock.function());
    ASSERT_TRUE(limiter.take("peer").allowed);
    ASSERT_TRUE(limiter.take("peer").allowed);
    EXPECT_EQ(limiter.take("peer").retryAfter, 500ms);
    EXPECT_EQ(limiter.take("peer").retryAfter, 500ms) << "a refused request costs nothing";
    clock.advance(200ms);
    EXPECT_EQ(limiter.take("peer").retryAfter, 300ms);
    clock.advance(299ms);
    EXPECT_EQ(limiter.take("peer").retryAfter, 1ms);
    clock.advance(1ms);
    EXPECT_TRUE(limiter.take("peer").allowed) << "available exactly when announced";
}

TEST(RateLimiter, RetryingAfterRetryAfterAlwaysSucceeds) {
    // 3 per second does not divide a second into whole milliseconds: rounding must be up.
    FakeClock clock;
    RateLimiter limiter(3.0, 1.0, clock.function());
    ASSERT_TRUE(limiter.take("peer").allowed);
    for (int round = 0; round < 10; ++round) {
        const auto refused = limiter.take("peer");
        ASSERT_FALSE(refused.allowed) << round;
        EXPECT_EQ(refused.retryAfter, 334ms) << round;
        clock.advance(refused.retryAfter - 1ms);
        EXPECT_FALSE(limiter.take("peer").allowed) << "not before: " << round;
        clock.advance(1ms);
        EXPECT_TRUE(limiter.take("peer").allowed) << round;
    }
}

TEST(RateLimiter, KeysAreIndependent) {
    FakeClock clock;
    RateLimiter limiter(1.0, 2.0, clock.function());
    EXPECT_TRUE(limiter.take("caf-herault").allowed);
    EXPECT_TRUE(limiter.take("caf-herault").allowed);
    EXPECT_FALSE(limiter.take("caf-herault").allowed);
    EXPECT_TRUE(limiter.take("region-occitanie").allowed) << "another peer's bucket is untouched";
    EXPECT_TRUE(limiter.take("region-occitanie").allowed);
    EXPECT_FALSE(limiter.take("region-occitanie").allowed);
}

TEST(RateLimiter, ZeroRateIsUnlimited) {
    int clockReads = 0;
    RateLimiter limiter(0.0, 0.0, [&clockReads] {
        ++clockReads;
        return std::chrono::steady_clock::time_point{};
    });
    for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(limiter.take("peer-" + std::to_string(i % 7)).allowed);
    EXPECT_EQ(limiter.take("peer").retryAfter, 0ms);
    EXPECT_EQ(limiter.trackedKeys(), 0u) << "nothing is remembered";
    EXPECT_EQ(clockReads, 0);
}

TEST(RateLimiter, RefusesSettingsThatMakeNoSense) {
    EXPECT_THROW(RateLimiter(-1.0, 5.0), std::invalid_argument);
    EXPECT_THROW(RateLimiter(std::numeric_limits<double>::quiet_NaN(), 5.0), std::invalid_argument);
    EXPECT_THROW(RateLimiter(std::numeric_limits<double>::infinity(), 5.0), std::invalid_argument);
    EXPECT_THROW(RateLimiter(1.0, 0.5), std::invalid_argument)
        << "a burst under one token lets nothing through";
    EXPECT_THROW(RateLimiter(1.0, 5.0, nullptr), std::invalid_argument);
    EXPECT_NO_THROW(RateLimiter(1.0, 1.0));
}

TEST(RateLimiter, AFloodOfDistinctKeysStaysBounded) {
    FakeClock clock;
    RateLimiter limiter(1.0, 3.0, clock.function());  // default bound: 10,000 keys
    for (int i = 0; i < 50'000; ++i) {
        ASSERT_TRUE(limiter.take("flood-" + std::to_string(i)).allowed);
        ASSERT_LE(limiter.trackedKeys(), 10'000u);
        if (i % 100 == 0) clock.advance(1ms);
    }
    EXPECT_LE(limiter.trackedKeys(), 10'000u);
}

TEST(RateLimiter, ForgettingFullBucketsChangesNothingForTheirOwners) {
    FakeClock clock;
    RateLimiter limiter(1.0, 2.0, clock.function(), 100);
    ASSERT_TRUE(limiter.take("busy-peer").allowed);
    ASSERT_TRUE(limiter.take("busy-peer").allowed);
    ASSERT_FALSE(limiter.take("busy-peer").allowed);
    for (int i = 0; i < 99; ++i) ASSERT_TRUE(limiter.take("idle-" + std::to_string(i)).allowed);
    EXPECT_EQ(limiter.trackedKeys(), 100u);

    // After a second every idle bucket is full again; the busy peer has earned one token only.
    clock.advance(1s);
    EXPECT_TRUE(limiter.take("newcomer").allowed);
    EXPECT_LE(limiter.trackedKeys(), 3u) << "the full idle buckets were forgotten to make room";
    EXPECT_TRUE(limiter.take("busy-peer").allowed);
    EXPECT_FALSE(limiter.take("busy-peer").allowed) << "the busy peer was remembered, not reset";
    EXPECT_TRUE(limiter.take("idle-0").allowed) << "a forgotten key starts with a full bucket, as it had";
    EXPECT_TRUE(limiter.take("idle-0").allowed);
    EXPECT_FALSE(limiter.take("idle-0").allowed);
}

TEST(RateLimiter, UnderPressureTheBucketsClosestToFullGoFirst) {
    FakeClock clock;
    RateLimiter limiter(1.0, 1.0, clock.function(), 4);
    ASSERT_TRUE(limiter.take("hammering").allowed);
    ASSERT_FALSE(limiter.take("hammering").allowed);
    clock.advance(100ms);
    ASSERT_TRUE(limiter.take("b").allowed);
    clock.advance(100ms);
    ASSERT_TRUE(limiter.take("c").allowed);
    clock.advance(100ms);
    ASSERT_TRUE(limiter.take("d").allowed);
    // Four keys, none full; a fifth forces the oldest ones (closest to full) out.
    ASSERT_TRUE(limiter.take("e").allowed);
    EXPECT_LE(limiter.trackedKeys(), 4u);
    EXPECT_TRUE(limiter.take("hammering").allowed) << "the key nearest to full was the one forgotten";
    EXPECT_FALSE(limiter.take("d").allowed) << "recent keys are still limited";
    EXPECT_FALSE(limiter.take("e").allowed);
}

TEST(RateLimiter, ConcurrentTakesNeverExceedTheBurst) {
    FakeClock clock;  // the clock stands still: only the burst can be spent
    RateLimiter limiter(1.0, 1000.0, clock.function());
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                if (limiter.take("peer").allowed) ++allowed;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace passerelle::transport
