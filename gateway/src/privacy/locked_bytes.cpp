#include "privacy/locked_bytes.h"

#include <sodium.h>

#include <utility>

#include "common/errors.h"
#include "privacy/sodium_init.h"

namespace passerelle::privacy {

LockedBytes::LockedBytes(std::size_t count, std::size_t width) : size_(count * width) {
    ensureSodium();
    data_ = static_cast<std::uint8_t*>(sodium_allocarray(count, width));
    if (data_ == nullptr) {
        throw KeyError("cannot allocate locked memory for keys");
    }
}

LockedBytes::~LockedBytes() { release(); }

LockedBytes::LockedBytes(LockedBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

LockedBytes& LockedBytes::operator=(LockedBytes&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void LockedBytes::makeReadOnly() {
    if (data_ != nullptr) {
        sodium_mprotect_readonly(data_);
    }
}

void LockedBytes::release() noexcept {
    if (data_ != nullptr) {
        sodium_mprotect_readwrite(data_);
        sodium_memzero(data_, size_);
        sodium_free(data_);  // also wipes, but be explicit
        data_ = nullptr;
        size_ = 0;
    }
}

}  // namespace passerelle::privacy
