#include "privacy/public_keys.h"

#include <sodium.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/posix_file.h"
#include "privacy/sodium_init.h"

namespace passerelle::privacy {

namespace fs = std::filesystem;

namespace {

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

}  // namespace passerelle::privacy
