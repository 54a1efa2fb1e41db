#include "common/encoding.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace passerelle {

std::string toHex(std::span<const std::uint8_t> bytes) {
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();
    return out;
}

std::vector<std::uint8_t> fromHex(std::string_view hex, std::size_t expectedSize) {
    std::vector<std::uint8_t> out(hex.size() / 2 + 1);
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
        end != hex.data() + hex.size() || hex.size() % 2 != 0) {
        throw std::invalid_argument("not a hexadecimal string");
    }
    out.resize(len);
    if (expectedSize != 0 && len != expectedSize) {
        throw std::invalid_argument("expected " + std::to_string(expectedSize) + " bytes of hex, got " +
                                    std::to_string(len));
    }
    return out;
}

bool isLowerHex(std::string_view text, std::size_t size) {
    return text.size() == size && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string toBase64(std::span<const std::uint8_t> bytes) {
    const int variant = sodium_base64_VARIANT_ORIGINAL;
    std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
    out.pop_back();
    return out;
}

std::vector<std::uint8_t> fromBase64(std::string_view text) {
    std::vector<std::uint8_t> out(text.size() * 3 / 4 + 3);
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.data() + text.size()) {
        throw std::invalid_argument("not a base64 string");
    }
    out.resize(len);
    return out;
}

}  // namespace passerelle
