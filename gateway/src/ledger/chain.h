#pragma once
// Hashing of ledger entries, kept apart from storage so the Merkle tree that
// replaces the linear chain can reuse the leaf hash unchanged.

#include <array>
#include <cstdint>
#include <string_view>

namespace passerelle::ledger {

using Hash = std::array<std::uint8_t, 32>;

// Chain hash before the first entry: 32 zero bytes.
inline constexpr Hash kGenesisHash{};

// SHA-256(0x00 || entry bytes): the RFC 9162 leaf hash.
Hash leafHash(std::string_view entryBytes);

// SHA-256(previous || leaf): the hash-chain link for one entry.
Hash chainHash(const Hash& previous, const Hash& leaf);

}  // namespace passerelle::ledger
