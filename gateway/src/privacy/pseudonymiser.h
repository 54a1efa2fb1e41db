#pragma once
// Pseudonyms: keyed BLAKE2b-256 of an identity string under a per-domain key
// derived from the party's pseudonym master key. Two domains never share a
// pseudonym; nothing maps a pseudonym back to a person.

#include <sodium.h>

#include <string>
#include <string_view>

#include "privacy/party_keys.h"

namespace passerelle::privacy {

class Pseudonymiser {
public:
    // Domain key = crypto_kdf(master, id = first 8 bytes (LE) of BLAKE2b-256(domain), ctx "pslpseud").
    Pseudonymiser(const PartyKeys& keys, std::string_view domain);
    ~Pseudonymiser();
    Pseudonymiser(const Pseudonymiser&) = delete;
    Pseudonymiser& operator=(const Pseudonymiser&) = delete;

    // 64 lowercase hex chars. The identity must already be normalised and versioned
    // by the caller (e.g. "v1|<national id>"); it is hashed byte for byte.
    std::string pseudonymOf(std::string_view identity) const;

private:
    // BLAKE2b state after keying: copying it is cheaper than re-keying per call.
    crypto_generichash_state keyed_;
};

// The crypto_kdf subkey id of a pseudonym domain (exposed for documentation and tests).
std::uint64_t pseudonymDomainId(std::string_view domain);

}  // namespace passerelle::privacy
