#pragma once
// A party's public keys and their file, `public.keys`: what peers verify our signatures with
// and seal batches to. Nothing here touches a secret.

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace passerelle::privacy {

// Key id: first 8 bytes of BLAKE2b-256(public key), as 16 lowercase hex chars.
std::string keyIdOf(std::span<const std::uint8_t, 32> publicKey);

struct SignPublicKey {
    std::array<std::uint8_t, 32> bytes{};
    std::string id() const { return keyIdOf(bytes); }
    bool operator==(const SignPublicKey&) const = default;
};

struct BoxPublicKey {
    std::array<std::uint8_t, 32> bytes{};
    std::string id() const { return keyIdOf(bytes); }
    bool operator==(const BoxPublicKey&) const = default;
};

using KeyTime = std::chrono::system_clock::time_point;

// A key this party signed or was sealed to, with the interval it was current in. An unknown
// bound (a key folder made before key history was recorded) leaves that side open.
struct KeyPeriod {
    std::array<std::uint8_t, 32> key{};
    std::optional<KeyTime> validFrom;   // nullopt: since the beginning of time (unknown)
    std::optional<KeyTime> validUntil;  // nullopt: still current, or retired at an unknown time
    std::string id() const { return keyIdOf(key); }
    bool operator==(const KeyPeriod&) const = default;
};

struct PublicKeys {
    PublicKeys() = default;
    // The current keys only, their history unknown (what `PublicKeys{party, sign, box}` built
    // before key history existed).
    PublicKeys(std::string party, SignPublicKey sign, BoxPublicKey box)
        : party(std::move(party)), sign(sign), box(box) {}

    std::string party;
    SignPublicKey sign;  // current
    BoxPublicKey box;    // current
    // When `sign` and `box` became current; nullopt when unknown (an older file).
    std::optional<KeyTime> validFrom;
    // Keys retired by rotations, oldest first, each with its interval.
    std::vector<KeyPeriod> retiredSign;
    std::vector<KeyPeriod> retiredBox;

    // Every signing key with its interval: the retired ones, then the current one.
    std::vector<KeyPeriod> signHistory() const;
};

// The public file (`public.keys`, docs/privacy.md "Key history"): `party = ...`,
// `sign_public_key = <hex>`, `box_public_key = <hex>`, and optionally `valid_from = <RFC 3339>`
// and any number of `retired_sign_public_key` / `retired_box_public_key =
// <key id> <hex> <valid_from|unknown> <valid_until|unknown>` lines; one per line, `#` comments.
// A file with the current keys only still reads (their validity is then unknown: open).
// Errors (KeyError) name the file, the line and the key.
// The file's text, each key labelled with what it is for (what `keys export-public` prints).
std::string publicKeysText(const PublicKeys& keys);
void writePublicKeysFile(const std::filesystem::path& path, const PublicKeys& keys);
PublicKeys readPublicKeysFile(const std::filesystem::path& path);

bool verifySignature(const SignPublicKey& key, std::span<const std::uint8_t> message,
                     std::span<const std::uint8_t> signature);

}  // namespace passerelle::privacy
