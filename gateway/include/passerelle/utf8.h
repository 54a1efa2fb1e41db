/*
 * passerelle plugin SDK: UTF-8 well-formedness, which every string crossing the
 * ABI must have (plugin.h). Header only, shared by the plugins and the gateway
 * so that there is one definition of "valid UTF-8".
 */
#ifndef PASSERELLE_UTF8_H
#define PASSERELLE_UTF8_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace passerelle::sdk {

/* Offset of the first byte that is not well-formed UTF-8, or text.size() when
 * all of it is. Overlong forms, surrogates and code points past U+10FFFF are
 * refused. ASCII runs are skipped 8 bytes at a time (exports are mostly ASCII). */
inline std::size_t firstInvalidUtf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        if (i + 8 <= size) {
            std::uint64_t word;
            std::memcpy(&word, s + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned lead = s[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length;
        std::uint32_t codePoint;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
            codePoint = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            codePoint = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            codePoint = lead & 0x07;
        } else {
            return i;
        }
        if (size - i < length) return i;
        for (std::size_t k = 1; k < length; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            codePoint = (codePoint << 6) | (s[i + k] & 0x3F);
        }
        if (length == 3 && (codePoint < 0x800 || (codePoint >= 0xD800 && codePoint <= 0xDFFF))) return i;
        if (length == 4 && (codePoint < 0x10000 || codePoint > 0x10FFFF)) return i;
        i += length;
    }
    return size;
}

}  // namespace passerelle::sdk

#endif /* PASSERELLE_UTF8_H */
