#include "party/peer_keys.h"

#include "common/errors.h"
#include "privacy/key_folder.h"

namespace passerelle::exchange {

PeerKeys PeerKeys::load(const config::GatewayConfig& config) {
    PeerKeys peers;
    peers.configFile_ = config.file;
    peers.ownParty_ = config.party;
    for (const auto& [party, peer] : config.peers) {
        privacy::PublicKeys keys;
        try {
            keys = privacy::readPublicKeysFile(peer.publicKeysFile);
        } catch (const Error& e) {
            throw ConfigError(config.file.string() + ": key 'peer." + party + ".public_keys': " + e.what());
        }
        if (keys.party != party) {
            throw ConfigError(config.file.string() + ": key 'peer." + party +
                              ".public_keys': " + peer.publicKeysFile.string() + " holds the keys of '" +
                              keys.party + "', not '" + party + "'");
        }
        peers.keys_.emplace(party, std::move(keys));
    }
    return peers;
}

const privacy::PublicKeys& PeerKeys::of(const std::string& party) const {
    auto it = keys_.find(party);
    if (it == keys_.end()) {
        throw ConfigError(configFile_.string() + ": party '" + party + "' is not a configured peer");
    }
    return it->second;
}

std::optional<ledger::SignKey> PeerKeys::currentSignKey(const std::string& party,
                                                        const std::string& keyId) const {
    const auto peer = keys_.find(party);
    if (peer != keys_.end() && peer->second.sign.id() == keyId) return peer->second.sign.bytes;
    return std::nullopt;
}

void PeerKeys::keepCheckpoint(ledger::LedgerAppender& ledger, const ledger::Checkpoint& checkpoint) const {
    const auto key =
        checkpoint.origin == ownParty_ ? std::nullopt : currentSignKey(checkpoint.origin, checkpoint.keyId);
    if (!key) {
        throw BatchError("checkpoint of '" + checkpoint.origin + "' signed with key " + checkpoint.keyId +
                         ": not a configured peer's current key");
    }
    if (!checkpoint.signatureVerifies(*key)) {
        throw BatchError("checkpoint of '" + checkpoint.origin + "' does not verify with its key " +
                         checkpoint.keyId);
    }
    ledger.storePeerCheckpoint(checkpoint);
}

std::map<std::string, ledger::SignKey> readOwnSignKeys(const std::filesystem::path& keysDir) {
    std::map<std::string, ledger::SignKey> own;
    const privacy::PublicKeys current = privacy::readPublicKeysFile(keysDir / privacy::KeyFolder::kPublicFile);
    own.emplace(current.sign.id(), current.sign.bytes);
    std::error_code ec;
    for (const auto& dir : std::filesystem::directory_iterator(keysDir / privacy::KeyFolder::kPreviousDir, ec)) {
        const auto file = dir.path() / privacy::KeyFolder::kPublicFile;
        if (std::filesystem::exists(file)) {
            const privacy::PublicKeys retired = privacy::readPublicKeysFile(file);
            own.emplace(retired.sign.id(), retired.sign.bytes);
        }
    }
    return own;
}

ledger::KeyResolver checkpointKeyResolver(std::string party, std::map<std::string, ledger::SignKey> own,
                                          PeerKeys peers) {
    return [party = std::move(party), own = std::move(own), peers = std::move(peers)](
               const std::string& who, const std::string& keyId) -> std::optional<ledger::SignKey> {
        if (who != party) return peers.currentSignKey(who, keyId);
        const auto it = own.find(keyId);
        if (it == own.end()) return std::nullopt;
        return it->second;
    };
}

}  // namespace passerelle::exchange
