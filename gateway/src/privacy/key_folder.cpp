#include "privacy/key_folder.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <optional>
#include <system_error>
#include <utility>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/posix_file.h"
#include "privacy/sodium_init.h"

namespace passerelle::privacy {

namespace fs = std::filesystem;
using detail::PosixFile;

static_assert(KeySecrets::kSignBytes == crypto_sign_SECRETKEYBYTES);
static_assert(KeySecrets::kBoxBytes == crypto_box_SECRETKEYBYTES);
static_assert(KeySecrets::kPseudonymBytes == crypto_kdf_KEYBYTES);

namespace {

std::string modeText(unsigned mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777u);
    return buf;
}

[[noreturn]] void refuseOpenMode(const fs::path& path, unsigned mode) {
    throw KeyError(path.string() + " is readable by group or others (mode " + modeText(mode) +
                   "); run chmod 600 " + path.string());
}

// Mode check without reading (retired keys that are not loaded).
void checkSecretMode(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw KeyError(path.string() + ": cannot open key file (" + detail::errnoText(errno) + ")");
    }
    if ((st.st_mode & 077u) != 0) {
        refuseOpenMode(path, st.st_mode);
    }
}

// Reads a secret key file straight into `out` (locked memory), checking size and mode.
void readSecretFile(const fs::path& path, std::span<std::uint8_t> out) {
    PosixFile file;
    try {
        file = PosixFile::openRead(path);
    } catch (const std::system_error& e) {
        throw KeyError(path.string() + ": cannot open key file (" + e.code().message() +
                       "); run `passerelle keys init` or restore it from backup");
    }
    const unsigned mode = file.mode();
    if ((mode & 077u) != 0) {
        refuseOpenMode(path, mode);
    }
    const std::uint64_t size = file.size();
    if (size != out.size()) {
        throw KeyError(path.string() + ": expected " + std::to_string(out.size()) + " bytes, found " +
                       std::to_string(size) + "; the key file is damaged or not a key");
    }
    if (file.readFull(out) != out.size()) {
        throw KeyError(path.string() + ": key file shrank while being read");
    }
}

void writeSecretFile(const fs::path& path, std::span<const std::uint8_t> secret) {
    try {
        PosixFile file = PosixFile::createExclusive(path, 0600);
        file.writeAll(secret);
        file.sync();
        file.close();
    } catch (const std::system_error& e) {
        throw KeyError(path.string() + ": cannot create key file (" + e.code().message() + ")");
    }
}

void makePrivateDir(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        throw KeyError(dir.string() + ": cannot create key folder (" + detail::errnoText(errno) + ")");
    }
}

void renameKeyFile(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
        throw KeyError(to.string() + ": cannot install the new key (" + ec.message() + ")");
    }
}

bool pathExists(const fs::path& path) {
    std::error_code ec;
    return fs::symlink_status(path, ec).type() != fs::file_type::not_found;
}

// pseudonym.epoch: a decimal number >= 1 and a newline; absent means 1 (key folders
// made before epochs existed).
std::uint32_t readEpochFile(const fs::path& path) {
    if (!pathExists(path)) {
        return 1;
    }
    std::vector<std::uint8_t> bytes;
    try {
        bytes = detail::readSmallFile(path, 32);
    } catch (const std::exception& e) {
        throw KeyError(path.string() + ": cannot read the pseudonym key epoch (" + e.what() + ")");
    }
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    text = first == std::string_view::npos ? std::string_view() : text.substr(first, last - first + 1);
    std::uint32_t epoch = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), epoch);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || epoch == 0) {
        throw KeyError(path.string() + ": expected the pseudonym key epoch, a whole number from 1");
    }
    return epoch;
}

void writeEpochFile(const fs::path& path, std::uint32_t epoch) {
    const std::string text = std::to_string(epoch) + "\n";
    try {
        detail::writeFileAtomically(path, asBytes(text), 0644);
    } catch (const std::exception& e) {
        throw KeyError(path.string() + ": cannot write the pseudonym key epoch (" + e.what() + ")");
    }
}

// The epoch of previous-pseudonym/<epoch>.key; none for any other name.
std::optional<std::uint32_t> retiredPseudonymEpochOf(const fs::path& file) {
    const std::string stem = file.stem().string();
    std::uint32_t epoch = 0;
    const auto [end, err] = std::from_chars(stem.data(), stem.data() + stem.size(), epoch);
    if (file.extension() != ".key" || err != std::errc() || end != stem.data() + stem.size() || epoch == 0) {
        return std::nullopt;
    }
    return epoch;
}

