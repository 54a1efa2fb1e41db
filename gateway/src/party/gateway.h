#pragma once
// One party's gateway, opened from its configuration: keys, ledger, state
// store and the public keys of its peers. Everything a command needs.

#include "config/gateway_config.h"
#include "ledger/ledger.h"
#include "privacy/party_keys.h"
#include "store/state_store.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace passerelle::exchange {

class Gateway {
public:
    // Loads and checks everything; throws ConfigError / KeyError naming the file.
    static std::unique_ptr<Gateway> open(const std::filesystem::path& configFile);
    explicit Gateway(config::GatewayConfig config);
    // Signs a closing checkpoint over the entries this process appended, if any
    // are not yet covered.
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    const config::GatewayConfig& config() const { return config_; }
    const privacy::PartyKeys& keys() const { return *keys_; }
    ledger::Ledger& ledger() { return *ledger_; }
    store::StateStore& store() { return *store_; }

    // The peer's published keys; throws ConfigError when the party is unknown.
    const privacy::PublicKeys& peerKeys(const std::string& party) const;
    // The Ed25519 keys that may have signed checkpoints: ours (current and
    // retired) and each peer's current one.
    ledger::KeyResolver checkpointKeys() const;
    // Our Ed25519 public keys by key id: the current one and every retired one.
    const std::map<std::string, ledger::SignKey>& ownSignKeys() const { return ownSignKeys_; }
    // Checks a counterpart's checkpoint (origin a configured peer, signed by its
    // key) and keeps it in the ledger. Throws BatchError when it does not verify.
    void keepPeerCheckpoint(const ledger::Checkpoint& checkpoint);

    std::filesystem::path outboxDir() const { return config_.stateDir / "outbox"; }
    std::filesystem::path inboxDir() const { return config_.stateDir / "inbox"; }
    std::filesystem::path quarantineDir() const { return config_.stateDir / "quarantine"; }
    // Which batch carried which pseudonym (store/carried_pseudonyms.h).
    std::filesystem::path carriedDir() const { return config_.stateDir / "carried"; }
    std::filesystem::path ledgerFile() const { return config_.stateDir / "ledger.db"; }
    // What messages name for the ledger: its SQLite file or the PostgreSQL database.
    const std::string& ledgerName() const { return ledger_->name(); }
    // This state folder's identity (a random id kept in `.folder-id`): where a batch's
    // files are, so an instance claims only batches whose files it can read (instances
    // sharing one folder share its id).
    const std::string& folderId() const { return folderId_; }

    // The PostgreSQL database of [storage], password included (from its password_file);
    // nullopt for the SQLite default. Throws ConfigError naming the key.
    static std::optional<db::Location> postgresLocation(const config::GatewayConfig& config);

private:
    config::GatewayConfig config_;
    std::unique_ptr<privacy::PartyKeys> keys_;
    std::unique_ptr<ledger::Ledger> ledger_;
    std::unique_ptr<store::StateStore> store_;
    std::map<std::string, privacy::PublicKeys> peerKeys_;
    std::map<std::string, ledger::SignKey> ownSignKeys_;  // by key id: current and retired
    std::string folderId_;
};

}  // namespace passerelle::exchange
