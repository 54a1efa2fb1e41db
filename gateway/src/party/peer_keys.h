#pragma once
// The published keys of the parties this gateway exchanges with ([peer.*]
// public_keys): what a service needs to check a peer's signature or seal a
// batch for it, without the rest of the Gateway.

#include "config/gateway_config.h"
#include "ledger/appender.h"
#include "ledger/verifier.h"
#include "privacy/party_keys.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace passerelle::exchange {

class PeerKeys {
public:
    // Reads each peer's public_keys file; throws ConfigError naming the key when one
    // cannot be read or holds another party's keys.
    static PeerKeys load(const config::GatewayConfig& config);

    // The peer's published keys; throws ConfigError when the party is unknown.
    const privacy::PublicKeys& of(const std::string& party) const;
    // The peer's current Ed25519 key when its id is `keyId`; nullopt otherwise.
    std::optional<ledger::SignKey> currentSignKey(const std::string& party, const std::string& keyId) const;
    // Checks a counterpart's checkpoint (origin a configured peer, signed by its
    // key) and keeps it in the ledger. Throws BatchError when it does not verify.
    void keepCheckpoint(ledger::LedgerAppender& ledger, const ledger::Checkpoint& checkpoint) const;

private:
    std::filesystem::path configFile_;  // named by every message
    std::string ownParty_;
    std::map<std::string, privacy::PublicKeys> keys_;
};

// Our Ed25519 public keys by key id: the current one (keysDir/public.keys) and every
// retired one (previous/<id>/public.keys), which still verify the checkpoints they
// signed. Public keys only: no secret is read.
std::map<std::string, ledger::SignKey> readOwnSignKeys(const std::filesystem::path& keysDir);

// The keys that may have signed checkpoints: `party`'s own (current and retired) and
// each peer's current one. What `audit verify` and the store move check with.
ledger::KeyResolver checkpointKeyResolver(std::string party, std::map<std::string, ledger::SignKey> own,
                                          PeerKeys peers);

}  // namespace passerelle::exchange