// previous/<id>/ folders, sorted; "<id>.tmp" ones are copies an interrupted rotation left.
std::vector<fs::path> retiredKeyFolders(const fs::path& dir) {
    std::vector<fs::path> folders;
    const fs::path root = dir / KeyFolder::kPreviousDir;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        return folders;
    }
    for (const auto& entry : fs::directory_iterator(root)) {
        if (entry.is_directory() && entry.path().extension() != ".tmp") {
            folders.push_back(entry.path());
        }
    }
    std::sort(folders.begin(), folders.end());
    return folders;
}


// sign.key, box.key, pseudonym.key and public.keys; the public file must describe these
// secrets, or peers would seal to a key we cannot open.
void readCurrentKeys(const fs::path& dir, KeySecrets& keys) {
    keys.current = LockedBytes(KeySecrets::kCurrentBytes);
    readSecretFile(dir / KeyFolder::kSignFile, keys.sign());
    readSecretFile(dir / KeyFolder::kBoxFile, keys.box());
    readSecretFile(dir / KeyFolder::kPseudonymFile, keys.pseudonym());
    keys.publicKeys = readPublicKeysFile(dir / KeyFolder::kPublicFile);

    SignPublicKey signPk;
    crypto_sign_ed25519_sk_to_pk(signPk.bytes.data(), keys.sign().data());
    BoxPublicKey boxPk;
    crypto_scalarmult_base(boxPk.bytes.data(), keys.box().data());
    if (signPk != keys.publicKeys.sign) {
        throw KeyError((dir / KeyFolder::kPublicFile).string() + ": sign_public_key does not match " +
                       (dir / KeyFolder::kSignFile).string());
    }
    if (boxPk != keys.publicKeys.box) {
        throw KeyError((dir / KeyFolder::kPublicFile).string() + ": box_public_key does not match " +
                       (dir / KeyFolder::kBoxFile).string());
    }
}

// Rotation keeps the epoch-N key as previous-pseudonym/N.key before writing the new
// key and N+1; finding N.key different from pseudonym.key means it stopped in between,
// and pseudonyms would carry an epoch that is not their key's.
void refuseInterruptedPseudonymRotation(const fs::path& dir, const KeySecrets& keys) {
    const fs::path retiredCurrent = KeyFolder::retiredPseudonymFile(dir, keys.pseudonymEpoch);
    if (!pathExists(retiredCurrent)) {
        return;
    }
    LockedBytes kept(KeySecrets::kPseudonymBytes);
    readSecretFile(retiredCurrent, kept.span());
    if (sodium_memcmp(kept.span().data(), keys.pseudonym().data(), KeySecrets::kPseudonymBytes) != 0) {
        const std::string n = std::to_string(keys.pseudonymEpoch);
        const fs::path epochFile = dir / KeyFolder::kPseudonymEpochFile;
        throw KeyError(epochFile.string() + " says epoch " + n + " but " +
                       (dir / KeyFolder::kPseudonymFile).string() + " is not the epoch-" + n + " key kept in " +
                       retiredCurrent.string() + ": a pseudonym key rotation was interrupted; write " +
                       std::to_string(keys.pseudonymEpoch + 1ull) + " into " + epochFile.string());
    }
}

