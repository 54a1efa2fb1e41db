#pragma once
// Fresh random ids (batch ids, request ids, nonces, folder ids, tokens): one
// source, libsodium's CSPRNG, one spelling, lower-case hex.

#include <cstddef>
#include <string>

namespace passerelle {

// `bytes` random bytes in lower-case hex (2 * bytes characters). Throws
// std::runtime_error if libsodium cannot start.
std::string randomHex(std::size_t bytes);

}  // namespace passerelle
