#include "metrics/registry.h"

#include "metrics/exposition.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

namespace passerelle::metrics {

// A gauge family whose series come from a function at scrape time.
class CallbackFamily final : public FamilyBase {
public:
    CallbackFamily(std::string name, std::string help, std::vector<std::string> labelNames,
                   std::function<CallbackSamples()> read)
        : FamilyBase(std::move(name), std::move(help), MetricType::gauge, std::move(labelNames)),
          read_(std::move(read)) {}

    // After this returns the callback is not running and never runs again.
    void detach() noexcept {
        std::lock_guard lock(mutex_);
        read_ = nullptr;
    }

private:
    void renderSamples(std::string& out) const override {
        std::lock_guard lock(mutex_);
        if (!read_) return;
        CallbackSamples samples;
        try {
            samples = read_();
        } catch (const std::exception&) {
            // The exception text may name a database path or a value: keep it out of the scrape.
            out += "# " + name() + " could not be read for this scrape; its samples are left out\n";
            return;
        }
        std::sort(samples.begin(), samples.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = 0; i < samples.size(); ++i) {
            const auto& [values, value] = samples[i];
            if (values.size() != labelNames().size()) {
                throw std::invalid_argument("callback gauge \"" + name() + "\" has " +
                                            std::to_string(labelNames().size()) + " label(s) but returned " +
                                            std::to_string(values.size()) + " value(s) for a series");
            }
            if (i > 0 && samples[i - 1].first == values) {
                throw std::invalid_argument("callback gauge \"" + name() +
                                            "\" returned the same label values twice");
            }
            appendSample(out, name(), labelText(labelNames(), values), formatSampleValue(value));
        }
    }

    mutable std::mutex mutex_;
    std::function<CallbackSamples()> read_;
};

namespace {

std::string describeType(const FamilyBase& family) {
    if (dynamic_cast<const CallbackFamily*>(&family) != nullptr) return "gauge read at scrape time";
    return std::string(typeName(family.type()));
}

std::string joined(const std::vector<std::string>& names) {
    std::string out = "(";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ", ";
        out += names[i];
    }
    return out + ")";
}

void checkNames(const std::string& name, const std::vector<std::string>& labelNames, bool histogram) {
    if (!isValidMetricName(name)) {
        throw std::invalid_argument(
            "metric name \"" + name +
            "\" is not valid: use letters, digits, '_' and ':', not starting with a digit");
    }
    std::set<std::string> seen;
    for (const std::string& label : labelNames) {
        if (!isValidLabelName(label)) {
            throw std::invalid_argument(
                "label name \"" + label + "\" of metric \"" + name +
                "\" is not valid: use letters, digits and '_', not starting with a digit");
        }
        if (label.starts_with("__")) {
            throw std::invalid_argument("label name \"" + label + "\" of metric \"" + name +
                                        "\" starts with \"__\", which Prometheus reserves");
        }
        if (histogram && label == "le") {
            throw std::invalid_argument("histogram \"" + name +
                                        "\" cannot have a label named \"le\": it names buckets");
        }
        if (!seen.insert(label).second) {
            throw std::invalid_argument("label name \"" + label + "\" appears twice in metric \"" + name +
                                        "\"");
        }
    }
}

// Strictly increasing and finite; a trailing +Inf is dropped (it is always there).
std::vector<double> checkedBounds(const std::string& name, std::vector<double> bounds) {
    if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) bounds.pop_back();
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i])) {
            throw std::invalid_argument("histogram \"" + name +
                                        "\" has a bucket bound that is not a finite number");
        }
        if (i > 0 && !(bounds[i - 1] < bounds[i])) {
            throw std::invalid_argument(
                "histogram \"" + name + "\" bucket bounds must be strictly increasing, got " +
                formatSampleValue(bounds[i - 1]) + " then " + formatSampleValue(bounds[i]));
        }
    }
    return bounds;
}

}  // namespace

CallbackGauge::CallbackGauge(Registry& owner, std::shared_ptr<CallbackFamily> family)
    : registry_(&owner), family_(std::move(family)) {}

CallbackGauge::~CallbackGauge() { release(); }

