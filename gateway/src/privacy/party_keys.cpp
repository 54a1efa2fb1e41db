#include "privacy/party_keys.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/posix_file.h"
#include "privacy/sodium_init.h"

namespace passerelle::privacy {

namespace fs = std::filesystem;
using detail::PosixFile;

struct PartyKeys::Secrets {
    std::uint8_t sign[crypto_sign_SECRETKEYBYTES];
    std::uint8_t box[crypto_box_SECRETKEYBYTES];
    std::uint8_t pseudonym[crypto_kdf_KEYBYTES];
};

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

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

template <typename Key>
Key parseKeyHex(const fs::path& path, std::string_view name, std::string_view hex) {
    Key key;
    try {
        const auto bytes = fromHex(hex, key.bytes.size());
        std::memcpy(key.bytes.data(), bytes.data(), key.bytes.size());
    } catch (const std::invalid_argument&) {
        throw KeyError(path.string() + ": " + std::string(name) + " must be " +
                       std::to_string(key.bytes.size() * 2) + " hexadecimal characters");
    }
    return key;
}

// sodium_malloc'd scratch for a secret that is not kept.
class LockedBytes {
public:
    explicit LockedBytes(std::size_t size)
        : size_(size), data_(static_cast<std::uint8_t*>(sodium_malloc(size))) {
        if (data_ == nullptr) {
            throw KeyError("cannot allocate locked memory for keys");
        }
    }
    ~LockedBytes() { sodium_free(data_); }
    LockedBytes(const LockedBytes&) = delete;
    LockedBytes& operator=(const LockedBytes&) = delete;
    std::span<std::uint8_t> span() { return {data_, size_}; }

private:
    std::size_t size_;
    std::uint8_t* data_;
};

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

fs::path retiredPseudonymFile(const fs::path& dir, std::uint32_t epoch) {
    return dir / PartyKeys::kPreviousPseudonymDir / (std::to_string(epoch) + ".key");
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
    const fs::path root = dir / PartyKeys::kPreviousDir;
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

}  // namespace

std::string keyIdOf(std::span<const std::uint8_t, 32> publicKey) {
    ensureSodium();
    std::uint8_t digest[32];
    crypto_generichash(digest, sizeof digest, publicKey.data(), publicKey.size(), nullptr, 0);
    return toHex(std::span<const std::uint8_t>(digest, 8));
}

std::string publicKeysText(const PublicKeys& keys) {
    if (keys.party.empty() || keys.party.find_first_of("\r\n#=") != std::string::npos ||
        trim(keys.party) != keys.party) {
        throw KeyError("party name must be non-empty, on one line, without '#' or '='");
    }
    std::ostringstream out;
    out << "# passerelle public keys of " << keys.party << "; share this file with peers, never the *.key files\n"
        << "# sign_public_key: Ed25519 (key id " << keys.sign.id()
        << "): verifies this party's manifests, receipts and ledger checkpoints\n"
        << "# box_public_key: X25519 (key id " << keys.box.id() << "): batches for this party are sealed to it\n"
        << "party = " << keys.party << "\n"
        << "sign_public_key = " << toHex(keys.sign.bytes) << "\n"
        << "box_public_key = " << toHex(keys.box.bytes) << "\n";
    return out.str();
}

void writePublicKeysFile(const fs::path& path, const PublicKeys& keys) {
    std::string text;
    try {
        text = publicKeysText(keys);
    } catch (const KeyError& e) {
        throw KeyError(path.string() + ": " + e.what());
    }
    try {
        detail::writeFileAtomically(path, asBytes(text), 0644);
    } catch (const std::exception& e) {
        throw KeyError(path.string() + ": cannot write public keys (" + e.what() + ")");
    }
}

PublicKeys readPublicKeysFile(const fs::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw KeyError(path.string() + ": cannot open public keys file");
    }
    std::optional<std::string> party;
    std::optional<SignPublicKey> sign;
    std::optional<BoxPublicKey> box;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        std::string_view text = line;
        if (const auto hash = text.find('#'); hash != std::string_view::npos) {
            text = text.substr(0, hash);
        }
        text = trim(text);
        if (text.empty()) {
            continue;
        }
        const auto eq = text.find('=');
        const std::string where = path.string() + ":" + std::to_string(lineNo);
        if (eq == std::string_view::npos) {
            throw KeyError(where + ": expected `key = value`");
        }
        const std::string_view key = trim(text.substr(0, eq));
        const std::string_view value = trim(text.substr(eq + 1));
        const auto once = [&](bool seen) {
            if (seen) {
                throw KeyError(where + ": " + std::string(key) + " is given twice");
            }
        };
        if (key == "party") {
            once(party.has_value());
            if (value.empty()) {
                throw KeyError(where + ": party is empty");
            }
            party = std::string(value);
        } else if (key == "sign_public_key") {
            once(sign.has_value());
            sign = parseKeyHex<SignPublicKey>(path, key, value);
        } else if (key == "box_public_key") {
            once(box.has_value());
            box = parseKeyHex<BoxPublicKey>(path, key, value);
        } else {
            throw KeyError(where + ": unknown key `" + std::string(key) +
                           "` (expected party, sign_public_key, box_public_key)");
        }
    }
    if (!party) {
        throw KeyError(path.string() + ": missing party");
    }
    if (!sign) {
        throw KeyError(path.string() + ": missing sign_public_key");
    }
    if (!box) {
        throw KeyError(path.string() + ": missing box_public_key");
    }
    return PublicKeys{*party, *sign, *box};
}

