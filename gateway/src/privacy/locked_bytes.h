#pragma once
// Secret bytes in sodium_malloc'd memory: guard pages around it, mlocked, wiped when freed.
// The only place a key is held; never copied into a std::string or std::vector.

#include <cstddef>
#include <cstdint>
#include <span>

namespace passerelle::privacy {

class LockedBytes {
public:
    LockedBytes() = default;  // holds nothing
    // `count` slots of `width` bytes each, in one block (sodium_allocarray); KeyError if
    // locked memory cannot be had.
    explicit LockedBytes(std::size_t count, std::size_t width = 1);
    ~LockedBytes();
    LockedBytes(const LockedBytes&) = delete;
    LockedBytes& operator=(const LockedBytes&) = delete;
    LockedBytes(LockedBytes&& other) noexcept;
    LockedBytes& operator=(LockedBytes&& other) noexcept;

    bool empty() const { return data_ == nullptr; }
    std::span<std::uint8_t> span() { return {data_, size_}; }
    std::span<const std::uint8_t> span() const { return {data_, size_}; }
    // Bytes [offset, offset + size), which must lie inside the block.
    std::span<std::uint8_t> slice(std::size_t offset, std::size_t size) { return span().subspan(offset, size); }
    std::span<const std::uint8_t> slice(std::size_t offset, std::size_t size) const {
        return span().subspan(offset, size);
    }
    // Once filled: any later write faults instead of altering a key.
    void makeReadOnly();

private:
    void release() noexcept;

    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace passerelle::privacy
