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
    store_ = std::make_unique<store::StateStore>(config_.stateDir / "state.db");
}

const privacy::PublicKeys& Gateway::peerKeys(const std::string& party) const {
    auto it = peerKeys_.find(party);
    if (it == peerKeys_.end()) {
        throw ConfigError(config_.file.string() + ": party '" + party + "' is not a configured peer");
    }
    return it->second;
}

}  // namespace passerelle::exchange
