#include "privacy/party_keys.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "common/errors.h"

namespace passerelle::privacy {

namespace fs = std::filesystem;

PartyKeys PartyKeys::load(const fs::path& dir) { return PartyKeys(KeyFolder::read(dir)); }

PartyKeys::PartyKeys(KeySecrets secrets) : secrets_(std::move(secrets)) {
    for (const BoxPublicKey& key : secrets_.retiredBoxKeys) {
        retiredBoxIds_.push_back(key.id());
    }
}

void PartyKeys::refuseIfMoved() const {
    if (secrets_.current.empty()) {
        throw std::logic_error("PartyKeys used after move");
    }
}

std::array<std::uint8_t, 64> PartyKeys::sign(std::span<const std::uint8_t> message) const {
    refuseIfMoved();
    std::array<std::uint8_t, 64> sig{};
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secrets_.sign().data());
    return sig;
}

bool PartyKeys::openSealed(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> plain) const {
    refuseIfMoved();
    if (sealed.size() < crypto_box_SEALBYTES || plain.size() != sealed.size() - crypto_box_SEALBYTES) {
        return false;
    }
    return crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), secrets_.publicKeys.box.bytes.data(),
                                secrets_.box().data()) == 0;
}

bool PartyKeys::openSealed(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> plain,
                           std::string_view boxKeyId) const {
    refuseIfMoved();
    if (boxKeyId == secrets_.publicKeys.box.id()) {
        return openSealed(sealed, plain);
    }
    for (std::size_t i = 0; i < retiredBoxIds_.size(); ++i) {
        if (retiredBoxIds_[i] == boxKeyId) {
            if (sealed.size() < crypto_box_SEALBYTES ||
                plain.size() != sealed.size() - crypto_box_SEALBYTES) {
                return false;
            }
            const auto secret = secrets_.retiredBox.slice(i * KeySecrets::kBoxBytes, KeySecrets::kBoxBytes);
            return crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(),
                                        secrets_.retiredBoxKeys[i].bytes.data(), secret.data()) == 0;
        }
    }
    return false;
}

bool PartyKeys::holdsBoxKey(std::string_view boxKeyId) const {
    return boxKeyId == secrets_.publicKeys.box.id() ||
           std::find(retiredBoxIds_.begin(), retiredBoxIds_.end(), boxKeyId) != retiredBoxIds_.end();
}

void PartyKeys::deriveSubkey(std::uint64_t id, const char context[8], std::span<std::uint8_t, 32> out) const {
    deriveSubkey(secrets_.pseudonymEpoch, id, context, out);
}

void PartyKeys::deriveSubkey(std::uint32_t epoch, std::uint64_t id, const char context[8],
                             std::span<std::uint8_t, 32> out) const {
    const std::uint8_t* key = pseudonymKeyOf(epoch);
    if (key == nullptr) {
        throw KeyError("no pseudonym key of epoch " + std::to_string(epoch) + " is held (current epoch " +
                       std::to_string(secrets_.pseudonymEpoch) +
                       "): " + KeyFolder::retiredPseudonymFile(secrets_.dir, epoch).string() +
                       " is missing; restore it from a backup of the key folder");
    }
    if (crypto_kdf_derive_from_key(out.data(), out.size(), id, context, key) != 0) {
        throw std::runtime_error("crypto_kdf_derive_from_key failed");
    }
}

const std::uint8_t* PartyKeys::pseudonymKeyOf(std::uint32_t epoch) const {
    refuseIfMoved();
    if (epoch == secrets_.pseudonymEpoch) {
        return secrets_.pseudonym().data();
    }
    const auto& epochs = secrets_.retiredPseudonymEpochs;
    const auto it = std::lower_bound(epochs.begin(), epochs.end(), epoch);
    if (it == epochs.end() || *it != epoch) {
        return nullptr;
    }
    const auto slot = static_cast<std::size_t>(it - epochs.begin());
    return secrets_.retiredPseudonym.slice(slot * KeySecrets::kPseudonymBytes, KeySecrets::kPseudonymBytes).data();
}

std::vector<std::uint32_t> PartyKeys::pseudonymEpochs() const {
    std::vector<std::uint32_t> epochs{secrets_.pseudonymEpoch};
    const auto& retired = secrets_.retiredPseudonymEpochs;
    epochs.insert(epochs.end(), retired.rbegin(), retired.rend());
    return epochs;
}

bool PartyKeys::holdsPseudonymEpoch(std::uint32_t epoch) const { return pseudonymKeyOf(epoch) != nullptr; }

}  // namespace passerelle::privacy