bool verifySignature(const SignPublicKey& key, std::span<const std::uint8_t> message,
                     std::span<const std::uint8_t> signature) {
    ensureSodium();
    if (signature.size() != crypto_sign_BYTES) {
        return false;
    }
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), key.bytes.data()) ==
           0;
}

void PartyKeys::generate(const fs::path& dir, std::string_view party) {
    ensureSodium();
    const fs::path files[] = {dir / kSignFile, dir / kBoxFile, dir / kPseudonymFile, dir / kPublicFile,
                              dir / kPseudonymEpochFile};
    for (const auto& f : files) {
        std::error_code ec;
        if (fs::symlink_status(f, ec).type() != fs::file_type::not_found) {
            throw KeyError(f.string() + " already exists; refusing to overwrite a key (move it away first)");
        }
    }
    if (!dir.parent_path().empty()) {
        fs::create_directories(dir.parent_path());
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        throw KeyError(dir.string() + ": cannot create key folder (" + detail::errnoText(errno) + ")");
    }

    auto* s = static_cast<Secrets*>(sodium_malloc(sizeof(Secrets)));
    if (s == nullptr) {
        throw KeyError("cannot allocate locked memory for keys");
    }
    PublicKeys pub{std::string(party), {}, {}};
    crypto_sign_keypair(pub.sign.bytes.data(), s->sign);
    crypto_box_keypair(pub.box.bytes.data(), s->box);
    crypto_kdf_keygen(s->pseudonym);
    PartyKeys holder(s, pub);  // wipes and frees the secrets whatever happens next
    writeSecretFile(files[0], s->sign);
    writeSecretFile(files[1], s->box);
    writeSecretFile(files[2], s->pseudonym);
    writePublicKeysFile(files[3], pub);
    writeEpochFile(files[4], 1);
    detail::syncDirectory(dir);
}

