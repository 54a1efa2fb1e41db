#include "record/trainee_record.h"

#include <sodium.h>

#include <functional>

namespace passerelle::record {

void TraineeRecord::set(Field f, std::string_view value) {
    std::string& slot = values_[indexOf(f)];
    const char* begin = slot.data();
    const char* end = begin + slot.size();
    const bool aliases = !value.empty() && std::less_equal<const char*>()(begin, value.data()) &&
                         std::less<const char*>()(value.data(), end);
    if (aliases) {
        // A sub-range of the current value: cut in place rather than copy over ourselves.
        const auto offset = static_cast<std::size_t>(value.data() - begin);
        slot.erase(offset + value.size());
        slot.erase(0, offset);
    } else {
        slot.assign(value.data(), value.size());
    }
    present_.set(indexOf(f));
}

void TraineeRecord::wipe(Field f) {
    std::string& slot = values_[indexOf(f)];
    if (!slot.empty()) sodium_memzero(slot.data(), slot.size());
    slot.clear();
    present_.reset(indexOf(f));
}

void TraineeRecord::clear() {
    for (std::string& value : values_) value.clear();
    present_.reset();
    sourceLine = 0;
}

}  // namespace passerelle::record
