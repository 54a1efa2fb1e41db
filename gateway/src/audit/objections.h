#pragma once
// A trainee's objection (GDPR art. 21) to one purpose, recorded or withdrawn as
// their pseudonyms in that purpose's domain (docs/privacy.md): never an identity.

#include "audit/subject_access.h"
#include "party/gateway.h"

#include <cstdint>
#include <string>

namespace passerelle::exchange {

struct ObjectionChange {
    bool changed = false;
    std::string pseudonym;     // the one recorded, removed or found
    bool olderEpoch = false;   // found under an older pseudonym key epoch than the current one
    std::uint64_t ledgerIndex = 0;  // the objection-added/-removed entry, when changed
};

// Looks the trainee up in `job`'s export, then adds (or removes) the objection
// under every held key epoch and, when something changed, appends the ledger entry
// (purpose and count, no identifier). Throws TraineeNotFound when the export does not
// hold the trainee.
ObjectionChange changeObjection(Gateway& gateway, const config::PurposeSettings& purpose,
                                const config::JobSettings& job, const TraineeLookup& lookup, bool add);

}  // namespace passerelle::exchange
