#pragma once
// One row of an institution export, mapped onto the canonical fields. A reader
// reuses one instance per row (clear() keeps every string's capacity), so the
// hot path does not allocate once the buffers have grown.

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "record/field_catalog.h"

namespace passerelle::record {

class TraineeRecord {
public:
    // Marks the field present and stores a copy of the value. The value may be
    // a view into this record's own storage for the same field (in-place trim).
    void set(Field f, std::string_view value);

    // The stored value; empty when the field was never set.
    const std::string& get(Field f) const { return values_[indexOf(f)]; }

    // True when the field was set to a non-empty value.
    bool has(Field f) const { return present_.test(indexOf(f)) && !values_[indexOf(f)].empty(); }

    // Overwrites the value's bytes with zeros and marks the field absent. Used for
    // values that must not travel any further (a NIR found in a column).
    void wipe(Field f);

    // Forgets every value but keeps the buffers for the next row.
    void clear();

    // 1-based line of the source export this row came from; 0 when unknown.
    std::uint64_t sourceLine = 0;

private:
    std::array<std::string, kFieldCount> values_;
    std::bitset<kFieldCount> present_;
};

}  // namespace passerelle::record
