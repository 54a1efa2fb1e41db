// Eight threads updating and scraping at once: no increment is lost and every
// scrape in between is well formed.

#include "exposition_checker.h"
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace passerelle::metrics {
namespace {

using testing::expositionProblem;
using testing::renderChecked;

constexpr int kThreads = 8;
constexpr int kPerThread = 100'000;

TEST(Concurrency, IncrementsFromEightThreadsSumExactly) {
    Registry registry;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&registry, &go, t] {
            // Every thread registers and looks up for itself, as separate call sites would.
            auto& shared =
                registry.counter("passerelle_requests_total", "Requests", {"peer"}).labels({"shared"});
            auto& own = registry.counter("passerelle_requests_total", "Requests", {"peer"})
                            .labels({"peer-" + std::to_string(t)});
            auto& busy = registry.counter("passerelle_busy_seconds_total", "Busy").labels();
            auto& level = registry.gauge("passerelle_level", "Level").labels();
            auto& latency =
                registry.histogram("passerelle_latency_seconds", "Latency", {}, {0.5, 1.5}).labels();
            while (!go) std::this_thread::yield();
            for (int i = 0; i < kPerThread; ++i) {
                shared.inc();
                own.inc();
                busy.add(0.5);
                level.add(i % 2 == 0 ? 1 : -1);
                latency.observe(static_cast<double>(i % 3));  // 0, 1, 2
            }
        });
    }
    std::atomic<bool> done{false};
    std::thread scraper([&] {
        while (!go) std::this_thread::yield();
        while (!done) {
            const std::string text = registry.render();
            const std::string problem = expositionProblem(text);
            ASSERT_EQ(problem, "") << text;
        }
    });
    go = true;
    for (auto& thread : threads) thread.join();
    done = true;
    scraper.join();

    const std::uint64_t total = std::uint64_t{kThreads} * kPerThread;
    auto& requests = registry.counter("passerelle_requests_total", "Requests", {"peer"});
    EXPECT_EQ(requests.labels({"shared"}).value(), static_cast<double>(total));
    for (int t = 0; t < kThreads; ++t) {
        EXPECT_EQ(requests.labels({"peer-" + std::to_string(t)}).value(), kPerThread);
    }
    EXPECT_EQ(registry.counter("passerelle_busy_seconds_total", "Busy").labels().value(), total * 0.5);
    EXPECT_EQ(registry.gauge("passerelle_level", "Level").labels().value(), 0);

    const Histogram::Snapshot latency =
        registry.histogram("passerelle_latency_seconds", "Latency", {}, {0.5, 1.5}).labels().snapshot();
    EXPECT_EQ(latency.count, total);
    EXPECT_EQ(latency.cumulativeCounts.back(), latency.count);
    // i % 3 over 100000 values: 33334 zeros, 33333 ones, 33333 twos per thread.
    EXPECT_EQ(latency.cumulativeCounts, (std::vector<std::uint64_t>{8 * 33334, 8 * 66667, total}));
    EXPECT_EQ(latency.sum, 8.0 * (33333 * 1 + 33333 * 2));

    const std::string text = renderChecked(registry);
    EXPECT_NE(text.find("passerelle_requests_total{peer=\"shared\"} 800000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("passerelle_latency_seconds_count 800000\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace passerelle::metrics
