#pragma once
// One party's gateway, opened from its configuration: keys, ledger, state
// store and the public keys of its peers. Everything a command needs.
// Only use cases (serve, transferOnce, audit, console…) take it; a service gets parts (party/party_parts.h).

#include "config/gateway_config.h"
#include "ledger/ledger.h"
#include "party/peer_keys.h"
#include "party/state_folders.h"
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
    const privacy::PublicKeys& peerKeys(const std::string& party) const { return peers_.of(party); }
    const PeerKeys& peers() const { return peers_; }
    // The Ed25519 keys that may have signed checkpoints: ours (current and
    // retired) and each peer's current one.
    ledger::KeyResolver checkpointKeys() const;
    // Our Ed25519 public keys by key id: the current one and every retired one.
    const std::map<std::string, ledger::SignKey>& ownSignKeys() const { return ownSignKeys_; }
    // Checks a counterpart's checkpoint (origin a configured peer, signed by its
    // key) and keeps it in the ledger. Throws BatchError when it does not verify.
    void keepPeerCheckpoint(const ledger::Checkpoint& checkpoint) {
        peers_.keepCheckpoint(*ledger_, checkpoint);
    }

    // The state folder's batch folders and identity (party/state_folders.h).
    const StateFolders& folders() const { return folders_; }
    const std::filesystem::path& outboxDir() const { return folders_.outbox; }
    const std::filesystem::path& inboxDir() const { return folders_.inbox; }
    const std::filesystem::path& quarantineDir() const { return folders_.quarantine; }
    // Which batch carried which pseudonym (store/carried_pseudonyms.h).
    const std::filesystem::path& carriedDir() const { return folders_.carried; }
    std::filesystem::path ledgerFile() const { return config_.stateDir / "ledger.db"; }
    // What messages name for the ledger: its SQLite file or the PostgreSQL database.
    const std::string& ledgerName() const { return ledger_->name(); }
    // This state folder's identity (party/state_folders.h).
    const std::string& folderId() const { return folders_.folderId; }

    // The PostgreSQL database of [storage], password included (from its password_file);
    // nullopt for the SQLite default. Throws ConfigError naming the key.
    static std::optional<db::Location> postgresLocation(const config::GatewayConfig& config);

private:
    config::GatewayConfig config_;
    StateFolders folders_;
    std::unique_ptr<privacy::PartyKeys> keys_;
    std::unique_ptr<ledger::Ledger> ledger_;
    std::unique_ptr<store::StateStore> store_;
    PeerKeys peers_;
    privacy::PublicKeys ownKeys_;                         // with their history
    std::map<std::string, ledger::SignKey> ownSignKeys_;  // by key id: current and retired
};

}  // namespace passerelle::exchange
