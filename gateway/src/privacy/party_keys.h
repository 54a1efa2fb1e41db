#pragma once
// A party's long-term keys: Ed25519 (signs manifests), X25519 (opens batch keys
// sealed to us) and the pseudonym master key (crypto_kdf). Secrets live in files
// of mode 0600 outside the database and, once loaded, in locked memory (retired
// box and pseudonym keys included: older batches must open, older pseudonyms be recomputed).

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
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

// What `keys show` prints: ids, epochs and file modes, never a secret.
struct KeyFolderInfo {
    struct File {
        std::filesystem::path path;  // relative to the key folder
        unsigned mode = 0;           // permission bits
        bool secret = false;         // must not be readable by group or others
    };
    struct RetiredKeys {
        std::string signId;
        std::string boxId;
    };
    std::string party;
    std::string signId;
    std::string boxId;
    std::vector<RetiredKeys> previous;  // kept so older batches still open
    std::uint32_t pseudonymEpoch = 1;
    std::vector<std::uint32_t> previousPseudonymEpochs;
    std::vector<File> files;
};

class PartyKeys {
public:
    static constexpr const char* kSignFile = "sign.key";
    static constexpr const char* kBoxFile = "box.key";
    static constexpr const char* kPseudonymFile = "pseudonym.key";
    static constexpr const char* kPublicFile = "public.keys";
    // Decimal epoch of pseudonym.key (starts at 1; absent means 1).
    static constexpr const char* kPseudonymEpochFile = "pseudonym.epoch";
    // previous/<box key id>/{sign.key,box.key,public.keys}: retired keys, still used to open.
    static constexpr const char* kPreviousDir = "previous";
    // previous-pseudonym/<epoch>.key: retired pseudonym master keys, loaded so that
    // pseudonyms of older epochs (stored objections, carried-pseudonym index) can be recomputed.
    static constexpr const char* kPreviousPseudonymDir = "previous-pseudonym";

    // Creates `dir` (0700) with fresh sign.key, box.key, pseudonym.key (0600),
    // pseudonym.epoch (1) and public.keys (0644). Refuses (KeyError naming the file)
    // if any of them exists.
    static void generate(const std::filesystem::path& dir, std::string_view party);
    // KeyError naming the file when missing, of the wrong size, readable by group or
    // others (retired keys included), or not matching public.keys.
    static PartyKeys load(const std::filesystem::path& dir);

    // Retires sign.key, box.key and public.keys into previous/<box key id>/ (0700
    // folder, 0600 files) and writes new ones. Peers need the new public.keys.
    struct SealingRotation {
        std::string retiredSignId, retiredBoxId, signId, boxId;
    };
    static SealingRotation rotateSealingKeys(const std::filesystem::path& dir);
    // Retires pseudonym.key into previous-pseudonym/<epoch>.key, writes a new one and
    // epoch + 1. Every pseudonym changes: a deliberate, rare act.
    struct PseudonymRotation {
        std::uint32_t retiredEpoch = 0, epoch = 0;
    };
    static PseudonymRotation rotatePseudonymKey(const std::filesystem::path& dir);
    // Reads public files and modes only; KeyError if public.keys is unreadable.
    static KeyFolderInfo inspect(const std::filesystem::path& dir);

    ~PartyKeys();
    PartyKeys(const PartyKeys&) = delete;
    PartyKeys& operator=(const PartyKeys&) = delete;
    PartyKeys(PartyKeys&& other) noexcept;
    PartyKeys& operator=(PartyKeys&& other) noexcept;

    const PublicKeys& publicKeys() const { return public_; }
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
    std::uint32_t pseudonymEpoch() const { return pseudonymEpoch_; }
    // Every epoch whose pseudonym key we hold, newest (the current one) first.
    std::vector<std::uint32_t> pseudonymEpochs() const;
    bool holdsPseudonymEpoch(std::uint32_t epoch) const;

private:
    struct Secrets;  // lives in sodium_malloc'd (guarded, mlocked, read-only) memory
    PartyKeys(Secrets* secrets, PublicKeys pub) : secrets_(secrets), public_(std::move(pub)) {}
    void release() noexcept;
    void loadRetiredBoxKeys(const std::filesystem::path& dir);
    void loadRetiredPseudonymKeys(const std::filesystem::path& dir);
    const std::uint8_t* pseudonymKeyOf(std::uint32_t epoch) const;  // nullptr if not held

    Secrets* secrets_ = nullptr;
    PublicKeys public_;
    std::uint32_t pseudonymEpoch_ = 1;
    // Retired X25519 secrets, 32 bytes each, in one sodium_malloc'd block, with
    // their public keys and ids in the same order.
    std::uint8_t* retiredBoxSecrets_ = nullptr;
    std::vector<BoxPublicKey> retiredBox_;
    std::vector<std::string> retiredBoxIds_;
    // Retired pseudonym master keys, 32 bytes each, in one sodium_malloc'd block, in the
    // order of their epochs (ascending, all older than pseudonymEpoch_).
    std::uint8_t* retiredPseudonymSecrets_ = nullptr;
    std::vector<std::uint32_t> retiredPseudonymEpochs_;
    std::filesystem::path dir_;  // for messages
};

}  // namespace passerelle::privacy