CallbackGauge::CallbackGauge(CallbackGauge&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), family_(std::move(other.family_)) {}

CallbackGauge& CallbackGauge::operator=(CallbackGauge&& other) noexcept {
    if (this != &other) {
        release();
        registry_ = std::exchange(other.registry_, nullptr);
        family_ = std::move(other.family_);
    }
    return *this;
}

void CallbackGauge::release() noexcept {
    if (registry_ == nullptr || !family_) return;
    registry_->unregister(*family_);
    family_->detach();
    registry_ = nullptr;
    family_.reset();
}

template <class Child>
Family<Child>& Registry::registerFamily(const std::string& name, const std::string& help,
                                        const std::vector<std::string>& labelNames,
                                        std::function<std::unique_ptr<Child>()> makeChild,
                                        const std::vector<double>* upperBounds) {
    std::lock_guard lock(mutex_);
    if (const auto it = families_.find(name); it != families_.end()) {
        FamilyBase& existing = *it->second.family;
        auto* same = dynamic_cast<Family<Child>*>(&existing);
        const bool sameBounds = upperBounds == nullptr || *upperBounds == it->second.upperBounds;
        if (same == nullptr || existing.labelNames() != labelNames || !sameBounds) {
            throw std::invalid_argument(
                "metric \"" + name + "\" is already registered as a " + describeType(existing) +
                " with labels " + joined(existing.labelNames()) +
                (upperBounds != nullptr && same != nullptr && !sameBounds ? " and other bucket bounds" : ""));
        }
        return *same;
    }
    auto family = std::make_shared<Family<Child>>(name, help, labelNames, std::move(makeChild));
    Family<Child>& result = *family;
    families_.emplace(
        name, Entry{std::move(family), upperBounds != nullptr ? *upperBounds : std::vector<double>{}});
    return result;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   const std::vector<std::string>& labelNames) {
    checkNames(name, labelNames, false);
    return registerFamily<Counter>(
        name, help, labelNames, [] { return std::make_unique<Counter>(); }, nullptr);
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labelNames) {
    checkNames(name, labelNames, false);
    return registerFamily<Gauge>(
        name, help, labelNames, [] { return std::make_unique<Gauge>(); }, nullptr);
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       const std::vector<std::string>& labelNames,
                                       std::vector<double> upperBounds) {
    checkNames(name, labelNames, true);
    const auto bounds =
        std::make_shared<const std::vector<double>>(checkedBounds(name, std::move(upperBounds)));
    return registerFamily<Histogram>(
        name, help, labelNames, [bounds] { return std::make_unique<Histogram>(bounds); }, bounds.get());
}

CallbackGauge Registry::gaugeCallback(const std::string& name, const std::string& help,
                                      const std::vector<std::string>& labelNames,
                                      std::function<CallbackSamples()> read) {
    checkNames(name, labelNames, false);
    if (!read) throw std::invalid_argument("callback gauge \"" + name + "\" needs a function to read it");
    std::lock_guard lock(mutex_);
    if (const auto it = families_.find(name); it != families_.end()) {
        throw std::invalid_argument("metric \"" + name + "\" is already registered as a " +
                                    describeType(*it->second.family) + " with labels " +
                                    joined(it->second.family->labelNames()));
    }
    auto family = std::make_shared<CallbackFamily>(name, help, labelNames, std::move(read));
    families_.emplace(name, Entry{family, {}});
    return CallbackGauge(*this, std::move(family));
}

void Registry::unregister(const FamilyBase& family) noexcept {
    std::lock_guard lock(mutex_);
    const auto it = families_.find(family.name());
    if (it != families_.end() && it->second.family.get() == &family) families_.erase(it);
}

std::string Registry::render() const {
    // Copy the list, then render without the registry lock: a slow callback
    // must not hold up registration.
    std::vector<std::shared_ptr<const FamilyBase>> families;
    {
        std::lock_guard lock(mutex_);
        families.reserve(families_.size());
        for (const auto& [name, entry] : families_) families.push_back(entry.family);
    }
    std::string out;
    for (const auto& family : families) family->render(out);
    return out;
}

Registry& registry() {
    static Registry* const instance = new Registry();
    return *instance;
}

}  // namespace passerelle::metrics
