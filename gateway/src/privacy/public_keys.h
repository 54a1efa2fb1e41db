#pragma once
// A party's public keys and their file, `public.keys`: what peers verify our signatures with
// and seal batches to. Nothing here touches a secret.

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

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

struct PublicKeys {
    std::string party;
    SignPublicKey sign;
    BoxPublicKey box;
};

// The public file (`public.keys`): `party = ...`, `sign_public_key = <hex>`,
// `box_public_key = <hex>`, one per line, `#` comments. Errors (KeyError) name the file and key.
// The file's text, each key labelled with what it is for (what `keys export-public` prints).
std::string publicKeysText(const PublicKeys& keys);
void writePublicKeysFile(const std::filesystem::path& path, const PublicKeys& keys);
PublicKeys readPublicKeysFile(const std::filesystem::path& path);

bool verifySignature(const SignPublicKey& key, std::span<const std::uint8_t> message,
                     std::span<const std::uint8_t> signature);

}  // namespace passerelle::privacy
