#include "text_encoding.h"

#include <passerelle/utf8.h>

#include <bit>
#include <cstring>

namespace passerelle::csv {

namespace {

// Windows-1252 0x80..0x9F; 0 marks the five bytes the charset leaves undefined.
constexpr std::uint16_t kWindows1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,       // 88-8F
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,  // 98-9F
};

// Where ISO-8859-15 (Latin-9) differs from ISO-8859-1 (Latin-1).
struct Difference {
    std::uint8_t byte;
    std::uint16_t codePoint;
};
constexpr Difference kLatin9Differences[] = {
    {0xA4, 0x20AC}, {0xA6, 0x0160}, {0xA8, 0x0161}, {0xB4, 0x017D},
    {0xB8, 0x017E}, {0xBC, 0x0152}, {0xBD, 0x0153}, {0xBE, 0x0178},
};

}  // namespace

const char* encodingName(Encoding encoding) {
    switch (encoding) {
        case Encoding::Utf8:
            return "utf-8";
        case Encoding::Windows1252:
            return "windows-1252";
        case Encoding::Iso8859_15:
            return "iso-8859-15";
    }
    return "?";
}

bool isAscii(const char* data, std::size_t size) {
    std::size_t i = 0;
    std::uint64_t acc = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        acc |= word;
    }
    for (; i < size; ++i) acc |= static_cast<unsigned char>(data[i]);
    return (acc & 0x8080808080808080ULL) == 0;
}

std::size_t asciiPrefix(const char* data, std::size_t size) {
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        const std::uint64_t high = word & 0x8080808080808080ULL;
        if (high != 0) {
            if constexpr (std::endian::native == std::endian::little) {
                return i + static_cast<std::size_t>(std::countr_zero(high)) / 8;
            } else {
                break;  // find the byte below
            }
        }
    }
    while (i < size && static_cast<unsigned char>(data[i]) < 0x80) ++i;
    return i;
}

std::size_t findInvalidUtf8(const char* data, std::size_t size) {
    return sdk::firstInvalidUtf8(std::string_view(data, size));
}

SingleByteDecoder::SingleByteDecoder(Encoding encoding) {
    std::uint16_t codePoints[256];
    for (unsigned b = 0; b < 256; ++b) codePoints[b] = static_cast<std::uint16_t>(b);  // Latin-1
    if (encoding == Encoding::Windows1252) {
        for (unsigned b = 0; b < 32; ++b) codePoints[0x80 + b] = kWindows1252High[b];
    } else {
        for (const Difference& d : kLatin9Differences) codePoints[d.byte] = d.codePoint;
    }
    for (unsigned b = 0; b < 256; ++b) {
        const std::uint16_t cp = codePoints[b];
        Utf8Form& form = table_[b];
        std::memset(&form, 0, sizeof form);
        if (b != 0 && cp == 0) continue;  // undefined
        if (cp < 0x80) {
            form.length = 1;
            form.bytes[0] = static_cast<char>(cp);
        } else if (cp < 0x800) {
            form.length = 2;
            form.bytes[0] = static_cast<char>(0xC0 | (cp >> 6));
            form.bytes[1] = static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            form.length = 3;
            form.bytes[0] = static_cast<char>(0xE0 | (cp >> 12));
            form.bytes[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            form.bytes[2] = static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
}

std::size_t SingleByteDecoder::findUndefined(const char* data, std::size_t size) const {
    for (std::size_t i = 0; i < size; ++i) {
        if (table_[static_cast<unsigned char>(data[i])].length == 0) return i;
    }
    return size;
}

std::size_t SingleByteDecoder::decode(const char* data, std::size_t size, char* out) const {
    char* w = out;
    for (std::size_t i = 0; i < size; ++i) {
        const Utf8Form& form = table_[static_cast<unsigned char>(data[i])];
        w[0] = form.bytes[0];
        w[1] = form.bytes[1];
        w[2] = form.bytes[2];
        w += form.length;
    }
    return static_cast<std::size_t>(w - out);
}

std::size_t SingleByteDecoder::decodeChecked(const char* data, std::size_t size, char* out,
                                             std::size_t& written) const {
    char* w = out;
    std::size_t i = 0;
    while (i < size) {
        // Runs of ASCII (most of a French name or title) are copied 8 bytes at a time.
        if (i + 8 <= size) {
            std::uint64_t word;
            std::memcpy(&word, data + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                std::memcpy(w, &word, 8);
                w += 8;
                i += 8;
                continue;
            }
        }
        const Utf8Form& form = table_[static_cast<unsigned char>(data[i])];
        if (form.length == 0) {
            written = static_cast<std::size_t>(w - out);
            return i;
        }
        w[0] = form.bytes[0];
        w[1] = form.bytes[1];
        w[2] = form.bytes[2];
        w += form.length;
        ++i;
    }
    written = static_cast<std::size_t>(w - out);
    return size;
}

}  // namespace passerelle::csv
