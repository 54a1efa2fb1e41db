#pragma once
// A party's key folder: which file holds which key, their modes, and the file work on them
// (generation, rotation, inspection, reading the secrets into locked memory for PartyKeys).
// Secrets live in files of mode 0600 outside the database; retired box and pseudonym keys are
// kept so that older batches still open and older pseudonyms can be recomputed.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "privacy/locked_bytes.h"
#include "privacy/public_keys.h"

namespace passerelle::privacy {

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

// A key folder read into memory: its public keys and, in locked memory only, its secrets
// (the current ones and the retired ones still kept). PartyKeys holds it.
struct KeySecrets {
    static constexpr std::size_t kSignBytes = 64;       // crypto_sign_SECRETKEYBYTES
    static constexpr std::size_t kBoxBytes = 32;        // crypto_box_SECRETKEYBYTES
    static constexpr std::size_t kPseudonymBytes = 32;  // crypto_kdf_KEYBYTES

    std::filesystem::path dir;  // for messages
    PublicKeys publicKeys;
    // sign.key, box.key and pseudonym.key, one after the other.
    LockedBytes current;
    std::uint32_t pseudonymEpoch = 1;
    // previous/<id>/box.key, kBoxBytes each, in the order of retiredBoxKeys.
    LockedBytes retiredBox;
    std::vector<BoxPublicKey> retiredBoxKeys;
    // previous-pseudonym/<epoch>.key, kPseudonymBytes each, in the order of
    // retiredPseudonymEpochs (ascending, all older than pseudonymEpoch).
    LockedBytes retiredPseudonym;
    std::vector<std::uint32_t> retiredPseudonymEpochs;

    static constexpr std::size_t kCurrentBytes = kSignBytes + kBoxBytes + kPseudonymBytes;

    std::span<const std::uint8_t> sign() const { return current.slice(0, kSignBytes); }
    std::span<const std::uint8_t> box() const { return current.slice(kSignBytes, kBoxBytes); }
    std::span<const std::uint8_t> pseudonym() const {
        return current.slice(kSignBytes + kBoxBytes, kPseudonymBytes);
    }
    // The same, to fill them (before current.makeReadOnly()).
    std::span<std::uint8_t> sign() { return current.slice(0, kSignBytes); }
    std::span<std::uint8_t> box() { return current.slice(kSignBytes, kBoxBytes); }
    std::span<std::uint8_t> pseudonym() { return current.slice(kSignBytes + kBoxBytes, kPseudonymBytes); }
};

class KeyFolder {
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

    // previous-pseudonym/<epoch>.key of `dir`.
    static std::filesystem::path retiredPseudonymFile(const std::filesystem::path& dir, std::uint32_t epoch);

    // Creates `dir` (0700) with fresh sign.key, box.key, pseudonym.key (0600),
    // pseudonym.epoch (1) and public.keys (0644). Refuses (KeyError naming the file)
    // if any of them exists.
    // public.keys records `now` as the keys' valid_from.
    static void generate(const std::filesystem::path& dir, std::string_view party,
                         KeyTime now = std::chrono::system_clock::now());
    // KeyError naming the file when missing, of the wrong size, readable by group or
    // others (retired keys included), or not matching public.keys.
    static KeySecrets read(const std::filesystem::path& dir);

    // Retires sign.key, box.key and public.keys into previous/<box key id>/ (0700
    // folder, 0600 files) and writes new ones, valid from `now`; the new public.keys lists the
    // retired keys with their interval (valid_until `now`). Peers need the new public.keys.
    struct SealingRotation {
        std::string retiredSignId, retiredBoxId, signId, boxId;
    };
    static SealingRotation rotateSealingKeys(const std::filesystem::path& dir,
                                             KeyTime now = std::chrono::system_clock::now());
    // public.keys, plus the keys of previous/<id>/ folders its history does not list (rotated
    // before key history was recorded: their interval is unknown, so open). What
    // `keys export-public` prints and what our own checkpoints are checked with.
    static PublicKeys publicKeysWithHistory(const std::filesystem::path& dir);
    // Retires pseudonym.key into previous-pseudonym/<epoch>.key, writes a new one and
    // epoch + 1. Every pseudonym changes: a deliberate, rare act.
    struct PseudonymRotation {
        std::uint32_t retiredEpoch = 0, epoch = 0;
    };
    static PseudonymRotation rotatePseudonymKey(const std::filesystem::path& dir);
    // Reads public files and modes only; KeyError if public.keys is unreadable.
    static KeyFolderInfo inspect(const std::filesystem::path& dir);
};

}  // namespace passerelle::privacy