// previous-pseudonym/<epoch>.key files older than the current epoch, sorted by epoch.
std::vector<std::pair<std::uint32_t, fs::path>> retiredPseudonymFiles(const fs::path& dir,
                                                                      std::uint32_t currentEpoch) {
    std::vector<std::pair<std::uint32_t, fs::path>> files;
    const fs::path root = dir / KeyFolder::kPreviousPseudonymDir;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        return files;
    }
    for (const auto& entry : fs::directory_iterator(root)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        checkSecretMode(entry.path());  // any file there, even one not loaded, may be a key
        const auto epoch = retiredPseudonymEpochOf(entry.path());
        if (!epoch || *epoch == currentEpoch) {  // the current key's copy: compared already
            continue;
        }
        if (*epoch > currentEpoch) {
            throw KeyError(
                entry.path().string() + " is a key of epoch " + std::to_string(*epoch) +
                ", newer than the current epoch " + std::to_string(currentEpoch) + " in " +
                (dir / KeyFolder::kPseudonymEpochFile).string() +
                ": the key folder was partly restored; restore pseudonym.key and pseudonym.epoch too");
        }
        files.emplace_back(*epoch, entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

void readRetiredPseudonymKeys(const fs::path& dir, KeySecrets& keys) {
    const auto files = retiredPseudonymFiles(dir, keys.pseudonymEpoch);
    if (files.empty()) {
        return;
    }
    keys.retiredPseudonym = LockedBytes(files.size(), KeySecrets::kPseudonymBytes);
    for (const auto& [epoch, file] : files) {
        const std::size_t slot = keys.retiredPseudonymEpochs.size();
        keys.retiredPseudonymEpochs.push_back(epoch);
        readSecretFile(file, keys.retiredPseudonym.slice(slot * KeySecrets::kPseudonymBytes,
                                                         KeySecrets::kPseudonymBytes));
    }
    keys.retiredPseudonym.makeReadOnly();
}

// previous/<id>/box.key, checked against its public.keys and its folder's name; the sign.key
// beside it is not loaded (only old manifests were signed with it), its mode is checked.
void readRetiredBoxKeys(const fs::path& dir, KeySecrets& keys) {
    const std::vector<fs::path> folders = retiredKeyFolders(dir);
    if (folders.empty()) {
        return;
    }
    keys.retiredBox = LockedBytes(folders.size(), KeySecrets::kBoxBytes);
    for (const fs::path& folder : folders) {
        checkSecretMode(folder / KeyFolder::kSignFile);
        const std::span<std::uint8_t> slot =
            keys.retiredBox.slice(keys.retiredBoxKeys.size() * KeySecrets::kBoxBytes, KeySecrets::kBoxBytes);
        readSecretFile(folder / KeyFolder::kBoxFile, slot);
        BoxPublicKey boxPk;
        crypto_scalarmult_base(boxPk.bytes.data(), slot.data());
        if (readPublicKeysFile(folder / KeyFolder::kPublicFile).box != boxPk) {
            throw KeyError((folder / KeyFolder::kPublicFile).string() + ": box_public_key does not match " +
                           (folder / KeyFolder::kBoxFile).string());
        }
        const std::string id = boxPk.id();
        if (folder.filename() != id) {
            throw KeyError(folder.string() + ": a retired key folder must be named after its box key id (" +
                           id + ")");
        }
        if (boxPk == keys.publicKeys.box) {  // kept by a rotation that stopped before installing new keys
            sodium_memzero(slot.data(), slot.size());
            continue;
        }
        keys.retiredBoxKeys.push_back(boxPk);
    }
    keys.retiredBox.makeReadOnly();
}

// Refuses before anything is written if any of `files` exists.
void refuseExisting(std::span<const fs::path> files) {
    for (const auto& f : files) {
        if (pathExists(f)) {
            throw KeyError(f.string() + " already exists; refusing to overwrite a key (move it away first)");
        }
    }
}

// Keeps the current sealing keys in previous/<box key id>/, built in a ".tmp" folder and
// renamed, so the folder is either complete or ignored.
void keepRetiredSealingKeys(const fs::path& dir, const KeySecrets& current, const std::string& boxId) {
    const fs::path root = dir / KeyFolder::kPreviousDir;
    makePrivateDir(root);
    const fs::path keep = root / boxId;
    if (pathExists(keep)) {
        if (readPublicKeysFile(keep / KeyFolder::kPublicFile).box != current.publicKeys.box) {
            throw KeyError(keep.string() + " exists and holds other keys; move it away before rotating");
        }
        return;
    }
    const fs::path staging = root / (boxId + ".tmp");
    fs::remove_all(staging);
    makePrivateDir(staging);
    writeSecretFile(staging / KeyFolder::kSignFile, current.sign());
    writeSecretFile(staging / KeyFolder::kBoxFile, current.box());
    const auto publicText = detail::readSmallFile(dir / KeyFolder::kPublicFile, 64 * 1024);
    writeSecretFile(staging / KeyFolder::kPublicFile, publicText);
    detail::syncDirectory(staging);
    renameKeyFile(staging, keep);
    detail::syncDirectory(root);
}

// `keys` with the retired keys of previous/<id>/ its history does not list (folders rotated
// before key history was recorded), first, with unknown intervals.
PublicKeys withRetiredFolders(const fs::path& dir, PublicKeys keys) {
    std::vector<KeyPeriod> sign, box;
    const auto listed = [](const std::vector<KeyPeriod>& history, const std::array<std::uint8_t, 32>& key) {
        return std::any_of(history.begin(), history.end(), [&](const KeyPeriod& k) { return k.key == key; });
    };
    for (const fs::path& folder : retiredKeyFolders(dir)) {
        const PublicKeys old = readPublicKeysFile(folder / KeyFolder::kPublicFile);
        if (old.sign != keys.sign && !listed(keys.retiredSign, old.sign.bytes)) {
            sign.push_back({old.sign.bytes, std::nullopt, std::nullopt});
        }
        if (old.box != keys.box && !listed(keys.retiredBox, old.box.bytes)) {
            box.push_back({old.box.bytes, std::nullopt, std::nullopt});
        }
    }
    keys.retiredSign.insert(keys.retiredSign.begin(), sign.begin(), sign.end());
    keys.retiredBox.insert(keys.retiredBox.begin(), box.begin(), box.end());
    return keys;
}

// New sign.key, box.key and public.keys written beside the old ones, then renamed over them.
// The new public.keys lists the retired keys with the interval they were current in.
PublicKeys installNewSealingKeys(const fs::path& dir, const PublicKeys& old, KeyTime now) {
    KeySecrets fresh;
    fresh.publicKeys.party = old.party;
    fresh.publicKeys.validFrom = now;
    fresh.publicKeys.retiredSign = old.retiredSign;
    fresh.publicKeys.retiredSign.push_back({old.sign.bytes, old.validFrom, now});
    fresh.publicKeys.retiredBox = old.retiredBox;
    fresh.publicKeys.retiredBox.push_back({old.box.bytes, old.validFrom, now});
    fresh.current = LockedBytes(KeySecrets::kCurrentBytes);  // wiped and freed whatever happens next
    sodium_memzero(fresh.pseudonym().data(), KeySecrets::kPseudonymBytes);  // not rotated here
    crypto_sign_keypair(fresh.publicKeys.sign.bytes.data(), fresh.sign().data());
    crypto_box_keypair(fresh.publicKeys.box.bytes.data(), fresh.box().data());
    const fs::path signNew = dir / "sign.key.new";
    const fs::path boxNew = dir / "box.key.new";
    const fs::path publicNew = dir / "public.keys.new";
    for (const auto& leftover : {signNew, boxNew, publicNew}) {
        std::error_code ec;
        fs::remove(leftover, ec);
    }
    writeSecretFile(signNew, fresh.sign());
    writeSecretFile(boxNew, fresh.box());
    writePublicKeysFile(publicNew, fresh.publicKeys);
    detail::syncDirectory(dir);
    renameKeyFile(boxNew, dir / KeyFolder::kBoxFile);
    renameKeyFile(signNew, dir / KeyFolder::kSignFile);
    renameKeyFile(publicNew, dir / KeyFolder::kPublicFile);
    detail::syncDirectory(dir);
    return fresh.publicKeys;
}

}  // namespace

fs::path KeyFolder::retiredPseudonymFile(const fs::path& dir, std::uint32_t epoch) {
    return dir / kPreviousPseudonymDir / (std::to_string(epoch) + ".key");
}

void KeyFolder::generate(const fs::path& dir, std::string_view party, KeyTime now) {
    ensureSodium();
    const fs::path files[] = {dir / kSignFile, dir / kBoxFile, dir / kPseudonymFile, dir / kPublicFile,
                              dir / kPseudonymEpochFile};
    refuseExisting(files);
    if (!dir.parent_path().empty()) {
        fs::create_directories(dir.parent_path());
    }
    makePrivateDir(dir);

    KeySecrets fresh;  // wipes and frees the secrets whatever happens next
    fresh.publicKeys.party = std::string(party);
    fresh.publicKeys.validFrom = now;
    fresh.current = LockedBytes(KeySecrets::kCurrentBytes);
    crypto_sign_keypair(fresh.publicKeys.sign.bytes.data(), fresh.sign().data());
    crypto_box_keypair(fresh.publicKeys.box.bytes.data(), fresh.box().data());
    crypto_kdf_keygen(fresh.pseudonym().data());
    writeSecretFile(files[0], fresh.sign());
    writeSecretFile(files[1], fresh.box());
    writeSecretFile(files[2], fresh.pseudonym());
    writePublicKeysFile(files[3], fresh.publicKeys);
    writeEpochFile(files[4], 1);
    detail::syncDirectory(dir);
}

KeySecrets KeyFolder::read(const fs::path& dir) {
    ensureSodium();
    KeySecrets keys;
    readCurrentKeys(dir, keys);
    keys.pseudonymEpoch = readEpochFile(dir / kPseudonymEpochFile);
    refuseInterruptedPseudonymRotation(dir, keys);
    readRetiredPseudonymKeys(dir, keys);
    readRetiredBoxKeys(dir, keys);
    keys.dir = dir;
    keys.current.makeReadOnly();
    return keys;
}

KeyFolder::SealingRotation KeyFolder::rotateSealingKeys(const fs::path& dir, KeyTime now) {
    const KeySecrets current = read(dir);  // refuses a damaged or too readable folder first
    SealingRotation r;
    r.retiredSignId = current.publicKeys.sign.id();
    r.retiredBoxId = current.publicKeys.box.id();
    if (current.publicKeys.validFrom && now < *current.publicKeys.validFrom) {
        throw KeyError((dir / kPublicFile).string() + ": the current keys are valid from " +
                       formatUtc(*current.publicKeys.validFrom) + ", after now (" + formatUtc(now) +
                       "); check the system clock before rotating");
    }
    const PublicKeys history = withRetiredFolders(dir, current.publicKeys);  // read before the copy below
    keepRetiredSealingKeys(dir, current, r.retiredBoxId);
    const PublicKeys installed = installNewSealingKeys(dir, history, now);
    r.signId = installed.sign.id();
    r.boxId = installed.box.id();
    return r;
}

KeyFolder::PseudonymRotation KeyFolder::rotatePseudonymKey(const fs::path& dir) {
    const KeySecrets current = read(dir);  // also refuses after an interrupted rotation
    PseudonymRotation r;
    r.retiredEpoch = current.pseudonymEpoch;
    if (r.retiredEpoch == UINT32_MAX) {
        throw KeyError((dir / kPseudonymEpochFile).string() + ": the pseudonym key epoch cannot grow further");
    }
    r.epoch = r.retiredEpoch + 1;

    // Order matters, see refuseInterruptedPseudonymRotation: keep N.key, install the new key, then write N+1.
    const fs::path root = dir / kPreviousPseudonymDir;
    makePrivateDir(root);
    const fs::path keep = retiredPseudonymFile(dir, r.retiredEpoch);
    if (!pathExists(keep)) {  // if it exists, read() checked it is the current key
        writeSecretFile(keep, current.pseudonym());
        detail::syncDirectory(root);
    }
    LockedBytes fresh(KeySecrets::kPseudonymBytes);
    crypto_kdf_keygen(fresh.span().data());
    const fs::path next = dir / "pseudonym.key.new";
    std::error_code ec;
    fs::remove(next, ec);
    writeSecretFile(next, fresh.span());
    renameKeyFile(next, dir / kPseudonymFile);
    detail::syncDirectory(dir);
    writeEpochFile(dir / kPseudonymEpochFile, r.epoch);
    detail::syncDirectory(dir);
    return r;
}

PublicKeys KeyFolder::publicKeysWithHistory(const fs::path& dir) {
    return withRetiredFolders(dir, readPublicKeysFile(dir / kPublicFile));
}

KeyFolderInfo KeyFolder::inspect(const fs::path& dir) {
    ensureSodium();
    KeyFolderInfo info;
    const PublicKeys pub = readPublicKeysFile(dir / kPublicFile);
    info.party = pub.party;
    info.signId = pub.sign.id();
    info.boxId = pub.box.id();
    info.pseudonymEpoch = readEpochFile(dir / kPseudonymEpochFile);
    const auto addFile = [&](const fs::path& relative, bool secret) {
        struct stat st {};
        if (::lstat((dir / relative).c_str(), &st) == 0) {
            info.files.push_back({relative, static_cast<unsigned>(st.st_mode & 07777u), secret});
        }
    };
    addFile(kSignFile, true);
    addFile(kBoxFile, true);
    addFile(kPseudonymFile, true);
    addFile(kPublicFile, false);
    addFile(kPseudonymEpochFile, false);
    for (const fs::path& folder : retiredKeyFolders(dir)) {
        const fs::path rel = fs::path(kPreviousDir) / folder.filename();
        const PublicKeys old = readPublicKeysFile(folder / kPublicFile);
        info.previous.push_back({old.sign.id(), old.box.id()});
        addFile(rel / kSignFile, true);
        addFile(rel / kBoxFile, true);
        addFile(rel / kPublicFile, true);
    }
    std::error_code ec;
    if (fs::is_directory(dir / kPreviousPseudonymDir, ec)) {
        for (const auto& entry : fs::directory_iterator(dir / kPreviousPseudonymDir)) {
            if (const auto epoch = retiredPseudonymEpochOf(entry.path())) {
                info.previousPseudonymEpochs.push_back(*epoch);
            }
            addFile(fs::path(kPreviousPseudonymDir) / entry.path().filename(), true);
        }
        std::sort(info.previousPseudonymEpochs.begin(), info.previousPseudonymEpochs.end());
    }
    return info;
}

}  // namespace passerelle::privacy
