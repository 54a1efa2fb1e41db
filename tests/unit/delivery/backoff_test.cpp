// The pause between delivery attempts: doubling from the initial pause up to
// the ceiling, each drawn in the upper half of its step so retries spread out.

#include "send/batch_delivery.h"

#include <gtest/gtest.h>

#include <set>

namespace passerelle::exchange {
namespace {

TEST(Backoff, DoublesUpToTheCeilingWithJitterInTheUpperHalf) {
    config::DeliverySettings settings;
    settings.initialBackoffSeconds = 4;
    settings.maxBackoffSeconds = 100;
    // failed attempts -> the step before jitter
    const std::vector<std::pair<std::uint32_t, std::int64_t>> steps = {
        {1, 4}, {2, 8}, {3, 16}, {4, 32}, {5, 64}, {6, 100}, {7, 100}, {40, 100}};
    for (const auto& [failures, step] : steps) {
        std::set<std::int64_t> seen;
        for (int i = 0; i < 400; ++i) {
            const auto pause = backoffAfter(failures, settings).count();
            EXPECT_GE(pause, step / 2) << "after " << failures << " failures";
            EXPECT_LE(pause, step) << "after " << failures << " failures";
            seen.insert(pause);
        }
        EXPECT_GT(seen.size(), 1u) << "no jitter after " << failures << " failures";
    }
}

TEST(Backoff, NeverLessThanASecond) {
    config::DeliverySettings settings;
    settings.initialBackoffSeconds = 1;
    settings.maxBackoffSeconds = 1;
    for (int i = 0; i < 100; ++i) EXPECT_EQ(backoffAfter(1, settings).count(), 1);
    EXPECT_GE(backoffAfter(0, settings).count(), 1);
}

}  // namespace
}  // namespace passerelle::exchange
