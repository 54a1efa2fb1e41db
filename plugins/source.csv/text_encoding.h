#pragma once
// Character sets a CSV export may arrive in, and the checks and conversions the
// reader needs to hand the host nothing but valid UTF-8.

#include <cstddef>
#include <cstdint>

namespace passerelle::csv {

enum class Encoding { Utf8, Windows1252, Iso8859_15 };

const char* encodingName(Encoding encoding);

// True when every byte is below 0x80 (8 bytes at a time).
bool isAscii(const char* data, std::size_t size);

// Length of the longest prefix of bytes below 0x80 (8 bytes at a time).
std::size_t asciiPrefix(const char* data, std::size_t size);

// Offset of the first byte that is not well-formed UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF are refused), or size if all is well.
std::size_t findInvalidUtf8(const char* data, std::size_t size);

// Windows-1252 or ISO-8859-15 to UTF-8, through a 256-entry table built once.
class SingleByteDecoder {
public:
    explicit SingleByteDecoder(Encoding encoding);

    // Offset of the first byte the charset leaves undefined (Windows-1252 has
    // five: 0x81 0x8D 0x8F 0x90 0x9D), or size if there is none.
    std::size_t findUndefined(const char* data, std::size_t size) const;

    // Writes the UTF-8 form of the bytes at out, which must have room for
    // 3 * size bytes; returns the number of bytes written.
    std::size_t decode(const char* data, std::size_t size, char* out) const;

    // decode() and findUndefined() in one pass over the bytes: returns the offset
    // of the first undefined byte (out then holds garbage) or size, and sets
    // `written` to the number of UTF-8 bytes written at out.
    std::size_t decodeChecked(const char* data, std::size_t size, char* out, std::size_t& written) const;

private:
    struct Utf8Form {
        std::uint8_t length;  // 0: undefined in this charset
        char bytes[3];
    };
    Utf8Form table_[256];
};

}  // namespace passerelle::csv
