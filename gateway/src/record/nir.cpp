#include "record/nir.h"

#include <cstdint>

namespace passerelle::record {

bool looksLikeNir(std::string_view value) {
    constexpr std::size_t kNirLength = 15;
    // Cheap rejections first: this runs on every value of every row.
    if (value.size() < kNirLength || value.size() > 3 * kNirLength) return false;
    if (value[0] != '1' && value[0] != '2' && value[0] != '3' && value[0] != '7' && value[0] != '8') return false;
    char chars[kNirLength];
    std::size_t n = 0;
    for (char c : value) {
        if (c == ' ' || c == '.' || c == '-' || c == '\t') continue;
        if (n == kNirLength) return false;
        chars[n++] = c;
    }
    if (n != kNirLength) return false;
    if (chars[0] != '1' && chars[0] != '2' && chars[0] != '3' && chars[0] != '7' && chars[0] != '8') {
        return false;
    }

    std::uint64_t number = 0;
    for (std::size_t i = 0; i < 13; ++i) {
        char c = chars[i];
        if (i == 6 && chars[5] == '2' && (c == 'A' || c == 'a' || c == 'B' || c == 'b')) {
            // Corsica: 2A is numbered as 19, 2B as 18, for the key only.
            number = number / 10 * 100 + ((c == 'A' || c == 'a') ? 19 : 18);
            continue;
        }
        if (c < '0' || c > '9') return false;
        number = number * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (chars[13] < '0' || chars[13] > '9' || chars[14] < '0' || chars[14] > '9') return false;
    const auto key = static_cast<std::uint64_t>((chars[13] - '0') * 10 + (chars[14] - '0'));
    return key == 97 - number % 97;
}

}  // namespace passerelle::record
