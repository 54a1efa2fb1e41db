#pragma once
// Byte layout of payload.bin, v1 (docs/batch-format.md), shared by writer and reader.

#include <sodium.h>

#include <cstddef>
#include <cstdint>

namespace passerelle::privacy::payload {

inline constexpr char kMagic[8] = {'P', 'S', 'L', 'P', 'A', 'Y', '0', '1'};
inline constexpr std::size_t kMagicBytes = sizeof kMagic;
inline constexpr std::size_t kSealedKeyBytes =
    crypto_secretstream_xchacha20poly1305_KEYBYTES + crypto_box_SEALBYTES;                      // 80
inline constexpr std::size_t kHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;  // 24
inline constexpr std::size_t kPreambleBytes = kMagicBytes + kSealedKeyBytes + kHeaderBytes;     // 112
inline constexpr std::size_t kChunkOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;     // 17
// A chunk is pushed once its plaintext reaches this size (amortises the AEAD per-call cost).
inline constexpr std::size_t kChunkTarget = 64 * 1024;
// Largest chunk plaintext; a single record may not exceed it.
inline constexpr std::size_t kMaxChunkPlain = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxChunkCipher = kMaxChunkPlain + kChunkOverhead;

inline void putLe32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v >> 16);
    p[3] = static_cast<std::uint8_t>(v >> 24);
}

inline std::uint32_t getLe32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

}  // namespace passerelle::privacy::payload
