#include "record/trainee_record.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <utility>

namespace passerelle::record {

TraineeRecord::TraineeRecord(const TraineeRecord& other) { *this = other; }

TraineeRecord& TraineeRecord::operator=(const TraineeRecord& other) {
    if (this == &other) return *this;
    clear();
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (other.isPresent(f)) set(f, other.get(f));
    }
    sourceLine = other.sourceLine;
    return *this;
}

TraineeRecord::TraineeRecord(TraineeRecord&& other) noexcept { *this = std::move(other); }

TraineeRecord& TraineeRecord::operator=(TraineeRecord&& other) noexcept {
    if (this == &other) return *this;
    arena_ = std::move(other.arena_);
    capacity_ = std::exchange(other.capacity_, 0);
    used_ = std::exchange(other.used_, 0);
    slots_ = std::exchange(other.slots_, {});
    present_ = std::exchange(other.present_, {});
    sourceLine = std::exchange(other.sourceLine, 0);
    return *this;
}

void TraineeRecord::reserve(std::size_t needed) {
    if (needed > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("a trainee record cannot hold more than 4 GiB of values");
    }
    const std::size_t grown = std::max({needed, 2 * capacity_, std::size_t{512}});
    std::unique_ptr<char[]> bigger(new char[grown]);
    if (used_ != 0) std::memcpy(bigger.get(), arena_.get(), used_);
    if (arena_) sodium_memzero(arena_.get(), capacity_);  // it held personal data
    arena_ = std::move(bigger);
    capacity_ = grown;
}

void TraineeRecord::set(Field f, std::string_view value) {
    Slot& slot = slots_[indexOf(f)];
    present_.set(indexOf(f));
    const char* const begin = arena_.get() + slot.offset;
    const bool withinOwnValue =
        !value.empty() && slot.size != 0 && std::less_equal<const char*>()(begin, value.data()) &&
        std::less_equal<const char*>()(value.data() + value.size(), begin + slot.size);
    if (withinOwnValue) {
        // A part of the field's own value (a trimmed value): point at it, no byte moves.
        slot.offset = static_cast<std::uint32_t>(value.data() - arena_.get());
        slot.size = static_cast<std::uint32_t>(value.size());
        return;
    }
    if (value.size() <= slot.size) {
        // Not longer than the current value (a normalised form): overwrite it in place.
        if (!value.empty()) std::memmove(arena_.get() + slot.offset, value.data(), value.size());
        slot.size = static_cast<std::uint32_t>(value.size());
        return;
    }
    // The value may be another field's bytes in this arena, which reserve() moves.
    const char* const arena = arena_.get();
    const bool inArena = arena != nullptr && std::less_equal<const char*>()(arena, value.data()) &&
                         std::less<const char*>()(value.data(), arena + used_);
    const std::size_t sourceOffset = inArena ? static_cast<std::size_t>(value.data() - arena) : 0;
    if (used_ + value.size() > capacity_)
        reserve(used_ + value.size());  // rare: the buffer is reused row to row
    std::memcpy(arena_.get() + used_, inArena ? arena_.get() + sourceOffset : value.data(), value.size());
    slot.offset = static_cast<std::uint32_t>(used_);
    slot.size = static_cast<std::uint32_t>(value.size());
    used_ += value.size();
}

void TraineeRecord::wipe(Field f) {
    Slot& slot = slots_[indexOf(f)];
    if (slot.size != 0) sodium_memzero(arena_.get() + slot.offset, slot.size);
    slot = Slot{};
    present_.reset(indexOf(f));
}

void TraineeRecord::clear() {
    slots_.fill(Slot{});
    present_.reset();
    used_ = 0;
    sourceLine = 0;
}

}  // namespace passerelle::record
