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

privacy::SignPublicKey PeerKeys::signKeyAt(const std::string& party, const std::string& keyId,
                                           const std::string& signedAt) const {
    const privacy::SignKeyLookup found = privacy::signKeyValidAt(of(party), keyId, signedAt);
    if (!found.key) throw BatchError(found.refusal);
    return *found.key;
}

privacy::SignPublicKey PeerKeys::liveSignKey(const std::string& party, const std::string& keyId,
                                             const std::string& signedAt, privacy::KeyTime now) const {
    const privacy::SignKeyLookup found = privacy::liveSignKey(of(party), keyId, signedAt, now);
    if (!found.key) throw BatchError(found.refusal);
    return *found.key;
}

void PeerKeys::keepCheckpoint(ledger::LedgerAppender& ledger, const ledger::Checkpoint& checkpoint,
                              privacy::KeyTime now) const {
    if (checkpoint.origin == ownParty_ || !keys_.contains(checkpoint.origin)) {
        throw BatchError("checkpoint of '" + checkpoint.origin + "' signed with key " + checkpoint.keyId +
                         ": not a configured peer's checkpoint");
    }
    const privacy::SignPublicKey key = liveSignKey(checkpoint.origin, checkpoint.keyId, checkpoint.time, now);
    if (!checkpoint.signatureVerifies(key.bytes)) {
        throw BatchError("checkpoint of '" + checkpoint.origin + "' does not verify with its key " +
                         checkpoint.keyId);
    }
    ledger.storePeerCheckpoint(checkpoint);
}

privacy::PublicKeys readOwnSignKeys(const std::filesystem::path& keysDir) {
    return privacy::KeyFolder::publicKeysWithHistory(keysDir);
}

std::map<std::string, ledger::SignKey> signKeysById(const privacy::PublicKeys& keys) {
    std::map<std::string, ledger::SignKey> byId;
    for (const privacy::KeyPeriod& k : keys.signHistory()) byId.emplace(k.id(), k.key);
    return byId;
}

ledger::KeyResolver checkpointKeyResolver(std::string party, privacy::PublicKeys own, PeerKeys peers) {
    return [party = std::move(party), own = std::move(own), peers = std::move(peers)](
               const std::string& who, const std::string& keyId,
               const std::string& signedAt) -> ledger::ResolvedKey {
        if (who != party && !peers.knows(who)) {
            return {std::nullopt, "'" + who + "' is neither this party nor a configured peer"};
        }
        const privacy::SignKeyLookup found =
            privacy::signKeyValidAt(who == party ? own : peers.of(who), keyId, signedAt);
        if (!found.key) return {std::nullopt, found.refusal};
        return {found.key->bytes};
    };
}

}  // namespace passerelle::exchange
