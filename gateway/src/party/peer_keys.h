#pragma once
// The published keys of the parties this gateway exchanges with ([peer.*]
// public_keys): what a service needs to check a peer's signature or seal a
// batch for it, without the rest of the Gateway.

#include "config/gateway_config.h"
#include "ledger/appender.h"
#include "ledger/verifier.h"
#include "privacy/key_history.h"
#include "privacy/party_keys.h"

#include <chrono>
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

    bool knows(const std::string& party) const { return keys_.contains(party); }
    // The peer's published keys; throws ConfigError when the party is unknown.
    const privacy::PublicKeys& of(const std::string& party) const;
    // The peer's current Ed25519 key when its id is `keyId`; nullopt otherwise.
    std::optional<ledger::SignKey> currentSignKey(const std::string& party, const std::string& keyId) const;
    // The peer's signing key `keyId` (current or in its key history) valid at `signedAt`, the
    // document's own date: what stored evidence is checked with. BatchError naming the party
    // and key id otherwise (privacy/key_history.h).
    privacy::SignPublicKey signKeyAt(const std::string& party, const std::string& keyId,
                                     const std::string& signedAt) const;
    // The same for a document arriving now: a key retired more than
    // privacy::kRetiredKeyOverlap before `now` is refused too.
    privacy::SignPublicKey liveSignKey(const std::string& party, const std::string& keyId,
                                       const std::string& signedAt,
                                       privacy::KeyTime now = std::chrono::system_clock::now()) const;
    // Checks a counterpart's checkpoint arriving now (origin a configured peer, signed by
    // its live key, see liveSignKey) and keeps it in the ledger. Throws BatchError when it
    // does not verify.
    void keepCheckpoint(ledger::LedgerAppender& ledger, const ledger::Checkpoint& checkpoint,
                        privacy::KeyTime now = std::chrono::system_clock::now()) const;

private:
    std::filesystem::path configFile_;  // named by every message
    std::string ownParty_;
    std::map<std::string, privacy::PublicKeys> keys_;
};

// Our public keys with their history: the current ones (keysDir/public.keys) and every
// retired one (its retired_* lines, and previous/<id>/public.keys for rotations made before
// key history was recorded), which still verify what they signed while current. Public keys
// only: no secret is read.
privacy::PublicKeys readOwnSignKeys(const std::filesystem::path& keysDir);
// Each signing key of `keys`' history by key id (what `audit export` publishes).
std::map<std::string, ledger::SignKey> signKeysById(const privacy::PublicKeys& keys);

// The keys that may have signed checkpoints, receipts and manifests: `party`'s own and each
// peer's, current and retired, each only for documents dated inside its interval. What
// `audit verify` and the store move check with.
ledger::KeyResolver checkpointKeyResolver(std::string party, privacy::PublicKeys own, PeerKeys peers);

}  // namespace passerelle::exchange
