#pragma once
// A metric family: one name, one HELP text, one type, and a child per set of
// label values. Families live as long as their registry, and so do the
// references labels() hands out.

#include "metrics/instruments.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::metrics {

enum class MetricType { counter, gauge, histogram };
std::string_view typeName(MetricType type);

// What the registry needs to render any family.
class FamilyBase {
public:
    FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> labelNames);
    virtual ~FamilyBase() = default;
    FamilyBase(const FamilyBase&) = delete;
    FamilyBase& operator=(const FamilyBase&) = delete;

    const std::string& name() const { return name_; }
    const std::string& help() const { return help_; }
    MetricType type() const { return type_; }
    const std::vector<std::string>& labelNames() const { return labelNames_; }

    // # HELP, # TYPE, then the samples, children in label-value order.
    void render(std::string& out) const;

private:
    virtual void renderSamples(std::string& out) const = 0;

    std::string name_;
    std::string help_;
    MetricType type_;
    std::vector<std::string> labelNames_;
};

// Child is Counter, Gauge or Histogram.
template <class Child>
class Family final : public FamilyBase {
public:
    Family(std::string name, std::string help, std::vector<std::string> labelNames,
           std::function<std::unique_ptr<Child>()> makeChild);

    // The child for these label values (one per label name, in order),
    // created on first use. Takes a lock: call it once and keep the
    // reference. Throws std::invalid_argument on a wrong number of values.
    // A family without labels has its single child from the start (so it
    // reads 0 before the first update): labels() with no argument.
    Child& labels(const std::vector<std::string>& values = {});

private:
    void renderSamples(std::string& out) const override;

    std::function<std::unique_ptr<Child>()> makeChild_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Child>> children_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

}  // namespace passerelle::metrics
