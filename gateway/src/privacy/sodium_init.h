#pragma once
// libsodium must be initialised once before any use; every entry point of this
// library calls ensureSodium(), so callers never have to remember.

namespace passerelle::privacy {

// Thread-safe, idempotent. Throws std::runtime_error if libsodium cannot start.
void ensureSodium();

}  // namespace passerelle::privacy
