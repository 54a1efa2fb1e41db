#pragma once
// Where metric families are declared and rendered for a Prometheus scrape.
//
//   auto& sent = metrics::registry()
//       .counter("passerelle_batches_sent_total", "Batches receipted by their recipient", {"peer"})
//       .labels({"region-occitanie"});   // once, then on the hot path:
//   sent.inc();
//
// Registration checks names and is idempotent: the same name with the same
// type, labels (and buckets) returns the same family; anything else throws
// std::invalid_argument naming the metric.

#include "metrics/family.h"
#include "metrics/instruments.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace passerelle::metrics {

class Registry;
class CallbackFamily;

// Label values and reading, one pair per time series.
using CallbackSamples = std::vector<std::pair<std::vector<std::string>, double>>;

// A gauge read at scrape time, registered for as long as this object lives:
// its destructor unregisters the callback and waits for a scrape that is
// running it, so the callback may capture things that die with the owner.
class [[nodiscard]] CallbackGauge {
public:
    CallbackGauge() = default;
    ~CallbackGauge();
    CallbackGauge(CallbackGauge&& other) noexcept;
    CallbackGauge& operator=(CallbackGauge&& other) noexcept;
    CallbackGauge(const CallbackGauge&) = delete;
    CallbackGauge& operator=(const CallbackGauge&) = delete;

private:
    friend class Registry;
    CallbackGauge(Registry& owner, std::shared_ptr<CallbackFamily> family);
    void release() noexcept;

    Registry* registry_ = nullptr;
    std::shared_ptr<CallbackFamily> family_;
};

class Registry {
public:
    // A CallbackGauge must not outlive the registry that made it.
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    Family<Counter>& counter(const std::string& name, const std::string& help,
                             const std::vector<std::string>& labelNames = {});
    Family<Gauge>& gauge(const std::string& name, const std::string& help,
                         const std::vector<std::string>& labelNames = {});
    // upperBounds: strictly increasing, finite; a trailing +Inf may be given
    // and is implied otherwise. "le" is not allowed as a label name.
    Family<Histogram>& histogram(const std::string& name, const std::string& help,
                                 const std::vector<std::string>& labelNames, std::vector<double> upperBounds);

    // read() runs at each scrape, outside the registry lock but under the
    // family's. Its series are rendered sorted by label values; a wrong
    // number of label values or a repeated set throws from render(). If
    // read() throws std::exception, this scrape shows the family's HELP and
    // TYPE, a comment saying it could not be read, and no samples, so one
    // unavailable source does not hide the others. Throws if the name is
    // already registered, callback or not.
    CallbackGauge gaugeCallback(const std::string& name, const std::string& help,
                                const std::vector<std::string>& labelNames,
                                std::function<CallbackSamples()> read);

    // Every family, sorted by name, in text exposition format 0.0.4
    // (serve it with kExpositionContentType).
    std::string render() const;

private:
    friend class CallbackGauge;
    template <class Child>
    Family<Child>& registerFamily(const std::string& name, const std::string& help,
                                  const std::vector<std::string>& labelNames,
                                  std::function<std::unique_ptr<Child>()> makeChild,
                                  const std::vector<double>* upperBounds);
    void unregister(const FamilyBase& family) noexcept;

    struct Entry {
        std::shared_ptr<FamilyBase> family;
        std::vector<double> upperBounds;  // histograms only
    };
    mutable std::mutex mutex_;
    std::map<std::string, Entry> families_;
};

// The process-wide registry. Never destroyed, so metrics can be touched from
// static destructors and threads still running at exit.
Registry& registry();

}  // namespace passerelle::metrics
