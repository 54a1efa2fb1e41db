#pragma once
// Pseudonyms: keyed BLAKE2b-256 of an identity string under a per-domain key
// derived from the party's pseudonym master key. Two domains never share a
// pseudonym; nothing maps a pseudonym back to a person.

#include <sodium.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "privacy/party_keys.h"

namespace passerelle::privacy {

class Pseudonymiser {
public:
    // Domain key = crypto_kdf(master, id = first 8 bytes (LE) of BLAKE2b-256(domain), ctx "pslpseud"),
    // master being the current pseudonym key.
    Pseudonymiser(const PartyKeys& keys, std::string_view domain);
    // The same under the pseudonym key of `epoch`, current or retired, to recompute
    // pseudonyms made before a key rotation; KeyError naming the epoch if it is not held.
    Pseudonymiser(const PartyKeys& keys, std::string_view domain, std::uint32_t epoch);
    ~Pseudonymiser();
    Pseudonymiser(const Pseudonymiser&) = delete;
    Pseudonymiser& operator=(const Pseudonymiser&) = delete;

    // "<epoch>:<64 lowercase hex>", e.g. "1:3f0c…": the epoch of the pseudonym key
    // says which key made it, so pseudonyms from before a key rotation are never
    // mistaken for current ones. The identity must already be normalised and
    // versioned by the caller (record::identityKey); it is hashed byte for byte.
    std::string pseudonymOf(std::string_view identity) const;
    // The same into a caller's string: no allocation per row once it has grown.
    void pseudonymOf(std::string_view identity, std::string& out) const;

    // Only the 64 hex characters, WITHOUT the epoch: a caller that emits pseudonyms
    // must write epochPrefix() before them (or use the overloads above).
    using Hex = std::array<char, 64>;
    void pseudonymOf(std::string_view identity, Hex& out) const;

    // Epoch of the pseudonym key used (from 1), and "<epoch>:".
    std::uint32_t epoch() const { return epoch_; }
    std::string_view epochPrefix() const { return epochPrefix_; }

private:
    // BLAKE2b state after keying: copying it is cheaper than re-keying per call.
    crypto_generichash_state keyed_;
    std::uint32_t epoch_;
    std::string epochPrefix_;
};

// The crypto_kdf subkey id of a pseudonym domain (exposed for documentation and tests).
std::uint64_t pseudonymDomainId(std::string_view domain);

// The epoch of a "<epoch>:<hex>" pseudonym; none if it does not start with one.
std::optional<std::uint32_t> pseudonymEpochOf(std::string_view pseudonym);

}  // namespace passerelle::privacy
