#pragma once
// A signed checkpoint: a party's word that its ledger held `treeSize` entries
// whose RFC 9162 Merkle root is `rootHash`. Whoever holds one can later prove
// that the ledger was not rewritten or truncated behind it, without trusting
// the party's database (docs/ledger.md).
//
// The signed bytes are a short text, one `key: value` per line, in this order:
//
//   passerelle-checkpoint v1
//   origin: <party id>
//   tree_size: <decimal>
//   root_hash: <64 lower-case hex>
//   time: <RFC 3339 UTC>
//   key_id: <16 lower-case hex: the Ed25519 key id>
//
// each line ending in "\n". The signature is Ed25519 over exactly these bytes.

#include "ledger/leaf_hash.h"

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace passerelle::ledger {

using Signature = std::array<std::uint8_t, 64>;
using SignKey = std::array<std::uint8_t, 32>;
// Signs the exact bytes given; the gateway passes its Ed25519 key.
using Signer = std::function<Signature(std::span<const std::uint8_t>)>;

struct Checkpoint {
    std::string origin;  // the party whose ledger this is
    std::uint64_t treeSize = 0;
    Hash rootHash{};
    std::string time;
    std::string keyId;
    Signature signature{};

    // The exact bytes the signature covers (see above).
    std::string signedBytes() const;
    // True when `key` (whose id must be keyId) made `signature` over signedBytes().
    bool signatureVerifies(const SignKey& key) const;

    bool operator==(const Checkpoint&) const = default;
};

// Strict inverse of signedBytes(): throws LedgerError unless `bytes` is exactly
// the canonical text of a checkpoint. The signature is set separately.
Checkpoint parseCheckpoint(std::string_view bytes, std::span<const std::uint8_t> signature);

// "<tree_size> <root hex>" — how a checkpoint is named in messages.
std::string describe(const Checkpoint& checkpoint);

}  // namespace passerelle::ledger
