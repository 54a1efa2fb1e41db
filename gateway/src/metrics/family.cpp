#include "metrics/family.h"

#include "metrics/exposition.h"

#include <stdexcept>
#include <type_traits>

namespace passerelle::metrics {
namespace {

template <class Child>
constexpr MetricType typeOf();
template <>
constexpr MetricType typeOf<Counter>() {
    return MetricType::counter;
}
template <>
constexpr MetricType typeOf<Gauge>() {
    return MetricType::gauge;
}
template <>
constexpr MetricType typeOf<Histogram>() {
    return MetricType::histogram;
}

void appendCounter(std::string& out, const std::string& name, const std::string& labels,
                   std::uint64_t wholePart, double fractionalPart) {
    // Whole increments only: print the exact integer, even past 2^53.
    const std::string value = fractionalPart == 0.0
                                  ? std::to_string(wholePart)
                                  : formatSampleValue(static_cast<double>(wholePart) + fractionalPart);
    appendSample(out, name, labels, value);
}

void appendChild(std::string& out, const std::string& name, const std::string& labels, const Gauge& gauge) {
    appendSample(out, name, labels, formatSampleValue(gauge.value()));
}

void appendChild(std::string& out, const std::string& name, const std::string& labels,
                 const Histogram& histogram) {
    const Histogram::Snapshot snapshot = histogram.snapshot();
    const std::vector<double>& bounds = histogram.upperBounds();
    const std::string bucketName = name + "_bucket";
    const std::string separator = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i < snapshot.cumulativeCounts.size(); ++i) {
        const std::string le = i < bounds.size() ? formatSampleValue(bounds[i]) : "+Inf";
        appendSample(out, bucketName, labels + separator + "le=\"" + le + "\"",
                     std::to_string(snapshot.cumulativeCounts[i]));
    }
    appendSample(out, name + "_sum", labels, formatSampleValue(snapshot.sum));
    appendSample(out, name + "_count", labels, std::to_string(snapshot.count));
}

}  // namespace

std::string_view typeName(MetricType type) {
    switch (type) {
        case MetricType::counter:
            return "counter";
        case MetricType::gauge:
            return "gauge";
        case MetricType::histogram:
            return "histogram";
    }
    throw std::logic_error("typeName: unknown MetricType");
}

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> labelNames)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labelNames_(std::move(labelNames)) {}

void FamilyBase::render(std::string& out) const {
    out += "# HELP ";
    out += name_;
    out += ' ';
    out += escapeHelp(help_);
    out += "\n# TYPE ";
    out += name_;
    out += ' ';
    out += typeName(type_);
    out += '\n';
    renderSamples(out);
}

template <class Child>
Family<Child>::Family(std::string name, std::string help, std::vector<std::string> labelNames,
                      std::function<std::unique_ptr<Child>()> makeChild)
    : FamilyBase(std::move(name), std::move(help), typeOf<Child>(), std::move(labelNames)),
      makeChild_(std::move(makeChild)) {
    if (this->labelNames().empty()) children_.emplace(std::vector<std::string>{}, makeChild_());
}

template <class Child>
Child& Family<Child>::labels(const std::vector<std::string>& values) {
    if (values.size() != labelNames().size()) {
        throw std::invalid_argument("metric \"" + name() + "\" has " + std::to_string(labelNames().size()) +
                                    " label(s) but was given " + std::to_string(values.size()) + " value(s)");
    }
    std::lock_guard lock(mutex_);
    auto it = children_.find(values);
    if (it == children_.end()) it = children_.emplace(values, makeChild_()).first;
    return *it->second;
}

template <class Child>
void Family<Child>::renderSamples(std::string& out) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, child] : children_) {
        const std::string labels = labelText(labelNames(), values);
        if constexpr (std::is_same_v<Child, Counter>) {
            appendCounter(out, name(), labels, child->whole_.load(std::memory_order_relaxed),
                          child->fractional_.load(std::memory_order_relaxed));
        } else {
            appendChild(out, name(), labels, *child);
        }
    }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

}  // namespace passerelle::metrics
