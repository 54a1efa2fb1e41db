#include "privacy/party_keys.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
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

// Reads a secret key file straight into `out` (locked memory), checking size and mode.
void readSecretFile(const fs::path& path, std::span<std::uint8_t> out) {
    PosixFile file;
    try {
        file = PosixFile::openRead(path);
    } catch (const std::system_error& e) {
        throw KeyError(path.string() + ": cannot open key file (" + e.code().message() +
                       "); run `passerelle keys generate` or restore it from backup");
    }
    const unsigned mode = file.mode();
    if ((mode & 077u) != 0) {
        throw KeyError(path.string() + " is readable by group or others (mode " + modeText(mode) +
                       "); run chmod 600 " + path.string());
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

}  // namespace

std::string keyIdOf(std::span<const std::uint8_t, 32> publicKey) {
    ensureSodium();
    std::uint8_t digest[32];
    crypto_generichash(digest, sizeof digest, publicKey.data(), publicKey.size(), nullptr, 0);
    return toHex(std::span<const std::uint8_t>(digest, 8));
}

void writePublicKeysFile(const fs::path& path, const PublicKeys& keys) {
    if (keys.party.empty() || keys.party.find_first_of("\r\n#=") != std::string::npos ||
        trim(keys.party) != keys.party) {
        throw KeyError(path.string() + ": party name must be non-empty, on one line, without '#' or '='");
    }
    std::ostringstream out;
    out << "# passerelle public keys; share this file with peers, never the *.key files\n"
        << "party = " << keys.party << "\n"
        << "sign_public_key = " << toHex(keys.sign.bytes) << "\n"
        << "box_public_key = " << toHex(keys.box.bytes) << "\n";
    const std::string text = out.str();
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
    const fs::path files[] = {dir / kSignFile, dir / kBoxFile, dir / kPseudonymFile, dir / kPublicFile};
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
    sodium_mprotect_readonly(s);
    return keys;
}

void PartyKeys::release() noexcept {
    if (secrets_ != nullptr) {
        sodium_mprotect_readwrite(secrets_);
        sodium_memzero(secrets_, sizeof(Secrets));
        sodium_free(secrets_);  // also wipes, but be explicit
        secrets_ = nullptr;
    }
}

PartyKeys::~PartyKeys() { release(); }

PartyKeys::PartyKeys(PartyKeys&& other) noexcept
    : secrets_(std::exchange(other.secrets_, nullptr)), public_(std::move(other.public_)) {}

PartyKeys& PartyKeys::operator=(PartyKeys&& other) noexcept {
    if (this != &other) {
        release();
        secrets_ = std::exchange(other.secrets_, nullptr);
        public_ = std::move(other.public_);
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

void PartyKeys::deriveSubkey(std::uint64_t id, const char context[8], std::span<std::uint8_t, 32> out) const {
    if (secrets_ == nullptr) {
        throw std::logic_error("PartyKeys used after move");
    }
    if (crypto_kdf_derive_from_key(out.data(), out.size(), id, context, secrets_->pseudonym) != 0) {
        throw std::runtime_error("crypto_kdf_derive_from_key failed");
    }
}

}  // namespace passerelle::privacy
