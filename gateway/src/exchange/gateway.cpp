#include "exchange/gateway.h"

#include "common/errors.h"

#include <sys/stat.h>

namespace passerelle::exchange {

std::unique_ptr<Gateway> Gateway::open(const std::filesystem::path& configFile) {
    return std::make_unique<Gateway>(config::GatewayConfig::load(configFile));
}

Gateway::Gateway(config::GatewayConfig config) : config_(std::move(config)) {
    std::error_code ec;
    std::filesystem::create_directories(config_.stateDir, ec);
    if (ec) {
        throw ConfigError(config_.file.string() + ": key 'gateway.state_dir': cannot create " +
                          config_.stateDir.string() + ": " + ec.message());
    }
    ::chmod(config_.stateDir.c_str(), 0700);
    keys_ = std::make_unique<privacy::PartyKeys>(privacy::PartyKeys::load(config_.keysDir));
    for (const auto& [party, peer] : config_.peers) {
        privacy::PublicKeys keys;
        try {
            keys = privacy::readPublicKeysFile(peer.publicKeysFile);
        } catch (const Error& e) {
            throw ConfigError(config_.file.string() + ": key 'peer." + party + ".public_keys': " + e.what());
        }
        if (keys.party != party) {
            throw ConfigError(config_.file.string() + ": key 'peer." + party + ".public_keys': " +
                              peer.publicKeysFile.string() + " holds the keys of '" + keys.party + "', not '" +
                              party + "'");
        }
        peerKeys_.emplace(party, std::move(keys));
    }
    for (const auto& dir : {outboxDir(), inboxDir(), quarantineDir()}) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            throw StoreError("cannot create " + dir.string() + ": " + ec.message());
        }
    }
    ledger_ = std::make_unique<ledger::Ledger>(ledgerFile());
    const privacy::PartyKeys& keys = *keys_;
    ledger_->setCheckpointSigner(
        config_.party, keys.publicKeys().sign.id(),
        [&keys](std::span<const std::uint8_t> bytes) { return keys.sign(bytes); }, config_.ledger.checkpointEvery);
    ownSignKeys_.emplace(keys.publicKeys().sign.id(), keys.publicKeys().sign.bytes);
    // Retired signing keys still verify the checkpoints they signed.
    const auto previous = config_.keysDir / privacy::PartyKeys::kPreviousDir;
    for (const auto& dir : std::filesystem::directory_iterator(previous, ec)) {
        const auto file = dir.path() / privacy::PartyKeys::kPublicFile;
        if (std::filesystem::exists(file)) {
            const privacy::PublicKeys retired = privacy::readPublicKeysFile(file);
            ownSignKeys_.emplace(retired.sign.id(), retired.sign.bytes);
        }
    }
    store_ = std::make_unique<store::StateStore>(config_.stateDir / "state.db");
}

Gateway::~Gateway() {
    try {
        if (ledger_ && ledger_->appendedHere() > 0 && ledger_->uncheckpointed() > 0) ledger_->checkpoint();
    } catch (const Error&) {
        // Shutting down: the next start signs it; verify reports nothing missing meanwhile.
    }
}

ledger::KeyResolver Gateway::checkpointKeys() const {
    return [this](const std::string& party, const std::string& keyId) -> std::optional<ledger::SignKey> {
        if (party == config_.party) {
            const auto it = ownSignKeys_.find(keyId);
            if (it != ownSignKeys_.end()) return it->second;
            return std::nullopt;
        }
        const auto peer = peerKeys_.find(party);
        if (peer != peerKeys_.end() && peer->second.sign.id() == keyId) return peer->second.sign.bytes;
        return std::nullopt;
    };
}

void Gateway::keepPeerCheckpoint(const ledger::Checkpoint& checkpoint) {
    const auto key = checkpointKeys()(checkpoint.origin, checkpoint.keyId);
    if (checkpoint.origin == config_.party || !key) {
        throw BatchError("checkpoint of '" + checkpoint.origin + "' signed with key " + checkpoint.keyId +
                         ": not a configured peer's current key");
    }
    if (!checkpoint.signatureVerifies(*key)) {
        throw BatchError("checkpoint of '" + checkpoint.origin + "' does not verify with its key " + checkpoint.keyId);
    }
    ledger_->storePeerCheckpoint(checkpoint);
}

const privacy::PublicKeys& Gateway::peerKeys(const std::string& party) const {
    auto it = peerKeys_.find(party);
    if (it == peerKeys_.end()) {
        throw ConfigError(config_.file.string() + ": party '" + party + "' is not a configured peer");
    }
    return it->second;
}

}  // namespace passerelle::exchange
