#pragma once
// One row of an institution export, mapped onto the canonical fields. The
// values live in one contiguous buffer (an arena) addressed by offsets: setting
// a field appends its bytes, trimming or cutting a value in place only moves
// its offsets, and clear() rewinds the arena without freeing it. A reader reuses
// one instance per row, so the hot path neither allocates nor copies twice.

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string_view>

#include "record/field_catalog.h"

namespace passerelle::record {

class TraineeRecord {
public:
    TraineeRecord() = default;
    TraineeRecord(const TraineeRecord& other);
    TraineeRecord& operator=(const TraineeRecord& other);
    TraineeRecord(TraineeRecord&& other) noexcept;
    TraineeRecord& operator=(TraineeRecord&& other) noexcept;
    ~TraineeRecord() = default;

    // Marks the field present and stores a copy of the value. The value may be
    // a view into this record's own storage (in-place trim): then no byte moves.
    void set(Field f, std::string_view value);

    // The stored value; empty when the field was never set. Valid until the next
    // set(), wipe() or clear() of this record.
    std::string_view get(Field f) const {
        const Slot& s = slots_[indexOf(f)];
        return {arena_.get() + s.offset, s.size};
    }

    // True when the field was set to a non-empty value.
    bool has(Field f) const { return slots_[indexOf(f)].size != 0; }

    // True when the field was set, even to an empty value.
    bool isPresent(Field f) const { return present_.test(indexOf(f)); }

    // Overwrites the value's bytes with zeros and marks the field absent. Used for
    // values that must not travel any further (a NIR found in a column).
    void wipe(Field f);

    // Forgets every value but keeps the buffer for the next row.
    void clear();

    // Bytes the record can hold without growing its buffer.
    std::size_t capacity() const { return capacity_; }

    // 1-based line of the source export this row came from; 0 when unknown.
    std::uint64_t sourceLine = 0;

private:
    struct Slot {
        std::uint32_t offset = 0;
        std::uint32_t size = 0;
    };
    void reserve(std::size_t needed);

    std::unique_ptr<char[]> arena_;
    std::size_t capacity_ = 0;
    std::size_t used_ = 0;
    std::array<Slot, kFieldCount> slots_{};
    std::bitset<kFieldCount> present_;
};

}  // namespace passerelle::record
