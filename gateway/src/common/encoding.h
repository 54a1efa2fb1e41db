#pragma once
// Hex and base64 for keys, digests and signatures (libsodium, constant time).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle {

std::string toHex(std::span<const std::uint8_t> bytes);
// Throws std::invalid_argument when the text is not hex of the expected size
// (expectedSize 0 accepts any even length).
std::vector<std::uint8_t> fromHex(std::string_view hex, std::size_t expectedSize = 0);
// Exactly `size` characters, each 0-9 or a-f: how key ids, digests and nonces are written.
bool isLowerHex(std::string_view text, std::size_t size);

std::string toBase64(std::span<const std::uint8_t> bytes);
std::vector<std::uint8_t> fromBase64(std::string_view text);

inline std::span<const std::uint8_t> asBytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace passerelle
