#include "ledger/leaf_hash.h"

#include <sodium.h>

namespace passerelle::ledger {

Hash leafHash(std::string_view entryBytes) {
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    const unsigned char prefix = 0x00;
    crypto_hash_sha256_update(&state, &prefix, 1);
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(entryBytes.data()),
                              entryBytes.size());
    Hash out;
    crypto_hash_sha256_final(&state, out.data());
    return out;
}

}  // namespace passerelle::ledger
