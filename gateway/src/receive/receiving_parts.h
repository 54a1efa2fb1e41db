#pragma once
// What the Region's services (BatchReceiver, SinkDispatcher) work with: the
// party's parts (configuration, keys, ledger, folders) and the inbox.

#include "party/party_parts.h"
#include "store/inbox.h"

namespace passerelle::exchange {

struct ReceivingParts : PartyParts {
    store::Inbox& inbox;
};

inline ReceivingParts receivingParts(Gateway& gateway) {
    return {partyParts(gateway), gateway.store().inbox()};
}

}  // namespace passerelle::exchange
