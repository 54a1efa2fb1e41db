// What a Prometheus scrape of /metrics reads: exact text, escaping, numbers
// Prometheus parses back, histogram buckets.

#include "exposition_checker.h"
#include "metrics/exposition.h"
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace passerelle::metrics {
namespace {

using testing::renderChecked;

TEST(Render, ExactTextOfASmallRegistry) {
    Registry registry;
    // Registered out of order: the scrape lists families by name.
    auto& latency =
        registry.histogram("passerelle_send_seconds", "Time to deliver one batch", {}, {0.1, 1, 10});
    registry.gauge("passerelle_queue_oldest_seconds", "Age of the oldest batch waiting to be sent")
        .labels()
        .set(12.5);
    auto& sent =
        registry.counter("passerelle_batches_sent_total", "Batches receipted by their recipient", {"peer"});
    sent.labels({"region-occitanie"}).inc(3);
    sent.labels({"caf-herault"}).inc();
    latency.labels().observe(0.25);
    latency.labels().observe(0.5);
    latency.labels().observe(20);

    EXPECT_EQ(renderChecked(registry),
              "# HELP passerelle_batches_sent_total Batches receipted by their recipient\n"
              "# TYPE passerelle_batches_sent_total counter\n"
              "passerelle_batches_sent_total{peer=\"caf-herault\"} 1\n"
              "passerelle_batches_sent_total{peer=\"region-occitanie\"} 3\n"
              "# HELP passerelle_queue_oldest_seconds Age of the oldest batch waiting to be sent\n"
              "# TYPE passerelle_queue_oldest_seconds gauge\n"
              "passerelle_queue_oldest_seconds 12.5\n"
              "# HELP passerelle_send_seconds Time to deliver one batch\n"
              "# TYPE passerelle_send_seconds histogram\n"
              "passerelle_send_seconds_bucket{le=\"0.1\"} 0\n"
              "passerelle_send_seconds_bucket{le=\"1\"} 2\n"
              "passerelle_send_seconds_bucket{le=\"10\"} 2\n"
              "passerelle_send_seconds_bucket{le=\"+Inf\"} 3\n"
              "passerelle_send_seconds_sum 20.75\n"
              "passerelle_send_seconds_count 3\n");
}

TEST(Render, EmptyRegistryIsEmptyText) {
    Registry registry;
    EXPECT_EQ(renderChecked(registry), "");
}

TEST(Render, UnlabelledFamilyReadsZeroBeforeItsFirstUpdate) {
    Registry registry;
    registry.counter("passerelle_restarts_total", "Restarts");
    registry.histogram("passerelle_seal_seconds", "Sealing time", {}, {1});
    EXPECT_EQ(renderChecked(registry),
              "# HELP passerelle_restarts_total Restarts\n"
              "# TYPE passerelle_restarts_total counter\n"
              "passerelle_restarts_total 0\n"
              "# HELP passerelle_seal_seconds Sealing time\n"
              "# TYPE passerelle_seal_seconds histogram\n"
              "passerelle_seal_seconds_bucket{le=\"1\"} 0\n"
              "passerelle_seal_seconds_bucket{le=\"+Inf\"} 0\n"
              "passerelle_seal_seconds_sum 0\n"
              "passerelle_seal_seconds_count 0\n");
}

TEST(Render, LabelledFamilyWithoutSeriesShowsOnlyHelpAndType) {
    Registry registry;
    registry.gauge("passerelle_peer_up", "Whether the peer answered its last health check", {"peer"});
    EXPECT_EQ(renderChecked(registry),
              "# HELP passerelle_peer_up Whether the peer answered its last health check\n"
              "# TYPE passerelle_peer_up gauge\n");
}

TEST(Render, ChildrenAreInLabelValueOrderWhateverTheOrderOfFirstUse) {
    Registry registry;
    auto& family = registry.counter("passerelle_records_total", "Records", {"purpose", "outcome"});
    family.labels({"survey", "sent"}).inc();
    family.labels({"outcome", "quarantined"}).inc(2);
    family.labels({"outcome", "sent"}).inc(3);
    const std::string text = renderChecked(registry);
    EXPECT_NE(text.find("passerelle_records_total{purpose=\"outcome\",outcome=\"quarantined\"} 2\n"
                        "passerelle_records_total{purpose=\"outcome\",outcome=\"sent\"} 3\n"
                        "passerelle_records_total{purpose=\"survey\",outcome=\"sent\"} 1\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(renderChecked(registry), text) << "two scrapes of unchanged metrics are identical";
}

TEST(Render, EscapesLabelValuesAndHelp) {
    Registry registry;
    registry.counter("passerelle_odd_total", "Help with a \\ backslash,\na newline and \"quotes\"", {"peer"})
        .labels({"C:\\peers\\\"north\"\nsecond line"})
        .inc();
    EXPECT_EQ(renderChecked(registry),
              "# HELP passerelle_odd_total Help with a \\\\ backslash,\\na newline and \"quotes\"\n"
              "# TYPE passerelle_odd_total counter\n"
              "passerelle_odd_total{peer=\"C:\\\\peers\\\\\\\"north\\\"\\nsecond line\"} 1\n");
}

TEST(Render, HistogramWithLabelsPutsLeLast) {
    Registry registry;
    registry.histogram("passerelle_batch_bytes", "Sealed batch size", {"peer"}, {1024, 1048576})
        .labels({"caf-herault"})
        .observe(2048);
    EXPECT_EQ(renderChecked(registry),
              "# HELP passerelle_batch_bytes Sealed batch size\n"
              "# TYPE passerelle_batch_bytes histogram\n"
              "passerelle_batch_bytes_bucket{peer=\"caf-herault\",le=\"1024\"} 0\n"
              "passerelle_batch_bytes_bucket{peer=\"caf-herault\",le=\"1048576\"} 1\n"
              "passerelle_batch_bytes_bucket{peer=\"caf-herault\",le=\"+Inf\"} 1\n"
              "passerelle_batch_bytes_sum{peer=\"caf-herault\"} 2048\n"
              "passerelle_batch_bytes_count{peer=\"caf-herault\"} 1\n");
}

TEST(Render, HistogramBucketsAreCumulativeAndInfEqualsCount) {
    Registry registry;
    auto& histogram =
        registry.histogram("passerelle_wait_seconds", "Wait", {}, {0.005, 0.05, 0.5, 5}).labels();
    const double observations[] = {0.001, 0.005, 0.0051, 0.05, 0.3, 0.5, 0.6, 4.9, 5, 7, 1000, -1};
    for (const double v : observations) histogram.observe(v);

    const Histogram::Snapshot snapshot = histogram.snapshot();
    // le is "less than or equal": a value on a bound counts in that bucket.
    EXPECT_EQ(snapshot.cumulativeCounts, (std::vector<std::uint64_t>{3, 5, 7, 10, 12}));
    EXPECT_EQ(snapshot.count, 12u);
    EXPECT_EQ(snapshot.cumulativeCounts.back(), snapshot.count);

    const std::string text = renderChecked(registry);
    EXPECT_NE(text.find("passerelle_wait_seconds_bucket{le=\"0.005\"} 3\n"
                        "passerelle_wait_seconds_bucket{le=\"0.05\"} 5\n"
                        "passerelle_wait_seconds_bucket{le=\"0.5\"} 7\n"
                        "passerelle_wait_seconds_bucket{le=\"5\"} 10\n"
                        "passerelle_wait_seconds_bucket{le=\"+Inf\"} 12\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("passerelle_wait_seconds_count 12\n"), std::string::npos) << text;
}

TEST(Render, NanObservationCountsOnlyInInf) {
    Registry registry;
    auto& histogram = registry.histogram("passerelle_nan_seconds", "NaN", {}, {1}).labels();
    histogram.observe(std::numeric_limits<double>::quiet_NaN());
    const std::string text = renderChecked(registry);
    EXPECT_NE(text.find("passerelle_nan_seconds_bucket{le=\"1\"} 0\n"
                        "passerelle_nan_seconds_bucket{le=\"+Inf\"} 1\n"
                        "passerelle_nan_seconds_sum NaN\n"
                        "passerelle_nan_seconds_count 1\n"),
              std::string::npos)
        << text;
}

TEST(Render, NumbersArePrometheusReadable) {
    EXPECT_EQ(formatSampleValue(0), "0");
    EXPECT_EQ(formatSampleValue(-0.0), "0");
    EXPECT_EQ(formatSampleValue(42), "42");
    EXPECT_EQ(formatSampleValue(-3), "-3");
    EXPECT_EQ(formatSampleValue(1e15), "1000000000000000") << "integers are written without exponent";
    EXPECT_EQ(formatSampleValue(0.1), "0.1");
    EXPECT_EQ(formatSampleValue(12.5), "12.5");
    EXPECT_EQ(formatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(formatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(formatSampleValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
    for (const double v : {0.1, 1.0 / 3.0, 1e-7, 123456.789, 1e300, -2.5e-300, 9007199254740993.0}) {
        const std::string text = formatSampleValue(v);
        EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text << " reads back as the same double";
    }
}

TEST(Render, WholeCounterIncrementsStayExactPastDoublePrecision) {
    Registry registry;
    auto& big = registry.counter("passerelle_bytes_total", "Bytes").labels();
    big.inc((std::uint64_t{1} << 60) + 1);
    EXPECT_NE(renderChecked(registry).find("passerelle_bytes_total 1152921504606846977\n"),
              std::string::npos);
}

TEST(Render, FractionalCounterIncrements) {
    Registry registry;
    auto& busy = registry.counter("passerelle_busy_seconds_total", "Busy").labels();
    busy.inc(2);
    busy.add(0.5);
    EXPECT_EQ(busy.value(), 2.5);
    EXPECT_NE(renderChecked(registry).find("passerelle_busy_seconds_total 2.5\n"), std::string::npos);
    EXPECT_THROW(busy.add(-1), std::invalid_argument);
    EXPECT_THROW(busy.add(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    EXPECT_EQ(busy.value(), 2.5);
}

TEST(Render, GaugeSetAndAdd) {
    Registry registry;
    auto& inFlight = registry.gauge("passerelle_in_flight", "Requests being served").labels();
    inFlight.add(3);
    inFlight.add(-1);
    EXPECT_NE(renderChecked(registry).find("passerelle_in_flight 2\n"), std::string::npos);
    inFlight.set(-0.25);
    EXPECT_NE(renderChecked(registry).find("passerelle_in_flight -0.25\n"), std::string::npos);
}

}  // namespace
}  // namespace passerelle::metrics
