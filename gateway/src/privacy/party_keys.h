#pragma once
// A party's long-term keys once loaded: Ed25519 (signs manifests), X25519 (opens batch keys
// sealed to us) and the pseudonym master key (crypto_kdf), each in locked memory (retired box
// and pseudonym keys included: older batches must open, older pseudonyms be recomputed).
// Which file holds which key, and the file work on them, is the key folder's
// (privacy/key_folder.h).

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "privacy/key_folder.h"
#include "privacy/public_keys.h"

namespace passerelle::privacy {

class PartyKeys {
public:
    // KeyFolder::read: KeyError naming the file when missing, of the wrong size, readable by
    // group or others (retired keys included), or not matching public.keys.
    static PartyKeys load(const std::filesystem::path& dir);
    explicit PartyKeys(KeySecrets secrets);

    const PublicKeys& publicKeys() const { return secrets_.publicKeys; }
    std::array<std::uint8_t, 64> sign(std::span<const std::uint8_t> message) const;
    // crypto_box_seal_open with the current box key; plain.size() must be
    // sealed.size() - 48. False if not for us / altered.
    bool openSealed(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> plain) const;
    // The same with the current or retired box key whose id is `boxKeyId`; false if
    // we hold no such key.
    bool openSealed(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> plain,
                    std::string_view boxKeyId) const;
    // True if `boxKeyId` is the current box key or a retired one still kept.
    bool holdsBoxKey(std::string_view boxKeyId) const;
    const std::vector<std::string>& retiredBoxKeyIds() const { return retiredBoxIds_; }
    // crypto_kdf_derive_from_key from pseudonym.key; context is exactly 8 chars.
    void deriveSubkey(std::uint64_t id, const char context[8], std::span<std::uint8_t, 32> out) const;
    // The same from the pseudonym master key of `epoch` (current or retired); KeyError
    // naming the epoch and its file if we do not hold it.
    void deriveSubkey(std::uint32_t epoch, std::uint64_t id, const char context[8],
                      std::span<std::uint8_t, 32> out) const;
    // Epoch of pseudonym.key, carried in every pseudonym ("<epoch>:<hex>").
    std::uint32_t pseudonymEpoch() const { return secrets_.pseudonymEpoch; }
    // Every epoch whose pseudonym key we hold, newest (the current one) first.
    std::vector<std::uint32_t> pseudonymEpochs() const;
    bool holdsPseudonymEpoch(std::uint32_t epoch) const;

private:
    void refuseIfMoved() const;
    const std::uint8_t* pseudonymKeyOf(std::uint32_t epoch) const;  // nullptr if not held

    KeySecrets secrets_;  // moves leave it empty: using it then is a logic_error
    std::vector<std::string> retiredBoxIds_;  // ids of secrets_.retiredBoxKeys, in the same order
};

}  // namespace passerelle::privacy