PartyKeys PartyKeys::load(const fs::path& dir) {
    ensureSodium();
    auto* s = static_cast<Secrets*>(sodium_malloc(sizeof(Secrets)));
    if (s == nullptr) {
        throw KeyError("cannot allocate locked memory for keys");
    }
    PartyKeys keys(s, {});
    readSecretFile(dir / kSignFile, s->sign);
    readSecretFile(dir / kBoxFile, s->box);
    readSecretFile(dir / kPseudonymFile, s->pseudonym);
    keys.public_ = readPublicKeysFile(dir / kPublicFile);

    // The public file must describe these secrets, or peers would seal to a key we cannot open.
    SignPublicKey signPk;
    crypto_sign_ed25519_sk_to_pk(signPk.bytes.data(), s->sign);
    BoxPublicKey boxPk;
    crypto_scalarmult_base(boxPk.bytes.data(), s->box);
    if (signPk != keys.public_.sign) {
        throw KeyError((dir / kPublicFile).string() + ": sign_public_key does not match " +
                       (dir / kSignFile).string());
    }
    if (boxPk != keys.public_.box) {
        throw KeyError((dir / kPublicFile).string() + ": box_public_key does not match " +
                       (dir / kBoxFile).string());
    }

    keys.pseudonymEpoch_ = readEpochFile(dir / kPseudonymEpochFile);
    // Rotation keeps the epoch-N key as previous-pseudonym/N.key before writing the new
    // key and N+1; finding N.key different from pseudonym.key means it stopped in between,
    // and pseudonyms would carry an epoch that is not their key's.
    const fs::path retiredCurrent = retiredPseudonymFile(dir, keys.pseudonymEpoch_);
    if (pathExists(retiredCurrent)) {
        LockedBytes kept(crypto_kdf_KEYBYTES);
        readSecretFile(retiredCurrent, kept.span());
        if (sodium_memcmp(kept.span().data(), s->pseudonym, crypto_kdf_KEYBYTES) != 0) {
            const std::string n = std::to_string(keys.pseudonymEpoch_);
            throw KeyError((dir / kPseudonymEpochFile).string() + " says epoch " + n + " but " +
                           (dir / kPseudonymFile).string() + " is not the epoch-" + n + " key kept in " +
                           retiredCurrent.string() + ": a pseudonym key rotation was interrupted; write " +
                           std::to_string(keys.pseudonymEpoch_ + 1ull) + " into " +
                           (dir / kPseudonymEpochFile).string());
        }
    }
    keys.loadRetiredPseudonymKeys(dir);
    keys.loadRetiredBoxKeys(dir);
    keys.dir_ = dir;
    sodium_mprotect_readonly(s);
    return keys;
}

void PartyKeys::loadRetiredPseudonymKeys(const fs::path& dir) {
    const fs::path root = dir / kPreviousPseudonymDir;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        return;
    }
    std::vector<std::pair<std::uint32_t, fs::path>> files;
    for (const auto& entry : fs::directory_iterator(root)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        checkSecretMode(entry.path());  // any file there, even one not loaded, may be a key
        const auto epoch = retiredPseudonymEpochOf(entry.path());
        if (!epoch || *epoch == pseudonymEpoch_) {  // the current key's copy: load() compared it
            continue;
        }
        if (*epoch > pseudonymEpoch_) {
            throw KeyError(
                entry.path().string() + " is a key of epoch " + std::to_string(*epoch) +
                ", newer than the current epoch " + std::to_string(pseudonymEpoch_) + " in " +
                (dir / kPseudonymEpochFile).string() +
                ": the key folder was partly restored; restore pseudonym.key and pseudonym.epoch too");
        }
        files.emplace_back(*epoch, entry.path());
    }
    if (files.empty()) {
        return;
    }
    std::sort(files.begin(), files.end());
    retiredPseudonymSecrets_ =
        static_cast<std::uint8_t*>(sodium_allocarray(files.size(), crypto_kdf_KEYBYTES));
    if (retiredPseudonymSecrets_ == nullptr) {
        throw KeyError("cannot allocate locked memory for keys");
    }
    for (const auto& [epoch, file] : files) {
        std::uint8_t* slot = retiredPseudonymSecrets_ + retiredPseudonymEpochs_.size() * crypto_kdf_KEYBYTES;
        retiredPseudonymEpochs_.push_back(epoch);
        readSecretFile(file, std::span<std::uint8_t>(slot, crypto_kdf_KEYBYTES));
    }
    sodium_mprotect_readonly(retiredPseudonymSecrets_);
}

