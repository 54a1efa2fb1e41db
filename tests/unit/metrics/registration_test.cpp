// Declaring metrics: names Prometheus accepts, idempotent registration, and
// mistakes refused with a message that names the metric.

#include "exposition_checker.h"
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>

namespace passerelle::metrics {
namespace {

using testing::renderChecked;

// The message of the std::invalid_argument that f throws, or "" if none.
template <class F>
std::string refusal(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(Registration, RefusesInvalidMetricNamesNamingThem) {
    Registry registry;
    for (const std::string name :
         {"passerelle-batches", "1batches", "", "batches sent", "batches{x}", "été_total"}) {
        const std::string message = refusal([&] { registry.counter(name, "help"); });
        EXPECT_NE(message.find("\"" + name + "\""), std::string::npos)
            << "for \"" << name << "\": " << message;
    }
    EXPECT_EQ(renderChecked(registry), "") << "nothing was registered";
    EXPECT_EQ(refusal([&] { registry.counter("ok:recording_rule_total", "colons are allowed"); }), "");
    EXPECT_EQ(refusal([&] { registry.gauge("_leading_underscore", "allowed"); }), "");
}

TEST(Registration, RefusesInvalidLabelNamesNamingThem) {
    Registry registry;
    for (const std::string label : {"peer-id", "1peer", "", "peer:id", "__reserved"}) {
        const std::string message = refusal([&] { registry.gauge("passerelle_peer_up", "help", {label}); });
        EXPECT_NE(message.find("\"" + label + "\""), std::string::npos)
            << "for \"" << label << "\": " << message;
        EXPECT_NE(message.find("passerelle_peer_up"), std::string::npos) << message;
    }
    EXPECT_NE(refusal([&] { registry.counter("passerelle_x_total", "help", {"peer", "peer"}); }), "");
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_x_seconds", "help", {"le"}, {1}); }), "");
    EXPECT_NE(refusal([&] {
                  (void)registry.gaugeCallback("passerelle_depth", "help", {"bad-label"},
                                               [] { return CallbackSamples{}; });
              }),
              "");
    EXPECT_EQ(renderChecked(registry), "");
}

TEST(Registration, SameNameTypeAndLabelsGivesTheSameFamily) {
    Registry registry;
    auto& first = registry.counter("passerelle_batches_sent_total", "Batches", {"peer"});
    auto& second = registry.counter("passerelle_batches_sent_total", "Batches", {"peer"});
    EXPECT_EQ(&first, &second);
    first.labels({"a"}).inc();
    second.labels({"a"}).inc();
    EXPECT_EQ(&first.labels({"a"}), &second.labels({"a"})) << "the child is shared too";
    EXPECT_EQ(first.labels({"a"}).value(), 2);

    auto& h1 = registry.histogram("passerelle_send_seconds", "Send", {}, {0.1, 1});
    auto& h2 = registry.histogram("passerelle_send_seconds", "Send", {},
                                  {0.1, 1, std::numeric_limits<double>::infinity()});
    EXPECT_EQ(&h1, &h2) << "a trailing +Inf is implied anyway";
    renderChecked(registry);
}

TEST(Registration, SameNameWithAnotherTypeOrLabelsIsRefused) {
    Registry registry;
    registry.counter("passerelle_batches_total", "Batches", {"peer"});
    const std::string asGauge =
        refusal([&] { registry.gauge("passerelle_batches_total", "Batches", {"peer"}); });
    EXPECT_NE(asGauge.find("passerelle_batches_total"), std::string::npos) << asGauge;
    EXPECT_NE(asGauge.find("counter"), std::string::npos) << asGauge;
    EXPECT_NE(refusal([&] { registry.counter("passerelle_batches_total", "Batches", {"purpose"}); }), "");
    EXPECT_NE(refusal([&] { registry.counter("passerelle_batches_total", "Batches"); }), "");
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_batches_total", "Batches", {"peer"}, {1}); }), "");
    EXPECT_NE(refusal([&] {
                  (void)registry.gaugeCallback("passerelle_batches_total", "Batches", {"peer"},
                                               [] { return CallbackSamples{}; });
              }),
              "");

    registry.histogram("passerelle_send_seconds", "Send", {}, {0.1, 1});
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_send_seconds", "Send", {}, {0.1, 2}); }), "");

    registry.gauge("passerelle_depth", "Depth");
    EXPECT_NE(refusal([&] {
                  (void)registry.gaugeCallback("passerelle_depth", "Depth", {},
                                               [] { return CallbackSamples{}; });
              }),
              "")
        << "a plain gauge and a callback gauge cannot share a name";
    renderChecked(registry);
}

TEST(Registration, RefusesBadHistogramBounds) {
    Registry registry;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_a_seconds", "a", {}, {1, 1}); }), "");
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_a_seconds", "a", {}, {2, 1}); }), "");
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_a_seconds", "a", {}, {1, nan}); }), "");
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_a_seconds", "a", {}, {-inf, 1}); }), "");
    EXPECT_NE(refusal([&] { registry.histogram("passerelle_a_seconds", "a", {}, {inf, 1}); }), "");
    const std::string message = refusal([&] {
        registry.histogram("passerelle_b_seconds", "b", {}, {5, 0.5});
    });
    EXPECT_NE(message.find("passerelle_b_seconds"), std::string::npos) << message;
    EXPECT_EQ(renderChecked(registry), "");
    EXPECT_EQ(exponentialBuckets(0.5, 2, 4), (std::vector<double>{0.5, 1, 2, 4}));
    EXPECT_THROW(exponentialBuckets(0, 2, 4), std::invalid_argument);
}

TEST(Registration, WrongNumberOfLabelValuesIsRefused) {
    Registry registry;
    auto& family = registry.counter("passerelle_records_total", "Records", {"purpose", "outcome"});
    const std::string message = refusal([&] { family.labels({"survey"}); });
    EXPECT_NE(message.find("passerelle_records_total"), std::string::npos) << message;
    EXPECT_NE(refusal([&] { family.labels(); }), "");
    EXPECT_NE(refusal([&] { registry.counter("passerelle_plain_total", "Plain").labels({"x"}); }), "");
    renderChecked(registry);
}

TEST(Registration, ProcessWideRegistryIsOneInstance) {
    EXPECT_EQ(&registry(), &registry());
    auto& family = registry().counter("passerelle_unit_test_probe_total", "Only in this test binary");
    family.labels().inc();
    EXPECT_NE(renderChecked(registry()).find("passerelle_unit_test_probe_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace passerelle::metrics
