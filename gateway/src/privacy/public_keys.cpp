#include "privacy/public_keys.h"

#include <sodium.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
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

constexpr const char* kUnknownTime = "unknown";

std::string timeText(const std::optional<KeyTime>& t) { return t ? formatUtc(*t) : kUnknownTime; }

std::optional<KeyTime> parseTime(const std::string& where, std::string_view name, std::string_view text,
                                 bool unknownAllowed) {
    if (unknownAllowed && text == kUnknownTime) {
        return std::nullopt;
    }
    const auto t = parseUtc(std::string(text));
    if (!t) {
        throw KeyError(where + ": " + std::string(name) + " must be an RFC 3339 UTC time like 2026-11-29T08:36:38Z" +
                       (unknownAllowed ? " or `unknown`" : ""));
    }
    return t;
}

// `<key id> <hex> <valid_from|unknown> <valid_until|unknown>`: the id is written out so that a
// line whose key is not the one it claims (edited, or pasted from another file) is refused.
KeyPeriod parseRetiredKey(const fs::path& path, const std::string& where, std::string_view name,
                          std::string_view value) {
    std::vector<std::string_view> words;
    while (!value.empty()) {
        const auto end = value.find_first_of(" \t");
        words.push_back(value.substr(0, end));
        value = end == std::string_view::npos ? std::string_view() : trim(value.substr(end));
    }
    if (words.size() != 4) {
        throw KeyError(where + ": " + std::string(name) +
                       " must be `<key id> <hex key> <valid_from|unknown> <valid_until|unknown>`");
    }
    KeyPeriod period;
    period.key = parseKeyHex<SignPublicKey>(path, name, words[1]).bytes;
    if (period.id() != words[0]) {
        throw KeyError(where + ": " + std::string(name) + " names key id " + std::string(words[0]) +
                       " but its key has id " + period.id() + " (a forged or damaged history line)");
    }
    period.validFrom = parseTime(where, "its valid_from", words[2], true);
    period.validUntil = parseTime(where, "its valid_until", words[3], true);
    if (period.validFrom && period.validUntil && *period.validUntil < *period.validFrom) {
        throw KeyError(where + ": " + std::string(name) + " " + period.id() + " ends before it begins");
    }
    return period;
}

void writeRetired(std::ostringstream& out, const char* name, const std::vector<KeyPeriod>& keys) {
    for (const KeyPeriod& k : keys) {
        out << name << " = " << k.id() << " " << toHex(k.key) << " " << timeText(k.validFrom) << " "
            << timeText(k.validUntil) << "\n";
    }
}

// A retired key must be neither the current one nor given twice.
void checkRetired(const std::string& where, std::string_view name, const KeyPeriod& k,
                  const std::vector<KeyPeriod>& earlier, const std::array<std::uint8_t, 32>& current) {
    if (k.key == current) {
        throw KeyError(where + ": " + std::string(name) + " " + k.id() + " is the current key");
    }
    for (const KeyPeriod& e : earlier) {
        if (e.key == k.key) {
            throw KeyError(where + ": " + std::string(name) + " " + k.id() + " is given twice");
        }
    }
}

}  // namespace

std::vector<KeyPeriod> PublicKeys::signHistory() const {
    std::vector<KeyPeriod> history = retiredSign;
    history.push_back({sign.bytes, validFrom, std::nullopt});
    return history;
}

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
    if (keys.validFrom) {
        out << "valid_from = " << formatUtc(*keys.validFrom) << "\n";
    }
    if (!keys.retiredSign.empty() || !keys.retiredBox.empty()) {
        out << "# keys retired by rotations: <key id> <key> <valid_from> <valid_until> (unknown: not recorded);\n"
            << "# documents signed while a key was current stay verifiable with it\n";
    }
    writeRetired(out, "retired_sign_public_key", keys.retiredSign);
    writeRetired(out, "retired_box_public_key", keys.retiredBox);
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
    std::optional<KeyTime> validFrom;
    bool validFromSeen = false;
    std::vector<std::pair<std::string, KeyPeriod>> retiredSign, retiredBox;  // with where they were read
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
        } else if (key == "valid_from") {
            once(validFromSeen);
            validFromSeen = true;
            validFrom = parseTime(where, key, value, false);
        } else if (key == "retired_sign_public_key") {
            retiredSign.emplace_back(where, parseRetiredKey(path, where, key, value));
        } else if (key == "retired_box_public_key") {
            retiredBox.emplace_back(where, parseRetiredKey(path, where, key, value));
        } else {
            throw KeyError(where + ": unknown key `" + std::string(key) +
                           "` (expected party, sign_public_key, box_public_key, valid_from, "
                           "retired_sign_public_key, retired_box_public_key)");
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
    PublicKeys keys;
    keys.party = *party;
    keys.sign = *sign;
    keys.box = *box;
    keys.validFrom = validFrom;
    for (const auto& [where, k] : retiredSign) {
        checkRetired(where, "retired_sign_public_key", k, keys.retiredSign, keys.sign.bytes);
        keys.retiredSign.push_back(k);
    }
    for (const auto& [where, k] : retiredBox) {
        checkRetired(where, "retired_box_public_key", k, keys.retiredBox, keys.box.bytes);
        keys.retiredBox.push_back(k);
    }
    return keys;
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
