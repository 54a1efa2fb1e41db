#pragma once
// Which of a party's signing keys may have signed a document dated `signedAt`: the key the
// document names, if its interval in the party's public.keys (current or retired) covers that
// date. Rotations then never make older evidence unverifiable, and a retired key cannot sign
// anything new (docs/privacy.md "Key history").

#include <chrono>
#include <optional>
#include <string>

#include "privacy/public_keys.h"

namespace passerelle::privacy {

// How far a signer's clock may be from the interval its key was current in.
inline constexpr std::chrono::minutes kKeyClockSkew{5};
// Live exchange accepts a document signed with a retired key only this long after the
// rotation, so a peer whose new public.keys has not reached us yet, or a request in flight,
// still goes through; later, only the stored evidence of that time is checked with it.
inline constexpr std::chrono::hours kRetiredKeyOverlap{24 * 7};

struct SignKeyLookup {
    std::optional<SignPublicKey> key;
    std::string refusal;  // when no key: why, naming the party and the key id
};

// `keys`' signing key with id `keyId` valid at `signedAt` (RFC 3339 UTC) give or take
// kKeyClockSkew.
SignKeyLookup signKeyValidAt(const PublicKeys& keys, const std::string& keyId, const std::string& signedAt);
// The same, for a document arriving now: a retired key is also refused once `now` is more than
// kRetiredKeyOverlap after its retirement.
SignKeyLookup liveSignKey(const PublicKeys& keys, const std::string& keyId, const std::string& signedAt,
                          KeyTime now);

}  // namespace passerelle::privacy
