#pragma once
// A party's long-term keys: Ed25519 (signs manifests), X25519 (opens batch keys
// sealed to us) and the pseudonym master key (crypto_kdf). Secrets live in files
// of mode 0600 outside the database and, once loaded, in locked memory.

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

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
void writePublicKeysFile(const std::filesystem::path& path, const PublicKeys& keys);
PublicKeys readPublicKeysFile(const std::filesystem::path& path);

bool verifySignature(const SignPublicKey& key, std::span<const std::uint8_t> message,
                     std::span<const std::uint8_t> signature);

class PartyKeys {
public:
    static constexpr const char* kSignFile = "sign.key";
    static constexpr const char* kBoxFile = "box.key";
    static constexpr const char* kPseudonymFile = "pseudonym.key";
    static constexpr const char* kPublicFile = "public.keys";

    // Creates `dir` (0700) with fresh sign.key, box.key, pseudonym.key (0600) and
    // public.keys (0644). Refuses (KeyError naming the file) if any of them exists.
    static void generate(const std::filesystem::path& dir, std::string_view party);
    // KeyError naming the file when missing, of the wrong size, readable by group or
    // others, or not matching public.keys.
    static PartyKeys load(const std::filesystem::path& dir);

    ~PartyKeys();
    PartyKeys(const PartyKeys&) = delete;
    PartyKeys& operator=(const PartyKeys&) = delete;
    PartyKeys(PartyKeys&& other) noexcept;
    PartyKeys& operator=(PartyKeys&& other) noexcept;

    const PublicKeys& publicKeys() const { return public_; }
    std::array<std::uint8_t, 64> sign(std::span<const std::uint8_t> message) const;
    // crypto_box_seal_open; plain.size() must be sealed.size() - 48. False if not for us / altered.
    bool openSealed(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> plain) const;
    // crypto_kdf_derive_from_key from pseudonym.key; context is exactly 8 chars.
    void deriveSubkey(std::uint64_t id, const char context[8], std::span<std::uint8_t, 32> out) const;

private:
    struct Secrets;  // lives in sodium_malloc'd (guarded, mlocked, read-only) memory
    PartyKeys(Secrets* secrets, PublicKeys pub) : secrets_(secrets), public_(std::move(pub)) {}
    void release() noexcept;

    Secrets* secrets_ = nullptr;
    PublicKeys public_;
};

}  // namespace passerelle::privacy
