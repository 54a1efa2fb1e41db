#pragma once
// What an institution's batch-sealing services (BatchPreparer, and the
// JobScheduler and ExtractionService that run it) work with: the party's parts
// (configuration, keys, ledger, folders), the outbox, the jobs' cursors and runs,
// and the objections.

#include "party/party_parts.h"
#include "store/job_state.h"
#include "store/objections.h"
#include "store/outbox.h"

namespace passerelle::exchange {

struct SendingParts : PartyParts {
    store::Outbox& outbox;
    store::JobState& jobs;  // cursors of incremental jobs, and runs
    store::Objections& objections;
};

inline SendingParts sendingParts(Gateway& gateway) {
    store::StateStore& store = gateway.store();
    return {partyParts(gateway), store.outbox(), store.jobs(), store.objections()};
}

}  // namespace passerelle::exchange