void PartyKeys::loadRetiredBoxKeys(const fs::path& dir) {
    const std::vector<fs::path> folders = retiredKeyFolders(dir);
    if (folders.empty()) {
        return;
    }
    retiredBoxSecrets_ =
        static_cast<std::uint8_t*>(sodium_allocarray(folders.size(), crypto_box_SECRETKEYBYTES));
    if (retiredBoxSecrets_ == nullptr) {
        throw KeyError("cannot allocate locked memory for keys");
    }
    for (const fs::path& folder : folders) {
        checkSecretMode(folder / kSignFile);  // not loaded: only old manifests were signed with it
        std::uint8_t* slot = retiredBoxSecrets_ + retiredBox_.size() * crypto_box_SECRETKEYBYTES;
        readSecretFile(folder / kBoxFile, std::span<std::uint8_t>(slot, crypto_box_SECRETKEYBYTES));
        BoxPublicKey boxPk;
        crypto_scalarmult_base(boxPk.bytes.data(), slot);
        if (readPublicKeysFile(folder / kPublicFile).box != boxPk) {
            throw KeyError((folder / kPublicFile).string() + ": box_public_key does not match " +
                           (folder / kBoxFile).string());
        }
        const std::string id = boxPk.id();
        if (folder.filename() != id) {
            throw KeyError(folder.string() + ": a retired key folder must be named after its box key id (" +
                           id + ")");
        }
        if (boxPk == public_.box) {  // kept by a rotation that stopped before installing new keys
            sodium_memzero(slot, crypto_box_SECRETKEYBYTES);
            continue;
        }
        retiredBox_.push_back(boxPk);
        retiredBoxIds_.push_back(id);
    }
    sodium_mprotect_readonly(retiredBoxSecrets_);
}

PartyKeys::SealingRotation PartyKeys::rotateSealingKeys(const fs::path& dir) {
    const PartyKeys current = load(dir);  // refuses a damaged or too readable folder first
    SealingRotation r;
    r.retiredSignId = current.public_.sign.id();
    r.retiredBoxId = current.public_.box.id();

    // 1. Keep the current keys in previous/<box key id>/, built in a ".tmp" folder and
    //    renamed, so the folder is either complete or ignored.
    const fs::path root = dir / kPreviousDir;
    makePrivateDir(root);
    const fs::path keep = root / r.retiredBoxId;
    if (pathExists(keep)) {
        if (readPublicKeysFile(keep / kPublicFile).box != current.public_.box) {
            throw KeyError(keep.string() + " exists and holds other keys; move it away before rotating");
        }
    } else {
        const fs::path staging = root / (r.retiredBoxId + ".tmp");
        fs::remove_all(staging);
        makePrivateDir(staging);
        writeSecretFile(staging / kSignFile, current.secrets_->sign);
        writeSecretFile(staging / kBoxFile, current.secrets_->box);
        const auto publicText = detail::readSmallFile(dir / kPublicFile, 64 * 1024);
        writeSecretFile(staging / kPublicFile, publicText);
        detail::syncDirectory(staging);
        renameKeyFile(staging, keep);
        detail::syncDirectory(root);
    }

    // 2. New keys written beside the old ones, then renamed over them.
    auto* s = static_cast<Secrets*>(sodium_malloc(sizeof(Secrets)));
    if (s == nullptr) {
        throw KeyError("cannot allocate locked memory for keys");
    }
    PartyKeys fresh(s, PublicKeys{current.public_.party, {}, {}});
    sodium_memzero(s->pseudonym, sizeof s->pseudonym);  // not rotated here
    crypto_sign_keypair(fresh.public_.sign.bytes.data(), s->sign);
    crypto_box_keypair(fresh.public_.box.bytes.data(), s->box);
    const fs::path signNew = dir / "sign.key.new";
    const fs::path boxNew = dir / "box.key.new";
    const fs::path publicNew = dir / "public.keys.new";
    for (const auto& leftover : {signNew, boxNew, publicNew}) {
        std::error_code ec;
        fs::remove(leftover, ec);
    }
    writeSecretFile(signNew, s->sign);
    writeSecretFile(boxNew, s->box);
    writePublicKeysFile(publicNew, fresh.public_);
    detail::syncDirectory(dir);
    renameKeyFile(boxNew, dir / kBoxFile);
    renameKeyFile(signNew, dir / kSignFile);
    renameKeyFile(publicNew, dir / kPublicFile);
    detail::syncDirectory(dir);
    r.signId = fresh.public_.sign.id();
    r.boxId = fresh.public_.box.id();
    return r;
}

