#include "metrics/instruments.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace passerelle::metrics {

void Counter::add(double amount) {
    if (!(amount >= 0.0)) {
        throw std::invalid_argument("a counter only goes up: cannot add " + std::to_string(amount));
    }
    fractional_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::value() const {
    return static_cast<double>(whole_.load(std::memory_order_relaxed)) +
           fractional_.load(std::memory_order_relaxed);
}

Histogram::Histogram(std::shared_ptr<const std::vector<double>> upperBounds)
    : upperBounds_(std::move(upperBounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upperBounds_->size() + 1)) {}

void Histogram::observe(double value) {
    const auto& bounds = *upperBounds_;
    // First bucket whose upper bound is >= value ("le"); NaN compares false everywhere, so it goes to +Inf.
    std::size_t bucket = bounds.size();
    if (!std::isnan(value)) {
        bucket =
            static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
    }
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot snapshot;
    const std::size_t buckets = upperBounds_->size() + 1;
    snapshot.cumulativeCounts.reserve(buckets);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        snapshot.cumulativeCounts.push_back(running);
    }
    snapshot.count = running;
    snapshot.sum = sum_.load(std::memory_order_relaxed);
    return snapshot;
}

std::vector<double> exponentialBuckets(double start, double factor, std::size_t count) {
    if (!(start > 0.0) || !(factor > 1.0) || count == 0) {
        throw std::invalid_argument("exponentialBuckets needs start > 0, factor > 1 and count > 0");
    }
    std::vector<double> bounds;
    bounds.reserve(count);
    double bound = start;
    for (std::size_t i = 0; i < count; ++i) {
        bounds.push_back(bound);
        bound *= factor;
    }
    return bounds;
}

}  // namespace passerelle::metrics
