// Gauges read at scrape time (queue depth from the database): fresh at every
// scrape, gone with their owner, and a failing source does not hide the rest.

#include "exposition_checker.h"
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace passerelle::metrics {
namespace {

using testing::renderChecked;

TEST(CallbackGauge, IsReadAtEachScrapeSortedByLabels) {
    Registry registry;
    int waiting = 4;
    const CallbackGauge depth =
        registry.gaugeCallback("passerelle_queue_depth", "Batches waiting to be sent", {"peer"}, [&waiting] {
            return CallbackSamples{{{"region-occitanie"}, static_cast<double>(waiting)},
                                   {{"caf-herault"}, 1.5}};
        });
    EXPECT_EQ(renderChecked(registry),
              "# HELP passerelle_queue_depth Batches waiting to be sent\n"
              "# TYPE passerelle_queue_depth gauge\n"
              "passerelle_queue_depth{peer=\"caf-herault\"} 1.5\n"
              "passerelle_queue_depth{peer=\"region-occitanie\"} 4\n");
    waiting = 0;
    EXPECT_NE(renderChecked(registry).find("passerelle_queue_depth{peer=\"region-occitanie\"} 0\n"),
              std::string::npos);
}

TEST(CallbackGauge, WithoutLabels) {
    Registry registry;
    const CallbackGauge depth =
        registry.gaugeCallback("passerelle_quarantined", "Records in quarantine", {}, [] {
            return CallbackSamples{{{}, 7}};
        });
    EXPECT_EQ(renderChecked(registry),
              "# HELP passerelle_quarantined Records in quarantine\n"
              "# TYPE passerelle_quarantined gauge\n"
              "passerelle_quarantined 7\n");
}

TEST(CallbackGauge, IsUnregisteredWhenItsHandleGoes) {
    Registry registry;
    {
        const CallbackGauge depth = registry.gaugeCallback("passerelle_queue_depth", "Depth", {}, [] {
            return CallbackSamples{{{}, 1}};
        });
        EXPECT_NE(renderChecked(registry), "");
    }
    EXPECT_EQ(renderChecked(registry), "");
    // The name is free again, e.g. for a server started a second time in the same process.
    CallbackGauge again = registry.gaugeCallback("passerelle_queue_depth", "Depth", {}, [] {
        return CallbackSamples{{{}, 2}};
    });
    CallbackGauge moved = std::move(again);
    EXPECT_NE(renderChecked(registry).find("passerelle_queue_depth 2\n"), std::string::npos)
        << "moving keeps it";
    moved = CallbackGauge();
    EXPECT_EQ(renderChecked(registry), "");
}

TEST(CallbackGauge, RegisteringTheSameNameTwiceIsRefused) {
    Registry registry;
    const CallbackGauge first =
        registry.gaugeCallback("passerelle_queue_depth", "Depth", {}, [] { return CallbackSamples{}; });
    EXPECT_THROW(
        (void)registry.gaugeCallback("passerelle_queue_depth", "Depth", {}, [] { return CallbackSamples{}; }),
        std::invalid_argument);
    EXPECT_THROW((void)registry.gaugeCallback("passerelle_other", "Other", {}, nullptr),
                 std::invalid_argument);
}

TEST(CallbackGauge, AFailingSourceLeavesOutOnlyItsOwnSamples) {
    Registry registry;
    registry.counter("passerelle_a_total", "A").labels().inc();
    const CallbackGauge broken =
        registry.gaugeCallback("passerelle_b_depth", "B", {}, []() -> CallbackSamples {
            throw std::runtime_error("database /var/lib/passerelle/state.db is locked");
        });
    registry.gauge("passerelle_c", "C").labels().set(3);
    const std::string text = renderChecked(registry);
    EXPECT_EQ(text,
              "# HELP passerelle_a_total A\n"
              "# TYPE passerelle_a_total counter\n"
              "passerelle_a_total 1\n"
              "# HELP passerelle_b_depth B\n"
              "# TYPE passerelle_b_depth gauge\n"
              "# passerelle_b_depth could not be read for this scrape; its samples are left out\n"
              "# HELP passerelle_c C\n"
              "# TYPE passerelle_c gauge\n"
              "passerelle_c 3\n");
    EXPECT_EQ(text.find("state.db"), std::string::npos) << "the exception text stays out of the scrape";
}

TEST(CallbackGauge, ABrokenCallbackContractIsAnError) {
    Registry registry;
    const CallbackGauge wrongCount = registry.gaugeCallback("passerelle_depth", "Depth", {"peer"}, [] {
        return CallbackSamples{{{"a", "extra"}, 1}};
    });
    EXPECT_THROW(registry.render(), std::invalid_argument);
    Registry other;
    const CallbackGauge repeated = other.gaugeCallback("passerelle_depth", "Depth", {"peer"}, [] {
        return CallbackSamples{{{"a"}, 1}, {{"a"}, 2}};
    });
    EXPECT_THROW(other.render(), std::invalid_argument);
}

TEST(CallbackGauge, DestroyingTheHandleWaitsForARunningScrape) {
    Registry registry;
    std::atomic<bool> inCallback{false};
    std::atomic<bool> released{false};
    auto handle = std::make_unique<CallbackGauge>(registry.gaugeCallback("passerelle_slow", "Slow", {}, [&] {
        inCallback = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_FALSE(released.load()) << "the owner went away while its callback ran";
        return CallbackSamples{{{}, 1}};
    }));
    std::thread scrape([&] { renderChecked(registry); });
    while (!inCallback) std::this_thread::yield();
    handle.reset();
    released = true;
    scrape.join();
}

}  // namespace
}  // namespace passerelle::metrics