PartyKeys::PseudonymRotation PartyKeys::rotatePseudonymKey(const fs::path& dir) {
    const PartyKeys current = load(dir);  // also refuses after an interrupted rotation
    PseudonymRotation r;
    r.retiredEpoch = current.pseudonymEpoch_;
    if (r.retiredEpoch == UINT32_MAX) {
        throw KeyError((dir / kPseudonymEpochFile).string() +
                       ": the pseudonym key epoch cannot grow further");
    }
    r.epoch = r.retiredEpoch + 1;

    // Order matters, see the check in load(): keep N.key, install the new key, then write N+1.
    const fs::path root = dir / kPreviousPseudonymDir;
    makePrivateDir(root);
    const fs::path keep = retiredPseudonymFile(dir, r.retiredEpoch);
    if (!pathExists(keep)) {  // if it exists, load() checked it is the current key
        writeSecretFile(keep, current.secrets_->pseudonym);
        detail::syncDirectory(root);
    }
    LockedBytes fresh(crypto_kdf_KEYBYTES);
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

KeyFolderInfo PartyKeys::inspect(const fs::path& dir) {
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

void PartyKeys::release() noexcept {
    if (secrets_ != nullptr) {
        sodium_mprotect_readwrite(secrets_);
        sodium_memzero(secrets_, sizeof(Secrets));
        sodium_free(secrets_);  // also wipes, but be explicit
        secrets_ = nullptr;
    }
    if (retiredBoxSecrets_ != nullptr) {
        sodium_mprotect_readwrite(retiredBoxSecrets_);
        sodium_memzero(retiredBoxSecrets_, retiredBox_.size() * crypto_box_SECRETKEYBYTES);
        sodium_free(retiredBoxSecrets_);  // wipes the whole block, skipped slots included
        retiredBoxSecrets_ = nullptr;
    }
    retiredBox_.clear();
    retiredBoxIds_.clear();
    if (retiredPseudonymSecrets_ != nullptr) {
        sodium_mprotect_readwrite(retiredPseudonymSecrets_);
        sodium_memzero(retiredPseudonymSecrets_, retiredPseudonymEpochs_.size() * crypto_kdf_KEYBYTES);
        sodium_free(retiredPseudonymSecrets_);
        retiredPseudonymSecrets_ = nullptr;
    }
    retiredPseudonymEpochs_.clear();
}

PartyKeys::~PartyKeys() { release(); }

PartyKeys::PartyKeys(PartyKeys&& other) noexcept
    : secrets_(std::exchange(other.secrets_, nullptr)),
      public_(std::move(other.public_)),
      pseudonymEpoch_(other.pseudonymEpoch_),
      retiredBoxSecrets_(std::exchange(other.retiredBoxSecrets_, nullptr)),
      retiredBox_(std::move(other.retiredBox_)),
      retiredBoxIds_(std::move(other.retiredBoxIds_)),
      retiredPseudonymSecrets_(std::exchange(other.retiredPseudonymSecrets_, nullptr)),
      retiredPseudonymEpochs_(std::move(other.retiredPseudonymEpochs_)),
      dir_(std::move(other.dir_)) {}

PartyKeys& PartyKeys::operator=(PartyKeys&& other) noexcept {
    if (this != &other) {
        release();
        secrets_ = std::exchange(other.secrets_, nullptr);
        public_ = std::move(other.public_);
        pseudonymEpoch_ = other.pseudonymEpoch_;
        retiredBoxSecrets_ = std::exchange(other.retiredBoxSecrets_, nullptr);
        retiredBox_ = std::move(other.retiredBox_);
        retiredBoxIds_ = std::move(other.retiredBoxIds_);
        retiredPseudonymSecrets_ = std::exchange(other.retiredPseudonymSecrets_, nullptr);
        retiredPseudonymEpochs_ = std::move(other.retiredPseudonymEpochs_);
        dir_ = std::move(other.dir_);
    }
    return *this;
}

std::array<std::uint8_t, 64> PartyKeys::sign(std::span<const std::uint8_t> message) const {
    if (secrets_ == nullptr) {
        throw std::logic_error("PartyKeys used after move");
    }
    std::array<std::uint8_t, 64> sig{};
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secrets_->sign);
    return sig;
}

bool PartyKeys::openSealed(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> plain) const {
    if (secrets_ == nullptr) {
        throw std::logic_error("PartyKeys used after move");
    }
    if (sealed.size() < crypto_box_SEALBYTES || plain.size() != sealed.size() - crypto_box_SEALBYTES) {
        return false;
    }
    return crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), public_.box.bytes.data(),
                                secrets_->box) == 0;
}

