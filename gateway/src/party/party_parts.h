#pragma once
// What every service of either side works with: the configuration, our keys and
// our peers', the ledger, and the state folders batches are written into. Each
// side adds the stores it uses (send/sending_parts.h, receive/receiving_parts.h);
// the composition layer builds them from the Gateway (party/gateway.h).

#include "config/gateway_config.h"
#include "ledger/appender.h"
#include "party/gateway.h"
#include "party/peer_keys.h"
#include "party/state_folders.h"
#include "privacy/party_keys.h"

namespace passerelle::exchange {

struct PartyParts {
    const config::GatewayConfig& config;
    const privacy::PartyKeys& keys;
    const PeerKeys& peers;
    ledger::LedgerAppender& ledger;
    StateFolders folders;
};

inline PartyParts partyParts(Gateway& gateway) {
    return {gateway.config(), gateway.keys(), gateway.peers(), gateway.ledger(), gateway.folders()};
}

}  // namespace passerelle::exchange
