#pragma once
// The children of a metric family, one time series each. An update is one or
// two atomic operations, cheap enough for a hot path: look the child up once
// with Family::labels() and keep the reference.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace passerelle::metrics {

template <class Child>
class Family;

// Only goes up. Whole increments stay exact past 2^53; fractional amounts
// (seconds, bytes per second) are summed apart in a double.
class Counter {
public:
    void inc(std::uint64_t n = 1) { whole_.fetch_add(n, std::memory_order_relaxed); }
    // Throws std::invalid_argument for a negative or NaN amount: a counter
    // that goes down reads as a process restart to Prometheus.
    void add(double amount);
    double value() const;

private:
    friend class Family<Counter>;
    std::atomic<std::uint64_t> whole_{0};
    std::atomic<double> fractional_{0.0};
};

// A value that goes up and down.
class Gauge {
public:
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets chosen at registration.
class Histogram {
public:
    // upperBounds: strictly increasing and finite; the registry checks them.
    explicit Histogram(std::shared_ptr<const std::vector<double>> upperBounds);

    // A NaN observation lands in +Inf only (and makes the sum NaN).
    void observe(double value);

    // Bucket counts as Prometheus wants them: cumulative, one per upper
    // bound then one for +Inf, which is also the count.
    struct Snapshot {
        std::vector<std::uint64_t> cumulativeCounts;
        double sum = 0.0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& upperBounds() const { return *upperBounds_; }

private:
    std::shared_ptr<const std::vector<double>> upperBounds_;
    // Per bucket, not cumulative; the last one is +Inf.
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::atomic<double> sum_{0.0};
};

// count bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1).
std::vector<double> exponentialBuckets(double start, double factor, std::size_t count);

}  // namespace passerelle::metrics