bool PartyKeys::openSealed(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> plain,
                           std::string_view boxKeyId) const {
    if (secrets_ == nullptr) {
        throw std::logic_error("PartyKeys used after move");
    }
    if (boxKeyId == public_.box.id()) {
        return openSealed(sealed, plain);
    }
    for (std::size_t i = 0; i < retiredBoxIds_.size(); ++i) {
        if (retiredBoxIds_[i] == boxKeyId) {
            if (sealed.size() < crypto_box_SEALBYTES ||
                plain.size() != sealed.size() - crypto_box_SEALBYTES) {
                return false;
            }
            return crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(),
                                        retiredBox_[i].bytes.data(),
                                        retiredBoxSecrets_ + i * crypto_box_SECRETKEYBYTES) == 0;
        }
    }
    return false;
}

bool PartyKeys::holdsBoxKey(std::string_view boxKeyId) const {
    return boxKeyId == public_.box.id() ||
           std::find(retiredBoxIds_.begin(), retiredBoxIds_.end(), boxKeyId) != retiredBoxIds_.end();
}

void PartyKeys::deriveSubkey(std::uint64_t id, const char context[8], std::span<std::uint8_t, 32> out) const {
    deriveSubkey(pseudonymEpoch_, id, context, out);
}

void PartyKeys::deriveSubkey(std::uint32_t epoch, std::uint64_t id, const char context[8],
                             std::span<std::uint8_t, 32> out) const {
    const std::uint8_t* key = pseudonymKeyOf(epoch);
    if (key == nullptr) {
        throw KeyError("no pseudonym key of epoch " + std::to_string(epoch) + " is held (current epoch " +
                       std::to_string(pseudonymEpoch_) + "): " + retiredPseudonymFile(dir_, epoch).string() +
                       " is missing; restore it from a backup of the key folder");
    }
    if (crypto_kdf_derive_from_key(out.data(), out.size(), id, context, key) != 0) {
        throw std::runtime_error("crypto_kdf_derive_from_key failed");
    }
}

const std::uint8_t* PartyKeys::pseudonymKeyOf(std::uint32_t epoch) const {
    if (secrets_ == nullptr) {
        throw std::logic_error("PartyKeys used after move");
    }
    if (epoch == pseudonymEpoch_) {
        return secrets_->pseudonym;
    }
    const auto it = std::lower_bound(retiredPseudonymEpochs_.begin(), retiredPseudonymEpochs_.end(), epoch);
    if (it == retiredPseudonymEpochs_.end() || *it != epoch) {
        return nullptr;
    }
    return retiredPseudonymSecrets_ +
           static_cast<std::size_t>(it - retiredPseudonymEpochs_.begin()) * crypto_kdf_KEYBYTES;
}

std::vector<std::uint32_t> PartyKeys::pseudonymEpochs() const {
    std::vector<std::uint32_t> epochs{pseudonymEpoch_};
    epochs.insert(epochs.end(), retiredPseudonymEpochs_.rbegin(), retiredPseudonymEpochs_.rend());
    return epochs;
}

bool PartyKeys::holdsPseudonymEpoch(std::uint32_t epoch) const { return pseudonymKeyOf(epoch) != nullptr; }

}  // namespace passerelle::privacy
