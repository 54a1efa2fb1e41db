#pragma once
// The hash of one ledger entry: the leaf of the Merkle tree (ledger/merkle.h).

#include <array>
#include <cstdint>
#include <string_view>

namespace passerelle::ledger {

using Hash = std::array<std::uint8_t, 32>;

// SHA-256(0x00 || entry bytes): the RFC 9162 leaf hash.
Hash leafHash(std::string_view entryBytes);

}  // namespace passerelle::ledger
